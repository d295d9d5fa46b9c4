"""Smoke test of a running production deployment, over HTTP only.

    .venv/bin/python tests/deploy/smoke.py --base-url http://127.0.0.1:PORT --seed-log SEED \\
        --exam-fleet FILE --study-fleet FILE --worker-log LOG --beat-log LOG

``.ci/deploy-smoke`` starts gunicorn, a Celery worker and Celery beat with
production settings as the README says, seeds with ``seed_demo
--logins-only``, ``bench.seed.exam_seed`` and ``bench.seed.heartbeat_seed``, then runs
this. It talks to gunicorn as the TLS-terminating proxy would: plain HTTP
with ``X-Forwarded-Proto: https`` (``SECURE_PROXY_SSL_HEADER``), so the
HTTPS-only behaviour (SSL redirect, secure cookies, Referer-checked CSRF)
is what runs. It checks:

- plain HTTP is redirected to HTTPS, HTTPS pages carry HSTS;
- the login page renders with hashed static names (the manifest is used),
  and a hashed static file is served by whitenoise with a far-future cache;
- every demo login logs in through allauth's form — the privileged ones
  enter the current TOTP code of the secret ``seed_demo`` printed — and
  lands on its home page (200), plus a page of its role;
- an exam autosave and a study heartbeat (the sessions the bench seeds
  made), each answered 200 and visible afterwards;
- a task round-trip through the real worker: HR uploads a staff file that
  is queued (``ANXUN_IMPORT_ASYNC_THRESHOLD=1``), the worker imports it, and
  the API shows the imported person;
- beat loaded the database schedule and its due task ran on the worker.

Stdlib only (no test framework, no Django): a failure prints what was
expected and what came back, and exits 1. Not collected by pytest (not
``test_*.py``).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import http.cookiejar
import io
import json
import re
import struct
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from html.parser import HTMLParser

PASSWORD = "Anxun-demo-2026"  # seed_demo's demo password (README "Demo accounts")

# Every demo login (seed_demo's DEMO_USERS): where allauth lands it, and pages
# of its role that must render too.
ROLES = (
    ("admin@anxun.demo", "/admin/", ("/django-admin/",)),
    ("ea@hxchem.demo", "/admin/", ()),
    ("hr@hxchem.demo", "/admin/", ("/reports/", "/admin/workforce/import/")),
    ("hr@dfmfg.demo", "/admin/", ()),
    ("regulator@suzhou.demo", "/portal/", ("/supervision/",)),
    ("principal@hxchem.demo", "/admin/", ("/reports/",)),
    ("safety@hxchem.demo", "/admin/", ()),
    ("trainer@hxchem.demo", "/admin/", ()),
    ("mentor@hxchem.demo", "/portal/", ("/apprenticeship/",)),
    ("worker@hxchem.demo", "/portal/", ("/learn/", "/exams/", "/certificates/mine/")),
    ("newhire@hxchem.demo", "/portal/", ("/learn/",)),
)
WAIT_SECONDS = 120  # gunicorn up, the import on the worker, beat's task


class SmokeFailure(Exception):
    pass


def check(condition, message: str, response: Response | None = None) -> None:
    if condition:
        return
    if response is not None:
        message += f"\n  {response.method} {response.path} → {response.status}\n  {response.excerpt()}"
    raise SmokeFailure(message)


# --- TOTP (RFC 6238, allauth's defaults: SHA-1, 30 s, 6 digits) ---------------------------------

TOTP_PERIOD = 30
# allauth accepts only the current period's code: don't send one about to roll over (tests/totp.py).
TOTP_MARGIN = 6


def totp_code(secret: str, at: float) -> str:
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(at) // TOTP_PERIOD), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = (struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 10**6
    return f"{value:06d}"


def current_totp(secret: str) -> str:
    left = TOTP_PERIOD - time.time() % TOTP_PERIOD
    if left < TOTP_MARGIN:
        time.sleep(left + 0.05)
    return totp_code(secret, time.time())


def totp_secrets(seed_log: str) -> dict[str, str]:
    """{email: TOTP secret} from seed_demo's summary ("  email" then "    TOTP 密钥：SECRET")."""
    found = dict(re.findall(r"^\s+(\S+@\S+)\s*\n\s+TOTP 密钥：([A-Z2-7]+)\s*$", seed_log, re.MULTILINE))
    check(found, "seed_demo printed no TOTP secret (README: it prints each privileged user's secret)")
    return found


