"""Certificates: external certificates read by the clearance gate; issuance, PDF and verification (issue 6)."""
