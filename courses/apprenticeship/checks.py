"""Start-up check: the platform's mentor settings may only be stricter than
the workforce gate, which enforces the RULES.md defaults on every placement."""

from django.conf import settings
from django.core.checks import Error, register


@register()
def mentor_settings(app_configs, **kwargs):
    from .models import gate_max_apprentices, gate_min_years

    errors = []
    if settings.ANXUN_MENTOR_MIN_YEARS < gate_min_years():
        errors.append(Error(
            f"ANXUN_MENTOR_MIN_YEARS={settings.ANXUN_MENTOR_MIN_YEARS} is below the gate's {gate_min_years()} years",
            id="apprenticeship.E001",
        ))
    if settings.ANXUN_MENTOR_MAX_APPRENTICES > gate_max_apprentices():
        errors.append(Error(
            f"ANXUN_MENTOR_MAX_APPRENTICES={settings.ANXUN_MENTOR_MAX_APPRENTICES} is above the gate's "
            f"{gate_max_apprentices()}",
            id="apprenticeship.E002",
        ))
    if not 0 <= settings.ANXUN_APPRENTICE_PASS_SCORE <= 100:
        errors.append(Error("ANXUN_APPRENTICE_PASS_SCORE must be between 0 and 100", id="apprenticeship.E003"))
    return errors
