"""What the public verification page and API show about a certificate:
every field printed on it, the holder's name and ID number masked, and its
state today. Nothing else about the person (no 工号, phone, unit)."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from rest_framework.throttling import AnonRateThrottle

from .models import Certificate
from .pdf import mask_name, verify_url

class VerifyRateThrottle(AnonRateThrottle):
    """Per client IP, for the page and the API alike (one bucket), in the
    cache like every DRF throttle: guessing codes is slow and pointless
    (192-bit codes), and a scraper is cut off quickly."""

    scope = "certificate_verify"

    def get_rate(self):
        return getattr(settings, "CERTIFICATE_VERIFY_RATE", "30/min")

    def allow_request(self, request, view):
        # Signed-in people are counted by IP too: the page is public.
        self.key = self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        if len(self.history) >= self.num_requests:
            return self.throttle_failure()
        return self.throttle_success()


def verification_data(certificate: Certificate) -> dict:
    """The fields the page and the API show (dates as ``datetime.date``)."""
    today = timezone.localdate()
    state = certificate.state_on(today)
    state_date = certificate.state_date(today)
    employee = certificate.employee
    return {
        "holder_name": mask_name(employee.name),
        "id_number": employee.id_number_masked,
        "type": certificate.type.name if certificate.type_id else certificate.get_kind_display(),
        "kind": certificate.kind,
        "number": certificate.number,
        "category": certificate.get_category_display() if certificate.category else "",
        "level": certificate.level,
        "post": certificate.post.name if certificate.post_id else "",
        "issuer": certificate.authority,
        "enterprise": employee.enterprise.name,
        "issued_on": certificate.issued_on,
        "valid_until": certificate.valid_until,
        "next_review_due": certificate.next_review_due,
        "status": state,
        "status_label": certificate.state_label(today),
        "status_date": state_date,
        "checked_on": today,
        "verify_url": verify_url(certificate.verification_code),
    }
