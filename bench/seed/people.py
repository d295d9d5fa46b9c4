"""People and logged-in sessions for the load benchmarks' seeds
(bench.seed.exam_seed, bench.seed.heartbeat_seed): bulk-created, with
unusable passwords — the load generator sends the session cookie."""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils.crypto import get_random_string

from lms.accounts.models import User

from lms.workforce.models import Employee
from lms.workforce.synthetic import make_id_number


def bench_people(enterprise, unit, count: int, *, username: str, employee_no: str, name: str,
                 first_birth: dt.date) -> list[Employee]:
    """The enterprise's first ``count`` employees (by 工号), each with a user,
    creating what is missing. ``username``/``employee_no``/``name`` are
    prefixes; the person's number follows as five digits."""
    existing = Employee.objects.filter(enterprise=enterprise).count()
    if existing < count:
        numbers = range(existing, count)
        User.objects.bulk_create(
            [
                User(username=f"{username}-{n:05d}", email=f"{username}-{n:05d}@bench.invalid",
                     full_name=f"{name}{n:05d}", password=f"!{secrets.token_urlsafe(30)}")
                for n in numbers
            ],
            batch_size=1000,
        )
        accounts = {u.username: u for u in User.objects.filter(username__in=[f"{username}-{n:05d}" for n in numbers])}
        Employee.objects.bulk_create(
            [
                Employee(
                    enterprise=enterprise, employee_no=f"{employee_no}{n:05d}", name=f"{name}{n:05d}",
                    id_number=make_id_number(seq=n % 1000, birth=first_birth + dt.timedelta(days=n // 1000)),
                    hire_date=dt.date(2020, 1, 1), org_unit=unit, user=accounts[f"{username}-{n:05d}"],
                )
                for n in numbers
            ],
            batch_size=1000,
        )
    return list(Employee.objects.filter(enterprise=enterprise).select_related("user").order_by("employee_no")[:count])


def bench_sessions(users: list[User], now, *, prefix: str) -> dict[int, str]:
    """A logged-in session per user, as ``django.contrib.auth.login`` and
    allauth leave it; the keys start with ``prefix`` (the previous seed's are
    deleted). Returns {user pk: session key}."""
    Session.objects.filter(session_key__startswith=prefix).delete()
    store = SessionStore()
    expires = now + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    rows, keys = [], {}
    for user in users:
        key = prefix + get_random_string(30, "abcdefghijklmnopqrstuvwxyz0123456789")
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
            HASH_SESSION_KEY: user.get_session_auth_hash(),
            "account_authentication_methods": [{"method": "password", "at": now.timestamp(), "email": user.email}],
        }
        rows.append(Session(session_key=key, session_data=store.encode(data), expire_date=expires))
        keys[user.pk] = key
    Session.objects.bulk_create(rows, batch_size=1000)
    return keys
