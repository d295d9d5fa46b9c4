"""Who may read the files this app stores (see lms.media.registry)."""

from lms.accounts.roles import Capability
from lms.accounts.scoping import can
from lms.media.registry import Grant, register

from .models import ImportJob


def import_file(request, name: str) -> Grant | None:
    """An employee spreadsheet (full ID numbers): HR and admins of its enterprise."""
    job = ImportJob.objects.filter(file=name).only("enterprise_id", "original_name").first()
    if job is None or not can(request.user, Capability.CHANGE, job.enterprise_id):
        return None
    return Grant(attachment=True, filename=job.original_name)


def register_rules() -> None:
    register("imports/", import_file)
