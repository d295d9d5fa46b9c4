"""Helpers that build CMS pages for tests."""

import datetime as dt

from django.core.files.base import ContentFile
from wagtail.documents.models import Document

from content.models import NoticePage, RegulationPage, StandardPage


def add_notice(index, title, date, *, summary="", body=None, live=True, attachment=None):
    notice = NoticePage(title=title, date=date, summary=summary, body=body or [], live=live, attachment=attachment)
    return index.add_child(instance=notice)


def add_regulation(index, title, *, level, status=RegulationPage.Status.IN_FORCE, effective=dt.date(2021, 9, 1), **kw):
    return index.add_child(
        instance=RegulationPage(title=title, level=level, status=status, effective_date=effective, **kw)
    )


def add_standard_page(parent, title, **kw):
    return parent.add_child(instance=StandardPage(title=title, **kw))


def make_document(title="培训计划表"):
    doc = Document(title=title)
    doc.file.save("training-plan.pdf", ContentFile(b"%PDF-1.4 test"), save=False)
    doc.save()
    return doc


def add_case_library(home, title="事故案例库", slug="accident-cases"):
    from content.models import AccidentCaseIndexPage

    return home.add_child(instance=AccidentCaseIndexPage(title=title, slug=slug))


def add_case(library, title, *, accident_type="electrocution", industry="manufacturing", hazards="",
             accident_date=dt.date(2024, 3, 22), live=True, **kw):
    from content.models import AccidentCasePage

    fields = {
        "place": "某企业车间",
        "direct_cause": "违章作业",
        "lessons": "<p>严格执行操作规程。</p>",
        "deaths": 1,
        **kw,
    }
    return library.add_child(instance=AccidentCasePage(
        title=title, accident_type=accident_type, industry=industry, hazards=hazards, accident_date=accident_date,
        live=live, **fields,
    ))
