"""The notification service: in-app notices and their e-mail outbox.

Every app tells people through this module and nothing else: ``notify``
(one notice to some users) or ``notices_create`` (many notices, each its
own, as rows from ``notice_row``). A notice is written once per (user,
key): a second call with the same key writes and sends nothing. A caller
that claims its work before telling (a reminder record) makes the claim in
the same transaction as the call, so a run killed in between leaves
neither (the daily scan claims and writes its notices per chunk in one
transaction: a transactional outbox). A notice whose e-mail is to go out is ``pending``;
its id goes to ``send_notice_emails`` (a chunk of ids per task) once the
rows are committed.

Delivery follows healthchecks' ``sendalerts``: a task first claims the rows
it will send (pending → sending, in one transaction that skips rows another
task holds), so the same chunk delivered twice, or two workers on
overlapping chunks, send each e-mail once. The e-mail is the
notice itself: the notice's title as subject and its text as body.

A failed send leaves the e-mail ``pending`` with the error and the attempt
count; ``notice_emails_requeue`` (Celery beat, every few minutes) enqueues
what is pending again after a pause, and what a dead worker left ``sending``
for longer than ``CLAIM_TIMEOUT``. After ``MAX_ATTEMPTS`` the e-mail is
``failed``, with the last error kept on the row and logged. A worker that
dies after the mail server accepted a message but before the row says
``sent`` sends that message again after the timeout: across crashes the
outbox errs towards a second e-mail rather than none.

The daily scan's notices are templated: the scan stores the subject, the
name of the text template and the facts the text is made of (``context``:
the stage, the person, the items with label, post, due date and hours, as
they were when the scan claimed them), and the text itself is rendered here
when the e-mail goes out or the notice is shown (``notice_texts``), not
inside the scan. Subject templates see only the stage, the count and the
items' labels, so the scan renders each distinct subject once."""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.accounts.models import User

from lms.speed.bulk import insert_ignoring_conflicts
from .models import Notice

logger = logging.getLogger(__name__)

EMAIL_CHUNK = 500  # notices per task: one mail-server connection each
MAX_ATTEMPTS = 5
RETRY_AFTER = dt.timedelta(minutes=10)  # pause before a failed e-mail is tried again
CLAIM_TIMEOUT = dt.timedelta(minutes=30)  # a claim older than this belonged to a worker that died
REQUEUE_LIMIT = 50_000  # e-mails re-enqueued per sweep (the next sweep takes the rest)

Email = Notice.EmailStatus


@dataclass
class Delivery:
    claimed: int = 0
    sent: int = 0
    retry: int = 0
    failed: int = 0


# Notice.template → (subject template, text template).
TEMPLATES = {
    "obligation": ("emails/obligation-subject.txt", "emails/obligation-body.txt"),  # one person: their items
    "obligation-digest": ("emails/obligation-digest-subject.txt", "emails/obligation-digest-body.txt"),  # HR
}


def _template_context(facts: dict) -> dict:
    """The templates' context from a notice's stored facts (JSON): dates
    back to dates, the post as an object with a name, ``count`` and
    ``obligation`` (the first item) for the one-item wording."""
    items = []
    for item in facts.get("items", ()):
        item = dict(item)
        if "post" in item:
            item["post"] = {"name": item["post"]} if item["post"] else None
        if item.get("due_date"):
            item["due_date"] = dt.date.fromisoformat(item["due_date"])
        items.append(item)
    return {**facts, "items": items, "count": len(items), "obligation": items[0] if items else None,
            "site": getattr(settings, "WAGTAILADMIN_BASE_URL", "")}


def notice_subject(template: str, facts: dict) -> str:
    return render_to_string(TEMPLATES[template][0], _template_context(facts)).strip()


def notice_body(template: str, facts: dict) -> str:
    return render_to_string(TEMPLATES[template][1], _template_context(facts))


def notice_texts(notice: Notice) -> tuple[str, str]:
    """``(subject, text)`` of a notice as e-mailed and shown."""
    if not notice.template:
        return notice.title, notice.body
    return notice.title, notice_body(notice.template, notice.context)


