"""Who may read the files this app stores (see lms.media.registry). Seals
are only for HR: certificates carry them rendered into the PDF server-side
(certificates.pdf.seal_data_uri), never as a link."""

from django.db.models import Q

from lms.accounts.roles import Capability
from lms.accounts.scoping import can
from lms.media.registry import Grant, register

from .models import Certificate, IssuanceBatch, IssuerProfile


def _hr_or_holder(request, certificate: Certificate | None) -> bool:
    if certificate is None or not request.user.is_authenticated:
        return False
    employee = certificate.employee
    return can(request.user, Capability.CHANGE, employee.enterprise_id) or (
        employee.user_id is not None and employee.user_id == request.user.pk
    )


def scan(request, name: str) -> Grant | None:
    """A certificate's scan or holder photo: HR of the holder's enterprise and the holder."""
    certificate = Certificate.objects.filter(Q(scan=name) | Q(photo=name)).select_related("employee").first()
    return Grant(attachment=False) if _hr_or_holder(request, certificate) else None


def batch(request, name: str) -> Grant | None:
    """A batch's zip of certificates (many people): HR of the enterprise."""
    found = IssuanceBatch.objects.filter(archive=name).only("enterprise_id").first()
    if found is None or not can(request.user, Capability.CHANGE, found.enterprise_id):
        return None
    return Grant(attachment=True, filename=f"certificates-batch-{found.pk}.zip")


def seal(request, name: str) -> Grant | None:
    """The enterprise's seal image: HR of the enterprise (to check what they uploaded)."""
    profile = IssuerProfile.objects.filter(seal=name).only("enterprise_id").first()
    if profile is None or not can(request.user, Capability.CHANGE, profile.enterprise_id):
        return None
    return Grant(attachment=False)


def register_rules() -> None:
    register("certificates/", scan)
    register("certificates/photos/", scan)
    register("certificates/batches/", batch)
    register("certificates/seals/", seal)