# --- ID numbers for the staff file (GB 11643 check digit) ---------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(body: str) -> str:
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS)) % 11]


# --- HTTP ----------------------------------------------------------------------------------------


class _ProxyCookiePolicy(http.cookiejar.DefaultCookiePolicy):
    """Send Secure cookies over our plain-HTTP hop: the client stands in for
    the proxy that terminates TLS in front of gunicorn."""

    def return_ok_secure(self, cookie, request):
        return True


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # every redirect is looked at by the smoke test


@dataclass
class Response:
    method: str
    path: str
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self):
        return json.loads(self.body)

    def excerpt(self) -> str:
        return re.sub(r"\s+", " ", self.text)[:600]


class _Forms(HTMLParser):
    """The <form>s of a page: action, method and the values its inputs would send."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action") or "", "method": (a.get("method") or "get").lower(),
                               "fields": {}, "options": {}})
        elif not self.forms:
            return
        elif tag == "input" and a.get("name"):
            self.forms[-1]["fields"].setdefault(a["name"], a.get("value") or "")
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self.forms[-1]["options"][self._select] = []
        elif tag == "option" and self._select:
            self.forms[-1]["options"][self._select].append((a.get("value") or "", "selected" in a))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def post_form(page: Response) -> dict:
    forms = _Forms()
    forms.feed(page.text)
    form = next((f for f in forms.forms if f["method"] == "post" and "csrfmiddlewaretoken" in f["fields"]), None)
    check(form is not None, "no POST form with a CSRF token on the page", page)
    return form


class Client:
    """One browser: a cookie jar, every request as if through the HTTPS proxy."""

    def __init__(self, base_url: str):
        self.base = base_url.rstrip("/")
        self.host = urllib.parse.urlsplit(self.base).hostname
        self.origin = "https://" + urllib.parse.urlsplit(self.base).netloc
        self.jar = http.cookiejar.CookieJar(policy=_ProxyCookiePolicy())
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())

    def set_cookie(self, name: str, value: str) -> None:
        self.jar.set_cookie(http.cookiejar.Cookie(
            0, name, value, None, False, self.host, False, False, "/", True, True, None, False, None, None, {}
        ))

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.jar if c.name == name), None)

    def request(self, method: str, path: str, *, body: bytes | None = None, headers: dict | None = None,
                referer: str | None = None, https: bool = True) -> Response:
        req = urllib.request.Request(self.base + path, data=body, method=method)
        if https:
            req.add_header("X-Forwarded-Proto", "https")
        if referer is not None:
            req.add_header("Referer", self.origin + referer)
        for name, value in (headers or {}).items():
            req.add_header(name, value)
        try:
            with self.opener.open(req, timeout=60) as resp:
                return Response(method, path, resp.status, dict(resp.headers.items()), resp.read())
        except urllib.error.HTTPError as err:
            return Response(method, path, err.code, dict(err.headers.items()), err.read())

    def get(self, path: str, **kw) -> Response:
        return self.request("GET", path, **kw)

    def follow(self, response: Response, *, limit: int = 5) -> Response:
        """GET redirect after redirect, each to a path on this site."""
        for _hop in range(limit):
            if response.status not in (301, 302, 303, 307, 308):
                return response
            location = response.headers.get("Location", "")
            split = urllib.parse.urlsplit(location)
            check(not split.netloc or self.origin.endswith(split.netloc),
                  f"redirect off the site: {location}", response)
            response = self.get(urllib.parse.urlunsplit(("", "", split.path, split.query, "")))
        raise SmokeFailure(f"more than {limit} redirects from {response.path}")

    def submit(self, page: Response, values: dict, *, files: dict | None = None) -> Response:
        """POST the page's form with its hidden values and ``values`` (CSRF token and Referer as a browser sends)."""
        form = post_form(page)
        fields = {**form["fields"], **values}
        action = form["action"] or page.path
        if files:
            boundary = uuid.uuid4().hex
            body, content_type = _multipart(fields, files, boundary), f"multipart/form-data; boundary={boundary}"
        else:
            body, content_type = urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded"
        return self.request("POST", action, body=body, headers={"Content-Type": content_type}, referer=page.path)

    def post_json(self, path: str, data: dict, *, referer: str) -> Response:
        headers = {"Content-Type": "application/json", "X-CSRFToken": self.cookie("csrftoken") or ""}
        return self.request("POST", path, body=json.dumps(data).encode(), headers=headers, referer=referer)


