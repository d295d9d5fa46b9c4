"""The current TOTP code for a secret, as an authenticator app would show it."""

import time

from allauth.mfa import app_settings
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

# allauth accepts only the current period's code (MFA_TOTP_TOLERANCE 0). A code
# read in the last seconds of its period can reach the server after the period
# rolled over (a browser journey on a loaded machine takes seconds per step),
# so, like a person watching the app, wait for the next code instead.
_MARGIN_SECONDS = 6


def current_code(secret: str) -> str:
    period = app_settings.TOTP_PERIOD
    left = period - time.time() % period
    if left < _MARGIN_SECONDS:
        time.sleep(left + 0.05)
    return format_hotp_value(hotp_value(secret, int(time.time()) // period))
