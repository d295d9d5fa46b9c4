"""The course page form: editors stay inside their own enterprise."""

from __future__ import annotations

from wagtail.admin.forms import WagtailAdminPageForm

from lms.accounts.roles import Capability
from lms.accounts.scoping import enterprise_ids
from lms.workforce.models import Enterprise, OrgUnit, Post

COURSE_EDIT_CAPABILITIES = (Capability.CHANGE, Capability.MANAGE_EXAMS)


def course_editor_enterprise_ids(user) -> set[int] | None:
    if user.is_superuser:
        return None
    ents: set[int] = set()
    for capability in COURSE_EDIT_CAPABILITIES:
        ents |= set(enterprise_ids(user, capability) or ())
    return ents


class CoursePageForm(WagtailAdminPageForm):
    """Editors choose their own enterprise (platform editors: any, or none
    for a shared course); audience units and posts come from that enterprise."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.for_user
        ents = course_editor_enterprise_ids(user) if user is not None else set()
        if ents is not None:
            self.fields["enterprise"].queryset = Enterprise.objects.filter(pk__in=ents)
            self.fields["enterprise"].required = True
            self.fields["enterprise"].empty_label = None
            self.fields["audience_units"].queryset = OrgUnit.objects.filter(enterprise_id__in=ents)
            self.fields["audience_posts"].queryset = Post.objects.filter(enterprise_id__in=ents)