@dataclass
class Notified:
    notices: int = 0  # offered: those already there under their key are not written again
    emails: int = 0  # handed to Celery (after commit), not yet sent


def notice_row(*, user_id: int, email: str, key: str, title: str, enterprise_id: int | None = None, link: str = "",
               body: str = "", template: str = "", context: dict | None = None) -> dict:
    """A notice for ``notices_create``: its e-mail goes out if ``email`` (the
    user's address) is not empty. A templated notice (``template`` and its
    facts in ``context``) leaves ``body`` empty."""
    return {"user_id": user_id, "enterprise_id": enterprise_id, "key": key, "title": title, "body": body,
            "link": link, "template": template, "context": context or {},
            "email_status": Email.PENDING if email else Email.NONE}


@transaction.atomic
def notices_create(rows: list[dict]) -> Notified:
    """Write the notices ``rows`` (from ``notice_row``) that are not there
    yet under their (user, key), and hand the e-mails of those written here
    to Celery once the transaction commits. Called twice, or by two
    processes at once, each notice is written and e-mailed once."""
    if not rows:
        return Notified()
    now = timezone.now()
    # The rows written here carry this call's time: that is how they are
    # told from rows already there under the same key.
    rows = [{**row, "created_at": now, "email_at": now if row["email_status"] else None} for row in rows]
    insert_ignoring_conflicts(Notice, rows)
    emailed = {(row["user_id"], row["key"]) for row in rows if row["email_status"] == Email.PENDING}
    if not emailed:
        return Notified(notices=len(rows))
    # By user (the (user, key) index), keys matched here: an IN list on both
    # columns would make the database try every combination.
    written = Notice.objects.filter(
        user_id__in={user_id for user_id, _key in emailed}, email_status=Email.PENDING, created_at=now
    ).values_list("pk", "user_id", "key")
    return Notified(
        notices=len(rows),
        emails=notice_emails_enqueue([pk for pk, user_id, key in written if (user_id, key) in emailed]),
    )


def notify(users, *, key: str, title: str, body: str = "", template: str = "", context: dict | None = None,
           link: str = "", enterprise_id: int | None = None, email: bool = True) -> Notified:
    """Tell each of ``users`` (users or user ids) once under ``key``: an
    in-app notice and, if ``email`` and the user has an address, its e-mail.
    ``None`` and inactive users are left out."""
    users = [u for u in users if u is not None]
    ids = [u for u in users if isinstance(u, int)]
    people = {u.pk: u.email for u in users if not isinstance(u, int) and u.is_active}
    if ids:
        people.update(User.objects.filter(pk__in=ids, is_active=True).values_list("pk", "email"))
    return notices_create([
        notice_row(user_id=pk, email=address if email else "", key=key, title=title, enterprise_id=enterprise_id,
                   link=link, body=body, template=template, context=context)
        for pk, address in people.items()
    ])


def notice_emails_enqueue(notice_ids) -> int:
    """Hand the e-mails of these notices to Celery, ``EMAIL_CHUNK`` per task,
    once the current transaction commits. Returns how many were handed on."""
    from .tasks import send_notice_emails

    ids = sorted(notice_ids)
    for start in range(0, len(ids), EMAIL_CHUNK):
        chunk = ids[start:start + EMAIL_CHUNK]
        transaction.on_commit(lambda chunk=chunk: send_notice_emails.delay(chunk))
    return len(ids)


def _claimable(now: dt.datetime) -> Q:
    return Q(email_status=Email.PENDING) | Q(email_status=Email.SENDING, email_at__lt=now - CLAIM_TIMEOUT)


def _claim(notice_ids, now: dt.datetime) -> list[int]:
    with transaction.atomic():
        # skip_locked: rows another task is claiming right now are its own.
        mine = list(
            Notice.objects.select_for_update(skip_locked=True)
            .filter(_claimable(now), pk__in=list(notice_ids))
            .values_list("pk", flat=True)
        )
        if mine:
            Notice.objects.filter(pk__in=mine).update(
                email_status=Email.SENDING, email_at=now, email_attempts=F("email_attempts") + 1
            )
    return mine


