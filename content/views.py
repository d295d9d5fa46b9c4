"""Site search and the learner's portal (我的培训)."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET
from wagtail.models import Page, Site

from lms.accounts.scoping import scope
from lms.workforce.models import Employee, PostAssignment

from .registry import portal_panels
from .search import search_page_ids

SEARCH_RESULTS_PER_PAGE = 10
SEARCH_QUERY_MAX_LENGTH = 100


def _searchable_pages(request):
    """Live, public pages of the request's site."""
    pages = Page.objects.live().public()
    site = Site.find_for_request(request)
    if site is not None:
        pages = pages.descendant_of(site.root_page, inclusive=True)
    return pages


@require_GET
def search(request):
    """``/search/?q=``: live public pages matching the query, ten per page."""
    query = request.GET.get("q", "").strip()[:SEARCH_QUERY_MAX_LENGTH]
    results = None
    if query:
        ids = search_page_ids(query, _searchable_pages(request))
        results = Paginator(ids, SEARCH_RESULTS_PER_PAGE).get_page(request.GET.get("page"))
        pages = Page.objects.filter(pk__in=list(results.object_list)).specific()
        by_id = {page.pk: page for page in pages}
        results.object_list = [by_id[pk] for pk in results.object_list if pk in by_id]
    return render(request, "content/search.html", {"search_query": query, "results": results})


def _profiles_for_user(user):
    """The user's own employee profiles, each with its current post
    assignments prefetched as ``current_assignments_list``."""
    today = timezone.localdate()
    assignments = (
        scope(PostAssignment.objects.all(), user)
        .filter(employee__user=user, start_date__lte=today)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .select_related("post", "post__org_unit", "mentor")
        .order_by("start_date", "pk")
    )
    return (
        scope(Employee.objects.all(), user)
        .filter(user=user)
        .select_related("enterprise", "org_unit", "org_unit__parent", "org_unit__parent__parent")
        .prefetch_related(Prefetch("assignments", queryset=assignments, to_attr="current_assignments_list"))
        .order_by("enterprise__name", "employee_no")
    )


@login_required
def portal(request):
    """我的培训: who the user is in each enterprise, and (later) what training they owe."""
    user = request.user
    context = {
        "profiles": list(_profiles_for_user(user)),
        "is_back_office": user.is_superuser or user.has_perm("wagtailadmin.access_admin"),
    }
    for panel in portal_panels:
        context.update(panel(user))
    return render(request, "content/portal.html", context)
