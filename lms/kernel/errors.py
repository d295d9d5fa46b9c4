"""A service's refusal as one line of text for a page or a message."""

from django.core.exceptions import ValidationError


def refusal_text(exc: ValidationError) -> str:
    """Every message of ``exc``, joined with "；"."""
    return "；".join(str(m) for m in exc.messages)