def notice_emails_send(*, notice_ids) -> Delivery:
    """Send the pending e-mails among ``notice_ids`` over one mail-server
    connection; safe to call twice or at once for the same ids (each e-mail
    is claimed before it is sent). Queries per call do not grow with the
    number of ids."""
    now = timezone.now()
    result = Delivery()
    mine = _claim(notice_ids, now)
    result.claimed = len(mine)
    if not mine:
        return result
    notices = list(
        Notice.objects.filter(pk__in=mine)
        .select_related("user")
        .only("pk", "title", "body", "template", "context", "email_attempts", "user__email")
        .order_by("pk")
    )
    sent: list[int] = []
    errors: dict[int, str] = {}
    final: set[int] = {n.pk for n in notices if n.email_attempts >= MAX_ATTEMPTS}
    messages = []
    for n in notices:
        if n.user.email:
            subject, text = notice_texts(n)
            messages.append((n.pk, EmailMessage(subject, text, settings.DEFAULT_FROM_EMAIL, [n.user.email])))
        else:  # the address was removed after the notice was made: no retry will help
            errors[n.pk] = _("收件人没有邮箱地址")
            final.add(n.pk)
    if messages:
        _send(messages, sent, errors)
    done = timezone.now()
    if sent:
        Notice.objects.filter(pk__in=sent, email_status=Email.SENDING).update(
            email_status=Email.SENT, email_at=done, email_error=""
        )
    result.sent = len(sent)
    # One UPDATE per distinct (outcome, error): a mail server that is down
    # gives one error for the whole chunk.
    outcomes = defaultdict(list)
    for pk, error in errors.items():
        outcomes[(Email.FAILED if pk in final else Email.PENDING, error[:300])].append(pk)
    for (status, error), pks in outcomes.items():
        Notice.objects.filter(pk__in=pks, email_status=Email.SENDING).update(
            email_status=status, email_at=done, email_error=error
        )
        if status == Email.FAILED:
            result.failed += len(pks)
            logger.error("%s notice e-mail(s) given up (%s), notices %s…", len(pks), error, pks[:10])
        else:
            result.retry += len(pks)
            logger.warning("%s notice e-mail(s) to retry (%s), notices %s…", len(pks), error, pks[:10])
    return result


def _send(messages, sent: list[int], errors: dict[int, str]) -> None:
    """Send each message on one open connection; note which went out and
    why the others did not. After an error the connection is opened again
    for the rest (a dropped connection must not fail the whole chunk)."""
    connection = get_connection()
    try:
        connection.open()
    except Exception as exc:  # the mail server is down: every message waits for a retry
        for pk, _message in messages:
            errors[pk] = f"{type(exc).__name__}: {exc}"
        return
    try:
        for pk, message in messages:
            message.connection = connection
            try:
                if connection.send_messages([message]) == 1:
                    sent.append(pk)
                else:
                    errors[pk] = _("邮件服务器未接受该邮件")
            except Exception as exc:
                errors[pk] = f"{type(exc).__name__}: {exc}"
                try:
                    connection.close()
                    connection.open()
                except Exception:  # noqa: S110 — the next send records its own error
                    pass
    finally:
        try:
            connection.close()
        except Exception:
            logger.warning("closing the mail connection failed", exc_info=True)


def notice_emails_requeue(*, now: dt.datetime | None = None) -> int:
    """Enqueue again the e-mails left pending for ``RETRY_AFTER`` (a failed
    send, or an enqueue lost with the broker) and those a dead worker left
    ``sending`` for ``CLAIM_TIMEOUT``. Returns how many were enqueued."""
    now = now or timezone.now()
    ids = list(
        Notice.objects.filter(
            Q(email_status=Email.PENDING) & (Q(email_at__lt=now - RETRY_AFTER) | Q(email_at__isnull=True))
            | Q(email_status=Email.SENDING, email_at__lt=now - CLAIM_TIMEOUT)
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:REQUEUE_LIMIT]
    )
    return notice_emails_enqueue(ids)
