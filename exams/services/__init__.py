"""The exam engine's front door for writes: papers, exams, attempts,
autosave, submission and grading. Views, the API, admin viewsets and Celery
tasks call these; nothing else writes attempts. Reads live in
:mod:`exams.selectors` (re-exported here so ``services.exam_audience`` and
the like keep working).

- :mod:`.papers`: ``paper_save``, ``paper_check``, ``paper_draw``;
- :mod:`.exams`: the audience checked, ``exam_create`` / ``exam_update``;
- :mod:`.attempts`: start, autosave, submit, auto-submit, the exams a user is to sit;
- :mod:`.grading`: scoring responses, ``attempt_grade``, ``offline_result_enter``
  and the training record of a graded attempt;
- :mod:`.base`: ``ExamError`` and how points are rounded and written.

Conventions the engine promises:

- **Scores.** ``Attempt.score`` is the points earned out of the paper's total
  (``Attempt.max_score``). ``Exam.pass_score`` is on a 100-point scale: an
  attempt passes when its percentage — ``score × 100 / max_score`` rounded
  half-up to 0.1, the figure the examinee is shown — is at least the pass
  score. The training record written for a graded attempt carries that
  percentage as its score.
- **Answers.** ``AttemptAnswer.response`` holds the *original* option keys of
  the question (the examinee sends the letters shown on their paper, which
  the layout maps back), ``[true]``/``[false]`` for true/false, and one string
  per blank for fill-in.
- **Time.** The server's clock decides: every function takes ``now=`` (tests
  freeze time by passing it). An answer counts only if saved before the
  attempt's deadline (start + duration, capped by the exam window).
- **Answer keys** never leave the engine before grading: the layout holds
  question ids, points, the question type, the shown→original option mapping
  and the number of blanks, nothing that tells a right answer from a wrong one.

The question services (banks, versions) live in :mod:`exams.question_services`
and are re-exported here too.
"""

from ..question_services import (
    QuestionError,
    bank_create,
    can_edit_bank,
    category_for_path,
    editable_banks,
    question_create,
    question_fingerprint,
    question_in_use,
    question_update,
    require_bank_edit,
)
from ..selectors import (
    AudienceFacts,
    audience_facts,
    audience_includes,
    exam_audience,
    keys_visible,
    paper_question_count,
    paper_total,
    review_available,
    sitting_an_exam,
)
from .attempts import (
    LETTERS,
    MAX_BLANK_CHARS,
    ExamEntry,
    SaveResult,
    attempt_can_start,
    attempt_refresh,
    attempt_save_answer,
    attempt_start,
    attempt_submit,
    attempts_autosubmit_due,
    exams_for_user,
    response_clean,
)
from .base import ONE_DECIMAL, ExamError, fmt_points, percentage
from .exams import AUDIENCE_KEYS, EXAM_FIELDS, audience_clean, exam_create, exam_update
from .grading import PARTIAL_CREDIT_PER_OPTION, attempt_grade, grade_response, normalise_blank, offline_result_enter
from .papers import MAX_RULES_FOR_OVERLAP_REPORT, TYPE_ORDER, paper_check, paper_draw, paper_save

__all__ = [
    "AUDIENCE_KEYS",
    "EXAM_FIELDS",
    "LETTERS",
    "MAX_BLANK_CHARS",
    "MAX_RULES_FOR_OVERLAP_REPORT",
    "ONE_DECIMAL",
    "PARTIAL_CREDIT_PER_OPTION",
    "TYPE_ORDER",
    "AudienceFacts",
    "ExamEntry",
    "ExamError",
    "QuestionError",
    "SaveResult",
    "attempt_can_start",
    "attempt_grade",
    "attempt_refresh",
    "attempt_save_answer",
    "attempt_start",
    "attempt_submit",
    "attempts_autosubmit_due",
    "audience_clean",
    "audience_facts",
    "audience_includes",
    "bank_create",
    "can_edit_bank",
    "category_for_path",
    "editable_banks",
    "exam_audience",
    "exam_create",
    "exam_update",
    "exams_for_user",
    "fmt_points",
    "grade_response",
    "keys_visible",
    "normalise_blank",
    "offline_result_enter",
    "paper_check",
    "paper_draw",
    "paper_question_count",
    "paper_save",
    "paper_total",
    "percentage",
    "question_create",
    "question_fingerprint",
    "question_in_use",
    "question_update",
    "require_bank_edit",
    "response_clean",
    "review_available",
    "sitting_an_exam",
]
