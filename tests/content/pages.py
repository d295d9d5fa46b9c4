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
