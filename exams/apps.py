from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExamsConfig(AppConfig):
    name = "exams"
    verbose_name = _("考试")

    def ready(self):
        from lms.archive.registry import EvidenceSource, evidence_files, person_file_sections

        from .media_access import register_rules
        from .person_file import SECTION
        from .selectors import evidence_files as sheet_evidence_files

        register_rules()  # who may read the files stored under /media/
        person_file_sections.register("exam_results", SECTION, order=30)
        evidence_files.register("answer_sheets", EvidenceSource(sheet_evidence_files), order=20)

        from lms.imports import register_upload_purger

        from .importing import question_uploads_purge

        register_upload_purger(question_uploads_purge)

        from lms.imports.jobs import JobKind, job_kinds

        from .importing import QUESTIONS
        from .models import QuestionBank

        job_kinds.register(
            QUESTIONS.name,
            JobKind(QUESTIONS, "exams_import", target=lambda job: QuestionBank.objects.get(pk=job.target_id)),
        )
