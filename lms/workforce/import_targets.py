"""Imports into an enterprise (employees, historical records): the upload
form's enterprise field and the import command's ``--enterprise``."""

from django import forms
from django.core.management.base import CommandError
from django.db.models import Q
from django.utils.translation import gettext_lazy

from lms.accounts.roles import Capability
from lms.accounts.scoping import scope
from lms.imports.commands import ImportCommand
from lms.imports.views import ImportForm

from .models import Enterprise


def find_enterprise(key: str) -> Enterprise:
    """The enterprise whose code or 统一社会信用代码 is ``key``; CommandError if none."""
    key = key.strip()
    found = Enterprise.objects.filter(Q(code=key) | Q(credit_code=key.upper())).first()
    if found is None:
        raise CommandError(f"找不到企业：{key}（请填写企业编码或统一社会信用代码）")
    return found


class EnterpriseImportForm(ImportForm):
    """An upload into one of the enterprises whose data the user may change."""

    target_field = "enterprise"
    field_order = ("enterprise", "file")

    enterprise = forms.ModelChoiceField(
        label=gettext_lazy("导入到企业"), queryset=Enterprise.objects.none(), empty_label=gettext_lazy("请选择企业")
    )

    def target_queryset(self, user):
        return scope(Enterprise.objects.all(), user, Capability.CHANGE).order_by("name")


class EnterpriseImportCommand(ImportCommand):
    def add_target_arguments(self, parser):
        parser.add_argument("--enterprise", required=True, help="企业编码或统一社会信用代码")

    def get_target(self, *, enterprise, **options):
        return find_enterprise(enterprise)
