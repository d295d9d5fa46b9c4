"""The study heartbeat, answered ahead of the middleware stack.

The heartbeat is the busiest request of the system (every learner, every
``ANXUN_STUDY_HEARTBEAT_SECONDS``). Through the whole stack, reading the
login session and the user (two cache or database reads), the MFA gate, the
account, message and redirect middleware cost more than the heartbeat's own
two statements. :class:`HeartbeatMiddleware` answers a heartbeat right after
``SecurityMiddleware`` instead, with what those layers would have decided:

- **CSRF**: Django's ``CsrfViewMiddleware`` checks the request, as for any view;
- **language**: chosen as ``LocaleMiddleware`` chooses it (cookie, header);
- **login**: the study session is read in one statement together with the
  login session it was started in (``django_session``, unexpired) and that
  login's user (courses.session_rows.load_by_login); the stored session
  must name this user through a model backend, and carry the user's current
  session auth hash — the checks ``django.contrib.auth.get_user`` makes, so
  a logout, an expired login, a deactivated user or a password change ends
  the heartbeat's credit exactly as it ends the login.

Only a heartbeat it can confirm that way is answered here; anything else — no
session cookie, a malformed body, no such study session in this login, a
stored hash that only a fallback secret verifies — goes down the normal stack
to ``courses.views.heartbeat``, which answers it (401, 400, 404, 409) as
before. Nothing is written before that decision, so falling through never
applies a beat twice. The same holds for a database connection the SELECT
finds dead (it doubles as Django's per-request health check): the stack
answers on a new connection. A user whose role requires MFA is confirmed only
if the stored session passed it (lms.accounts.sessions.passed_mfa, as
lms.accounts.middleware requires); the fast path never extends a privileged
session's idle deadline.

Needs a database-backed session engine (``db``, ``cached_db``: the login
session is joined in SQL); with any other, or ``ANXUN_SPEED["heartbeat"] = False``
(or the older ``ANXUN_HEARTBEAT_FAST = False``), every heartbeat takes the
normal stack, and courses.session_rows reads and writes it with the ORM.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone

from lms.accounts import sessions
from lms.speed import fastpath

from . import services, session_rows, views


class HeartbeatMiddleware(fastpath.FastPathMiddleware):
    """Place right after ``SecurityMiddleware`` (lms/settings/base.py). The
    frame, the login check and the cursor are lms.speed.fastpath's, shared with
    the exam autosave (exams.speed)."""

    url_name = "courses:heartbeat"
    switch = "heartbeat"
    passed_mfa = staticmethod(sessions.passed_mfa)

    def view(self):
        return views.heartbeat

    @classmethod
    def prepare(cls, connection) -> None:
        super().prepare(connection)
        session_rows.prepare(connection)

    def answer(self, request):
        """The heartbeat's response, or None to leave it to the normal stack."""
        login_key = self.begin(request)
        if login_key is None:
            return None
        response = self.csrf_refusal(request)
        if response is None:
            try:
                token, beat = views.heartbeat_body(request)
            except ValidationError:
                return None
            now = timezone.now()
            try:
                found = session_rows.load_by_login(token=token, login_key=login_key, now=now)
            except session_rows.StaleConnection:
                return None  # the stack answers it on a new connection
            if found is None or not self.login_check(found[1], user_id=found[0].user_id):
                return None
            session = found[0]
            response = views.heartbeat_answer(
                lambda: services.apply_heartbeat(session, beat=beat, login_key=login_key, now=now)
            )
        return self.finish(request, response)
