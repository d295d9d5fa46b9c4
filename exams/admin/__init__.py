"""The exams back office (考试), one module per concern, as Wagtail keeps
``wagtail/admin/views/pages/``:

- :mod:`.rows`: platform banks and questions, readable by all, writable by the platform;
- :mod:`.banks`, :mod:`.questions`, :mod:`.papers`, :mod:`.exams`: their listing,
  create, edit and inspect views;
- :mod:`.results`: 成绩与分析 of one exam (score chart, item analysis) and its Excel export;
- :mod:`.attempts`: answer sheets (read-only) and the offline result entry page;
- :mod:`.dashboard`: the 近期考试 panel;
- :mod:`.viewsets`: the viewsets and the 考试 menu group that wire the views up.

Writes go through :mod:`exams.question_services` and :mod:`exams.services`;
a refusal is a form error.
"""
