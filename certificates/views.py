"""Public verification (/verify/<code>/) and the holder's own certificates
(我的证书: list, PDF download, share link)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from lms.kernel.jobs import job_progress
from lms.media.serving import fieldfile_response

from . import selectors
from .models import Certificate
from .pdf import pdf_filename, render_certificate_pdf, verify_url
from .verification import VerifyRateThrottle, verification_data


@require_GET
@never_cache
def verify(request, code):
    """Anyone may check a certificate by its code (no login)."""
    throttle = VerifyRateThrottle()
    if not throttle.allow_request(request, None):
        response = render(request, "certificates/verify_throttled.html", {"wait": int(throttle.wait() or 60)},
                          status=429)
        response["Retry-After"] = str(int(throttle.wait() or 60))
        return response
    certificate = selectors.certificate_by_code(code)
    if certificate is None:
        return render(request, "certificates/verify_not_found.html", status=404)
    response = render(request, "certificates/verify.html", {"c": verification_data(certificate)})
    response["X-Robots-Tag"] = "noindex"
    return response


@login_required
def my_certificates(request):
    today = timezone.localdate()
    certificates = selectors.certificates_of_holder_listed(request.user)
    rows = [
        {
            "c": c,
            "state": c.state_on(today),
            "state_label": c.state_label(today),
            "share_url": verify_url(c.verification_code) if c.verification_code else "",
        }
        for c in certificates
    ]
    return render(request, "certificates/my_certificates.html", {"rows": rows, "today": today})


@login_required
def download(request, pk):
    """The PDF of one of the user's own internal certificates."""
    certificate = selectors.certificate_of_holder_printable(request.user, pk)
    if certificate is None:
        raise Http404
    return pdf_response(certificate)


def pdf_response(certificate: Certificate) -> HttpResponse:
    response = HttpResponse(render_certificate_pdf(certificate), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pdf_filename(certificate)}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _batch_for_user(user, pk):
    # HR of the batch's enterprise only (CHANGE): a batch lists many people.
    batch = selectors.batch_for_hr(user, pk)
    if batch is None:
        raise Http404
    return batch


@login_required
@require_GET
def batch_progress(request, pk):
    """Progress of a batch issuance, as JSON for the progress bar."""
    batch = _batch_for_user(request.user, pk)
    return JsonResponse(job_progress(
        batch, issued=batch.issued_count, skipped=batch.skipped,
        zip_url=reverse("certificates:batch-zip", args=[batch.pk]) if batch.archive else None,
    ))


@login_required
@require_GET
def batch_zip(request, pk):
    """The batch's certificate PDFs as one zip."""
    batch = _batch_for_user(request.user, pk)
    if not batch.archive:
        raise Http404
    return fieldfile_response(request, batch.archive, filename=f"certificates-batch-{batch.pk}.zip")
