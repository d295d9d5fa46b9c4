"""Certificates: issuance, PDF, verification, external certificates (issue 6)."""
