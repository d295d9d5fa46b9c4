"""Certificates' section of the person file (lms.archive.registry): the
person's certificates, valid today or not (the 证书 sheet)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from lms.archive.registry import PersonFileSection

from .selectors import certificates_in_file


def _certificates(pf, user) -> dict:
    return {"certificates": certificates_in_file(pf.employee, user, pf.today)}


def _sheet(pf):
    return (
        _("证书"),
        [(_("证书类别"), 30), (_("作业类别"), 18), (_("证书编号"), 20), (_("发证机关"), 22), (_("发证日期"), 12),
         (_("有效期至"), 12), (_("下次复审日期"), 13), (_("状态"), 10), (_("今日是否有效"), 12)],
        (
            [c.get_kind_display(), c.get_category_display() if c.category else "", c.number, c.authority, c.issued_on,
             c.valid_until, c.next_review_due, c.get_status_display(), _("有效") if c.valid_today else _("无效")]
            for c in pf.certificates
        ),
    )


SECTION = PersonFileSection(load=_certificates, sheet=_sheet)
