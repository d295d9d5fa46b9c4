from celery import shared_task


@shared_task(name="courses.enrol_from_obligations")
def enrol_from_obligations_task(employee_ids: list[int] | None = None) -> int:
    """Enrol people in the courses that satisfy their open obligations, and
    the members of assigned units and posts (daily with ``employee_ids``
    None: the backfill). Safe to run twice: enrolments are unique."""
    from .services import assignments_apply, enrolments_from_obligations

    created = enrolments_from_obligations(employee_ids=employee_ids)
    if employee_ids is None:
        created += assignments_apply()
    return created
