"""Who may read the files this app stores (see lms.media.registry)."""

from django.utils.translation import gettext as _

from lms.media.registry import Grant, register

from . import selectors
from .models import FindingEntry, SampleBundle


def finding_evidence(request, name: str) -> Grant | None:
    """An enterprise's evidence for a finding: whoever may read the finding
    (the enterprise's staff, the regulators of its region)."""
    entry = FindingEntry.objects.filter(evidence=name).only("finding_id", "evidence_name").first()
    if entry is None or not selectors.findings_for(request.user).filter(pk=entry.finding_id).exists():
        return None
    return Grant(attachment=True, filename=entry.evidence_name or None)


def bundle(request, name: str) -> Grant | None:
    """A sample's bundle (many people's files): only the regulator who made it."""
    if not selectors.is_regulator(request.user):
        return None
    found = SampleBundle.objects.filter(archive=name, requested_by=request.user).only("sample_id").first()
    if found is None:
        return None
    return Grant(attachment=True, filename=_("抽查样本%(pk)s-档案包") % {"pk": found.sample_id} + ".zip")


def register_rules() -> None:
    register("supervision/", finding_evidence)
    register("supervision/bundles/", bundle)
