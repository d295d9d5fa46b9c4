"""Exams: question banks, import/export, papers, attempts and grading (issue 5)."""
