"""The compliance REST API (v1): clearance, the gated post door, a person's records and obligations."""
