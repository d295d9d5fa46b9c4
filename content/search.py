"""Site search: Wagtail's search backend, plus substring matching for Chinese.

Why the second half exists: Wagtail's database search backend splits text into
words at spaces and punctuation (SQLite FTS5's ``unicode61`` tokenizer,
PostgreSQL's text-search configurations). Chinese is written without spaces, so
a title such as 关于开展安全生产月活动的通知 is indexed as *one* word and a
search for 安全 finds nothing. Until a Chinese word segmenter is configured
(zhparser for PostgreSQL, an Elasticsearch analyzer such as ik), a query that
contains Chinese characters is also matched as a substring against the same
fields each page model lists in ``search_fields`` — so what is searchable stays
declared in one place.
"""

from __future__ import annotations

import json
import re

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Q
from wagtail.fields import StreamField
from wagtail.models import Page, get_page_models
from wagtail.search import index

MAX_RESULTS = 200

# CJK Unified Ideographs (+ Extension A) and compatibility ideographs.
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text or ""))


def _text_search_fields(model) -> list[models.Field]:
    """The model's own database fields named by an ``index.SearchField``."""
    fields = []
    for search_field in model.get_search_fields():
        if not isinstance(search_field, index.SearchField):
            continue
        try:
            field = model._meta.get_field(search_field.field_name)
        except FieldDoesNotExist:  # a SearchField may name a method or property
            continue
        if isinstance(field, (models.CharField, models.TextField, StreamField)):
            fields.append(field)
    return fields


def _term_condition(fields: list[models.Field], term: str) -> Q:
    """Rows where ``term`` occurs in any of ``fields``."""
    condition = Q()
    for field in fields:
        condition |= Q(**{f"{field.name}__icontains": term})
        if isinstance(field, StreamField):
            # StreamField is stored as JSON; SQLite keeps non-ASCII characters
            # \u-escaped in it, PostgreSQL (jsonb) keeps them as they are.
            escaped = json.dumps(term)[1:-1]
            if escaped != term:
                condition |= Q(**{f"{field.name}__icontains": escaped})
    return condition


def substring_matches(query: str, pages) -> list[int]:
    """Ids of pages in ``pages`` where every word of ``query`` occurs as a
    substring of one of the page's search fields, newest first."""
    terms = query.split()
    if not terms:
        return []
    found: dict[int, object] = {}
    for model in get_page_models():
        if model is Page or model._meta.abstract:
            continue
        fields = _text_search_fields(model)
        if not fields:
            continue
        condition = Q()
        for term in terms:
            condition &= _term_condition(fields, term)
        rows = (
            model.objects.filter(condition)
            .filter(pk__in=pages.values("pk"))
            .values_list("pk", "first_published_at")[:MAX_RESULTS]
        )
        found.update(rows)
    ordered = sorted(found.items(), key=lambda item: (item[1] is not None, item[1], item[0]), reverse=True)
    return [pk for pk, _published in ordered][:MAX_RESULTS]


def search_page_ids(query: str, pages) -> list[int]:
    """Ids of pages in ``pages`` matching ``query``: the search backend's
    ranking first, then Chinese substring matches it missed."""
    query = (query or "").strip()
    if not query:
        return []
    ids = [page.pk for page in pages.search(query)[:MAX_RESULTS]]
    if has_cjk(query):
        seen = set(ids)
        ids += [pk for pk in substring_matches(query, pages) if pk not in seen]
    return ids[:MAX_RESULTS]