def _multipart(fields: dict, files: dict, boundary: str) -> bytes:
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, content, content_type) in files.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                  f"Content-Type: {content_type}\r\n\r\n".encode())
        out.write(content + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue()


# --- the checks ----------------------------------------------------------------------------------


def wait_for_gunicorn(base_url: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        try:
            Client(base_url).get("/accounts/login/")
            return  # any HTTP answer means a worker is up
        except OSError:
            if time.monotonic() > deadline:
                raise SmokeFailure(f"gunicorn did not answer on {base_url} within {WAIT_SECONDS} s") from None
            time.sleep(0.5)


def check_https_and_static(base_url: str) -> None:
    client = Client(base_url)
    plain = client.get("/accounts/login/", https=False)
    check(plain.status == 301 and plain.headers.get("Location", "").startswith("https://"),
          "plain HTTP is not redirected to HTTPS (SECURE_SSL_REDIRECT)", plain)
    page = client.get("/accounts/login/")
    check(page.status == 200, "the login page does not answer 200", page)
    check("max-age=" in page.headers.get("Strict-Transport-Security", ""), "no HSTS header on HTTPS", page)
    hashed = re.search(r'/static/css/anxun\.[0-9a-f]{12}\.css', page.text)
    check(hashed, "the login page does not name the stylesheet by its hashed name (no manifest?)", page)
    static = client.get(hashed.group(0))
    check(static.status == 200 and b"{" in static.body, "the hashed stylesheet is not served", static)
    check("immutable" in static.headers.get("Cache-Control", ""),
          "whitenoise does not serve the hashed file as immutable", static)
    home = client.follow(client.get("/"))
    check(home.status == 200, "the site's home page does not answer 200", home)
    print(f"ok   HTTPS redirect, HSTS, login page, hashed static {hashed.group(0)}, home page", flush=True)


def check_probes(base_url: str) -> None:
    """Issue 19: liveness and readiness over plain HTTP (as a load balancer
    asks: no HTTPS redirect), every dependency ready; /metrics not public."""
    client = Client(base_url)
    live = client.get("/healthz", https=False)
    check(live.status == 200 and live.json() == {"status": "ok"}, "/healthz does not answer 200 over HTTP", live)
    ready = client.get("/readyz", https=False)
    check(ready.status == 200 and ready.json()["status"] == "ok", "/readyz is not ready", ready)
    statuses = {name: c["status"] for name, c in ready.json()["checks"].items()}
    check(statuses == {"database": "ok", "cache": "ok", "broker": "ok", "migrations": "ok"},
          f"/readyz checks: {statuses}", ready)
    metrics = client.get("/metrics", https=False)
    check(metrics.status == 403, "/metrics answers without the token", metrics)
    print(f"ok   /healthz, /readyz {statuses}, /metrics refused without the token", flush=True)


def log_in(base_url: str, email: str, secrets: dict[str, str]) -> tuple[Client, Response]:
    """Log in through allauth's form (and its TOTP step); return the client and the landing page."""
    client = Client(base_url)
    form = client.get("/accounts/login/")
    check(form.status == 200, f"{email}: login page", form)
    response = client.submit(form, {"login": email, "password": PASSWORD})
    check(response.status == 302, f"{email}: the password was not accepted", response)
    location = response.headers["Location"]
    if "/accounts/2fa/authenticate/" in location:
        check(email in secrets, f"{email}: asked for a second factor but seed_demo printed no secret", response)
        step = client.get(urllib.parse.urlsplit(location).path)
        check(step.status == 200, f"{email}: the TOTP step does not render", step)
        response = client.submit(step, {"code": current_totp(secrets[email])})
        check(response.status == 302 and "/accounts/" not in response.headers.get("Location", ""),
              f"{email}: the TOTP code was not accepted", response)
    else:
        check(email not in secrets, f"{email}: privileged, but logged in without a second factor", response)
    return client, client.follow(response)


def check_roles(base_url: str, secrets: dict[str, str]) -> dict[str, Client]:
    clients = {}
    for email, landing, pages in ROLES:
        client, home = log_in(base_url, email, secrets)
        check(home.status == 200 and home.path == landing,
              f"{email}: expected to land on {landing} with 200, got {home.path} {home.status}", home)
        for path in pages:
            page = client.follow(client.get(path))
            check(page.status == 200, f"{email}: {path} does not answer 200", page)
        clients[email] = client
        mfa = " + TOTP" if email in secrets else ""
        print(f"ok   {email}: password{mfa} → {landing} 200" + (f"; {', '.join(pages)} 200" if pages else ""), flush=True)
    return clients


def fleet_client(base_url: str, person: dict) -> Client:
    """A client holding the logged-in session a bench seed made for ``person``."""
    client = Client(base_url)
    client.set_cookie("sessionid", person["sessionid"])
    client.set_cookie("csrftoken", person["csrftoken"])
    return client


def check_autosave(base_url: str, fleet: dict) -> None:
    examinee = fleet["examinees"][0]
    client = fleet_client(base_url, examinee)
    page_path = f"/exams/attempts/{examinee['attempt_id']}/"
    page = client.get(page_path)
    check(page.status == 200, "the examinee's answering page does not answer 200", page)
    check(re.search(r"/static/exams/attempt\.[0-9a-f]{12}\.js", page.text), "attempt.js not by its hashed name", page)
    # What exams/static/exams/attempt.js reads from the page and sends: the save URL, the attempt's
    # token, a question's id as a JSON integer, one string per blank, a sequence number.
    save_url = re.search(r'data-save-url="([^"]+)"', page.text)
    question = re.search(r'data-q="(\d+)"', page.text)
    check(save_url and question, "the answering page names no save URL or question", page)
    answer = f"预防{uuid.uuid4().hex[:6]}"
    saved = client.post_json(save_url.group(1), {"token": examinee["token"], "question": int(question.group(1)),
                                                 "response": [answer], "seq": 1}, referer=page_path)
    check(saved.status == 200 and "saved_at" in saved.json(), "the autosave was not answered 200", saved)
    again = client.get(page_path)
    check(again.status == 200 and answer in again.text, "the saved answer is not on the answering page", again)
    print(f"ok   exam autosave: attempt {examinee['attempt_id']} saved at {saved.json()['saved_at']}, shown again", flush=True)


def check_heartbeat(base_url: str, fleet: dict) -> None:
    learner = fleet["learners"][0]
    client = fleet_client(base_url, learner)
    beat = {"token": learner["token"], "seq": 1, "visible": True, "playing": False, "idle": 0}
    first = client.post_json("/learn/heartbeat/", beat, referer="/learn/")
    check(first.status == 200 and first.json().get("accepted") is True, "the first heartbeat was not accepted", first)
    replay = client.post_json("/learn/heartbeat/", beat, referer="/learn/")
    check(replay.status == 409, "a replayed heartbeat (same sequence number) was not refused", replay)
    print(f"ok   study heartbeat: session {learner['session_id']} beat 1 accepted, its replay refused (409)", flush=True)


def check_import_on_worker(hr: Client) -> None:
    page = hr.get("/admin/workforce/import/")
    check(page.status == 200, "HR's import page does not answer 200", page)
    options = post_form(page)["options"].get("enterprise", [])
    enterprise = next((value for value, selected in options if selected), None) or next(
        (value for value, _selected in options if value), None)
    check(enterprise, "no enterprise to import into", page)
    stamp = time.strftime("%H%M%S")
    header = "工号*,姓名*,身份证号*,手机号,用工形式,所在单位编码,岗位编码,入职日期*,主要负责人,安全管理人员"
    rows = [f"SMOKE{stamp}{n},冒烟测试{n},{id_number(f'110101199001{n + 10:02d}{n:03d}')},,正式员工,,,2026-01-05,否,否"
            for n in (1, 2, 3)]
    content = ("\n".join([header, *rows]) + "\n").encode("utf-8")
    queued = hr.submit(page, {"enterprise": enterprise}, files={"file": ("smoke.csv", content, "text/csv")})
    check(queued.status == 302, "the upload was not accepted", queued)
    job_path = urllib.parse.urlsplit(queued.headers["Location"]).path
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        status = hr.get(f"{job_path}status.json")
        check(status.status == 200, "the import's status does not answer", status)
        if status.json()["finished"]:
            break
        check(time.monotonic() < deadline, f"the worker did not finish the import in {WAIT_SECONDS} s", status)
        time.sleep(0.5)
    check(status.json()["status"] == "succeeded", "the import on the worker did not succeed", status)
    person = hr.get(f"/api/v1/employees/SMOKE{stamp}1/")
    check(person.status == 200 and person.json().get("name") == "冒烟测试1",
          "the person the worker imported is not in the API", person)
    print(f"ok   task round-trip: HR's upload queued, imported by the worker ({job_path}), the API shows it", flush=True)


def wait_for_log(path: str, pattern: str, what: str) -> str:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        with open(path, encoding="utf-8", errors="replace") as fh:
            found = re.search(pattern, fh.read())
        if found:
            return found.group(0)
        if time.monotonic() > deadline:
            raise SmokeFailure(f"{what}: /{pattern}/ not in {path} after {WAIT_SECONDS} s")
        time.sleep(0.5)


def check_beat(beat_log: str, worker_log: str) -> None:
    wait_for_log(beat_log, r"beat: Starting\.\.\.", "beat did not start")
    # django-celery-beat's DatabaseScheduler: the rows the migrations made. The every-minute
    # autosubmit is due at once, and the worker must run it.
    sent = wait_for_log(beat_log, r"Sending due task [^\n]*\(exams\.autosubmit_due\)", "beat sent no due task")
    ran = wait_for_log(worker_log, r"Task exams\.autosubmit_due\[[0-9a-f-]+\] succeeded", "the worker ran no beat task")
    print(f"ok   beat: schedule loaded from the database, {sent.strip()}; worker: {ran}", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base-url", required=True)
    ap.add_argument("--seed-log", required=True, help="seed_demo's output (the TOTP secrets)")
    ap.add_argument("--exam-fleet", required=True, help="bench.seed.exam_seed --fleet")
    ap.add_argument("--study-fleet", required=True, help="bench.seed.heartbeat_seed --fleet")
    ap.add_argument("--worker-log", required=True)
    ap.add_argument("--beat-log", required=True)
    args = ap.parse_args()

    started = time.monotonic()
    try:
        with open(args.seed_log, encoding="utf-8") as fh:
            secrets = totp_secrets(fh.read())
        with open(args.exam_fleet, encoding="utf-8") as fh:
            exam_fleet = json.load(fh)
        with open(args.study_fleet, encoding="utf-8") as fh:
            study_fleet = json.load(fh)
        wait_for_gunicorn(args.base_url)
        check_https_and_static(args.base_url)
        check_probes(args.base_url)
        clients = check_roles(args.base_url, secrets)
        check_autosave(args.base_url, exam_fleet)
        check_heartbeat(args.base_url, study_fleet)
        check_import_on_worker(clients["hr@hxchem.demo"])
        check_beat(args.beat_log, args.worker_log)
    except SmokeFailure as failure:
        print(f"FAIL {failure}", file=sys.stderr)
        return 1
    print(f"deploy smoke passed in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
