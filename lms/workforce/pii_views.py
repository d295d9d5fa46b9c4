"""The one page that shows a full 身份证号 (mounted by wagtail_hooks.py at
/admin/workforce/employees/<pk>/id-number/, namespace "workforce_pii").

GET asks for a reason; POST with a reason shows the number once, on a page
no cache keeps. Thin: fetch the person within the user's enterprises (404
otherwise), check the role (403), call ``services.id_number_reveal``."""

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from . import selectors, services


class RevealForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("查看原因"),
        max_length=services.REVEAL_REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("如：办理工伤保险申报、向发证机关报送特种作业人员信息。查看将记入该员工的操作日志。"),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def id_number_reveal(request, pk: int):
    employee = selectors.employee_for(request.user, pk)
    if employee is None:
        raise Http404
    if not selectors.id_number_revealable(request.user, employee):
        raise PermissionDenied(_("您无权查看该员工的完整身份证号"))
    form = RevealForm(request.POST or None)
    full_number = None
    if request.method == "POST" and form.is_valid():
        try:
            full_number = services.id_number_reveal(
                employee=employee, reason=form.cleaned_data["reason"], actor=request.user
            )
        except ValidationError as error:
            form.add_error("reason", error.message_dict.get("reason", error.messages))
    response = TemplateResponse(
        request,
        "workforce/admin/id_number_reveal.html",
        {"employee": employee, "form": form, "full_number": full_number, "page_title": _("查看完整身份证号")},
    )
    response["Cache-Control"] = "no-store"
    return response


urlpatterns = [path("<int:pk>/id-number/", id_number_reveal, name="id_number_reveal")]
