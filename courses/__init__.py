"""Learning: Wagtail course pages, enrolment, server-measured study time, offline sessions (issue 4)."""
