"""Settings shared by every environment. Values come from the environment
through django-environ; a bad value fails loudly at start-up."""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from .caching import cache_settings

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env.str("SECRET_KEY", default="dev-insecure-anxun-secret-key-change-me-in-production")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # Anxun
    "lms.accounts",
    "lms.workforce",
    "lms.compliance",
    "lms.archive",
    "lms.supervision",
    "lms.reports",
    "certificates",
    "exams",
    "content",
    "courses",
    "courses.apprenticeship",
    "courses.offline",
    "courses.warning",
    # Wagtail
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtailmedia",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    # Auth
    "allauth",
    "allauth.account",
    "allauth.mfa",
    # API
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Scheduling
    "django_celery_beat",
    # Django
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # The study heartbeat, answered without the rest of the stack when its
    # login checks out (courses/speed.py).
    "courses.speed.HeartbeatMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "lms.accounts.middleware.AuthenticationMiddleware",  # Django's, the user from the shared cache if any
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "lms.accounts.middleware.RequireMFAMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "lms.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

WSGI_APPLICATION = "lms.wsgi.application"

# Database: SQLite file in the project unless DATABASE_URL says otherwise.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + IMMEDIATE transactions: readers never block the writer, and two
    # writers queue instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
    # Permissions that follow from a user's memberships (role in an enterprise).
    "lms.accounts.backends.RolePermissionBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Internationalisation: Chinese first, English through Django i18n.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
WAGTAIL_CONTENT_LANGUAGES = [("zh-hans", "简体中文")]
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "var" / "static")
# The bundled CJK font doubles as the site's last-resort web font (devices
# without a Chinese system font would otherwise show boxes); see anxun.css.
STATICFILES_DIRS = [BASE_DIR / "static", ("fonts", BASE_DIR / "lms" / "archive" / "fonts")]
Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing root
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

# Email
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="安训 <noreply@anxun.local>")

# Cache: allauth's rate limits, TOTP replay protection and cached roles live
# here; with a shared cache (Redis) also the login sessions and the logged-in
# user (lms/settings/caching.py). CACHE_URL, else local memory.
vars().update(cache_settings(env))

# Celery: no broker configured → tasks run in-process (eager), so a fresh
# machine needs no Redis. Set CELERY_BROKER_URL for real workers.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL or None) or None
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# Wagtail
WAGTAIL_SITE_NAME = "安训"
WAGTAILADMIN_BASE_URL = env.str("WAGTAILADMIN_BASE_URL", default="http://127.0.0.1:8000")
WAGTAIL_I18N_ENABLED = False
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "txt", "zip"]

# django-allauth: log in by email or mobile number plus password; no public
# sign-up (accounts are made by HR); MFA by TOTP with recovery codes.
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/portal/"
ACCOUNT_LOGIN_METHODS = {"email", "phone"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_ADAPTER = "lms.accounts.adapter.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_PHONE_VERIFICATION_ENABLED = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_PREVENT_ENUMERATION = True
# Login throttling (allauth's defaults made explicit so nobody drops them by
# accident): 10 failed logins a minute per IP, 5 per account in 5 minutes.
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/300s/key",
    "login": "30/m/ip",
    "reset_password": "20/m/ip,5/m/key",
}
MFA_ADAPTER = "lms.accounts.adapter.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "安训 Anxun"
MFA_RECOVERY_CODE_COUNT = 10

# REST API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "lms.accounts.api_auth.EnterpriseTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": [
        "lms.api.throttling.ApiUserRateThrottle",  # per token, not one bucket for all tokens
        "rest_framework.throttling.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {"user": "1200/min", "anon": "60/min"},
    "EXCEPTION_HANDLER": "lms.api.exceptions.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "安训 Anxun API",
    "DESCRIPTION": "安全培训、考试与持证管理系统的集成接口。令牌绑定单个企业；其他企业的对象一律返回 404。",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI served from our own static files: no CDN (closed networks).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "PREPROCESSING_HOOKS": ["lms.api.schema.only_public_api"],
    # Several models have a "kind" field with different choices; name each enum.
    "ENUM_NAME_OVERRIDES": {
        "OrgUnitKindEnum": "lms.workforce.models.OrgUnit.Kind",
        "AssignmentKindEnum": "lms.workforce.models.PostAssignment.Kind",
        "TrainingKindEnum": "lms.archive.models.TrainingKind",
        "ObligationKindEnum": "lms.compliance.models.ObligationKind",
        # Certificates' "category" and posts' "special_operation" share one choice set;
        # courses' "category" is another.
        "SpecialOperationEnum": "lms.workforce.models.SpecialOperation",
        "CourseCategoryEnum": "courses.models.CourseCategory",
        # A certificate's kind and its state on a day: in the certificate list and the public verification.
        "CertificateKindEnum": "certificates.models.CertificateKind",
        "CertificateStateEnum": "certificates.api.STATES",
    },
}

# Anxun
ANXUN_IMPORT_ASYNC_THRESHOLD = env.int("ANXUN_IMPORT_ASYNC_THRESHOLD", default=2000)
ANXUN_IMPORT_MAX_ROWS = env.int("ANXUN_IMPORT_MAX_ROWS", default=50000)

# Online study time (courses.timing). One 学时 is 45 minutes (common practice,
# shared/RULES.md "Hours"); the archive's manual entry form says the same.
ANXUN_MINUTES_PER_CREDIT_HOUR = env.int("ANXUN_MINUTES_PER_CREDIT_HOUR", default=45)
# Real seconds that count as one minute of study: 60. Tests shorten lessons with it.
ANXUN_STUDY_MINUTE_SECONDS = env.int("ANXUN_STUDY_MINUTE_SECONDS", default=60)
ANXUN_STUDY_HEARTBEAT_SECONDS = env.int("ANXUN_STUDY_HEARTBEAT_SECONDS", default=30)
# PostgreSQL: the heartbeat's two statements are prepared once per connection
# (courses/session_rows.py). Turn off behind a transaction-mode pooler that
# does not support prepared statements.
ANXUN_HEARTBEAT_PREPARED = env.bool("ANXUN_HEARTBEAT_PREPARED", default=True)
# The heartbeat is answered ahead of the middleware stack, its login checked
# in its own SELECT (courses/speed.py); False sends every heartbeat
# through the whole stack.
ANXUN_HEARTBEAT_FAST = env.bool("ANXUN_HEARTBEAT_FAST", default=True)
# A gap longer than interval + slack between two heartbeats earns nothing.
ANXUN_STUDY_HEARTBEAT_SLACK_SECONDS = env.int("ANXUN_STUDY_HEARTBEAT_SLACK_SECONDS", default=15)
# No keyboard, pointer or touch input for this long stops the clock.
ANXUN_STUDY_IDLE_SECONDS = env.int("ANXUN_STUDY_IDLE_SECONDS", default=600)
# Presence checks: asked at a random moment between MIN and MAX seconds after
# the previous one; unanswered after ANSWER seconds, the clock stops.
ANXUN_STUDY_PRESENCE_MIN_SECONDS = env.int("ANXUN_STUDY_PRESENCE_MIN_SECONDS", default=300)
ANXUN_STUDY_PRESENCE_MAX_SECONDS = env.int("ANXUN_STUDY_PRESENCE_MAX_SECONDS", default=1200)
ANXUN_STUDY_PRESENCE_ANSWER_SECONDS = env.int("ANXUN_STUDY_PRESENCE_ANSWER_SECONDS", default=60)
# Most study time credited to one person in one day (minutes).
ANXUN_STUDY_DAILY_CAP_MINUTES = env.int("ANXUN_STUDY_DAILY_CAP_MINUTES", default=480)
# 师带徒 mentor eligibility (RULES.md policy defaults; may only be made
# stricter: the workforce gate enforces 3 years / 2 apprentices on every
# placement) and the pass mark of the practical assessment before working alone.
ANXUN_MENTOR_MIN_YEARS = env.int("ANXUN_MENTOR_MIN_YEARS", default=3)
ANXUN_MENTOR_MAX_APPRENTICES = env.int("ANXUN_MENTOR_MAX_APPRENTICES", default=2)
ANXUN_APPRENTICE_PASS_SCORE = env.int("ANXUN_APPRENTICE_PASS_SCORE", default=80)
# 警示教育: shortest reflection (characters) accepted when a worker completes a campaign online.
ANXUN_WARNING_REFLECTION_MIN_CHARS = env.int("ANXUN_WARNING_REFLECTION_MIN_CHARS", default=20)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}


# --- issue 16: archive ---
# Keys of the tamper-evident archive (lms/archive/keys.py, docs/security.md §2).
# Never stored in the database. Empty = derived from SECRET_KEY (development
# and tests only; production settings refuse to start without them).
# Record MACs: "k2:<base64 ≥32 bytes>,k1:<base64>", the first is current.
ANXUN_ARCHIVE_MAC_KEYS = env.str("ANXUN_ARCHIVE_MAC_KEYS", default="")
# Checkpoint signing key: Ed25519, PEM (PKCS#8) or base64 of the 32 raw bytes, and its id.
ANXUN_ARCHIVE_SIGNING_KEY = env.str("ANXUN_ARCHIVE_SIGNING_KEY", default="", multiline=True)
ANXUN_ARCHIVE_SIGNING_KEY_ID = env.str("ANXUN_ARCHIVE_SIGNING_KEY_ID", default="s1")
# Public keys of retired signing keys: "s1:<base64 raw public key>,…".
ANXUN_ARCHIVE_VERIFY_KEYS = env.str("ANXUN_ARCHIVE_VERIFY_KEYS", default="")
# Folder of the default storage that receives a copy of every signed checkpoint.
ANXUN_ARCHIVE_CHECKPOINT_DIR = env.str("ANXUN_ARCHIVE_CHECKPOINT_DIR", default="archive-checkpoints")
# --- issue 16: personal data ---
# 身份证号 are stored encrypted (lms/pii.py, Fernet). ANXUN_PII_KEYS: Fernet
# keys, comma-separated; the first encrypts, all decrypt — rotate by putting a
# new key first, running `manage.py rotate_pii_keys`, then dropping the old one.
# ANXUN_PII_HASH_KEY: the HMAC key of the searchable hash (≥ 32 characters).
# Unset outside production: both are derived from SECRET_KEY (HKDF, own labels).
ANXUN_PII_KEYS = env.list("ANXUN_PII_KEYS", default=[])
ANXUN_PII_HASH_KEY = env.str("ANXUN_PII_HASH_KEY", default="")
# --- issue 16: private media files and bounded uploads ---
# Files under MEDIA_ROOT are served only by lms.media.views.serve, which asks
# the owning app who may read each one. How the bytes leave: "django"
# (streamed by Django, with byte ranges), "nginx" (X-Accel-Redirect to the
# internal location below) or "xsendfile" (X-Sendfile). With object storage
# (AWS_STORAGE_BUCKET_NAME) the view redirects to a signed URL instead.
ANXUN_MEDIA_SERVE = env.str("ANXUN_MEDIA_SERVE", default="django")
ANXUN_MEDIA_INTERNAL_URL = env.str("ANXUN_MEDIA_INTERNAL_URL", default="/_protected_media/")
ANXUN_MEDIA_URL_EXPIRE_SECONDS = env.int("ANXUN_MEDIA_URL_EXPIRE_SECONDS", default=300)
# Wagtail documents go through Wagtail's serve view (collection privacy), sent
# the same way (django-sendfile2's backends; Wagtail streams when unset).
WAGTAILDOCS_SERVE_METHOD = "serve_view"
SENDFILE_ROOT = str(MEDIA_ROOT)
SENDFILE_URL = ANXUN_MEDIA_INTERNAL_URL.rstrip("/")
if ANXUN_MEDIA_SERVE == "nginx":
    SENDFILE_BACKEND = "django_sendfile.backends.nginx"
elif ANXUN_MEDIA_SERVE == "xsendfile":
    SENDFILE_BACKEND = "django_sendfile.backends.xsendfile"
# Import uploads are deleted this many hours after the import finishes (0 =
# at once); the job keeps the file's name, size and SHA-256.
ANXUN_IMPORT_RETENTION_HOURS = env.int("ANXUN_IMPORT_RETENTION_HOURS", default=0)
# Bounds on every upload: bytes per file; for ZIP containers (.xlsx, .docx,
# .zip) checked before parsing: total uncompressed bytes, compression ratio of
# one member, number of members.
ANXUN_UPLOAD_MAX_BYTES = env.int("ANXUN_UPLOAD_MAX_BYTES", default=20 * 1024 * 1024)
ANXUN_UPLOAD_MAX_INFLATED_BYTES = env.int("ANXUN_UPLOAD_MAX_INFLATED_BYTES", default=100 * 1024 * 1024)
ANXUN_UPLOAD_MAX_ZIP_RATIO = env.int("ANXUN_UPLOAD_MAX_ZIP_RATIO", default=100)
ANXUN_UPLOAD_MAX_ZIP_MEMBERS = env.int("ANXUN_UPLOAD_MAX_ZIP_MEMBERS", default=2000)
# Refuse an oversized upload request (413, Chinese message) before its body is read.
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.csrf.CsrfViewMiddleware"), "lms.uploads.UploadLimitMiddleware")
if ANXUN_MEDIA_SERVE not in ("django", "nginx", "xsendfile"):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("ANXUN_MEDIA_SERVE 只能是 django、nginx 或 xsendfile")
# --- issue 16: headers and exports ---
# Content-Security-Policy (django-csp 4). Our own pages pass it without any
# inline script or style; lms/csp.py relaxes it for Wagtail's admin only.
# ANXUN_CSP_REPORT_ONLY sends the same policy as Content-Security-Policy-Report-Only
# (to try a stricter policy on a live site first); ANXUN_CSP_REPORT_URI, when
# set, is where browsers POST violation reports.
ANXUN_CSP_REPORT_ONLY = env.bool("ANXUN_CSP_REPORT_ONLY", default=False)
ANXUN_CSP_REPORT_URI = env.str("ANXUN_CSP_REPORT_URI", default="")
_CSP = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # The one hash: the <style> Wagtail 8.0's user bar (editors only) puts in
        # its shadow root. A hash admits that exact CSS and nothing else;
        # tests/e2e/test_csp.py names the new hash when a Wagtail upgrade changes it.
        "style-src": ["'self'", "'sha256-AEfgPEmjXwJfYLzSQasddsZAwROKEbpDyZ9DS8Tzfa4='"],
        # QR codes on the certificate pages are data: PNGs.
        "img-src": ["'self'", "data:"],
        "media-src": ["'self'", "blob:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
        **({"report-uri": [ANXUN_CSP_REPORT_URI]} if ANXUN_CSP_REPORT_URI else {}),
    },
}
if ANXUN_CSP_REPORT_ONLY:
    CONTENT_SECURITY_POLICY_REPORT_ONLY = _CSP
else:
    CONTENT_SECURITY_POLICY = _CSP
# Wagtail's dashboard would fetch releases.wagtail.org for superusers: no
# outside origin in connect-src, and closed networks have no route to it.
WAGTAIL_ENABLE_UPDATE_CHECK = False
# After the study heartbeat's short cut (its JSON needs no policy), before the rest.
MIDDLEWARE.insert(
    MIDDLEWARE.index("courses.speed.HeartbeatMiddleware") + 1, "lms.csp.ContentSecurityPolicyMiddleware"
)
# {% load anxun_css %}: the pct_class filter (widths without style="…").
TEMPLATES[0]["OPTIONS"].setdefault("libraries", {})["anxun_css"] = "lms.templatetags.anxun_css"
# --- issue 16: one login door and MFA per session ---
# Every login and password form is allauth's (lms/urls.py sends Wagtail's and
# Django's own to it): its rate limits and the second factor apply everywhere.
WAGTAIL_FRONTEND_LOGIN_URL = LOGIN_URL
WAGTAILADMIN_LOGIN_URL = LOGIN_URL
# One password-reset and one password-change flow: allauth's.
WAGTAIL_PASSWORD_MANAGEMENT_ENABLED = False
WAGTAIL_PASSWORD_RESET_ENABLED = False
# No shared-password page or document restrictions: a password form that is
# nobody's account, with no rate limit. Pages and collections are restricted
# to logged-in users or groups instead.
WAGTAIL_PRIVATE_PAGE_OPTIONS = {"SHARED_PASSWORD": False}
WAGTAILDOCS_PRIVATE_COLLECTION_OPTIONS = {"SHARED_PASSWORD": False}
# A session of a user whose role requires MFA ends after this many seconds
# without a request (lms.accounts.sessions); other sessions last SESSION_COOKIE_AGE.
ANXUN_PRIVILEGED_SESSION_IDLE_SECONDS = env.int("ANXUN_PRIVILEGED_SESSION_IDLE_SECONDS", default=8 * 60 * 60)
if ANXUN_PRIVILEGED_SESSION_IDLE_SECONDS < 60:
    raise ImproperlyConfigured("ANXUN_PRIVILEGED_SESSION_IDLE_SECONDS 至少为 60 秒。")
# --- issue 16: exam autosave fast path ---
# The exam autosave is answered ahead of the middleware stack when its login
# checks out, as the heartbeat is (exams/speed.py, lms/speed/fastpath.py);
# False sends every autosave through the whole stack. Its statements share
# ANXUN_HEARTBEAT_PREPARED.
ANXUN_AUTOSAVE_FAST = env.bool("ANXUN_AUTOSAVE_FAST", default=True)
MIDDLEWARE.insert(MIDDLEWARE.index("courses.speed.HeartbeatMiddleware") + 1, "exams.speed.AutosaveMiddleware")
# --- speed ---
# The speed layer (lms/speed/, docs/decisions/010-speed-layer.md): each
# bypass of Django's own way by name, True (used) or False (Django's way).
# ANXUN_SPEED in the environment (JSON, e.g. '{"autosave": false}') overrides
# these; the older flags ANXUN_HEARTBEAT_FAST, ANXUN_AUTOSAVE_FAST and
# ANXUN_HEARTBEAT_PREPARED still turn theirs off too.
from lms.speed import SWITCHES as _SPEED_SWITCHES  # noqa: E402

ANXUN_SPEED = dict.fromkeys(_SPEED_SWITCHES, True) | env.json("ANXUN_SPEED", default={})
if set(ANXUN_SPEED) - set(_SPEED_SWITCHES):
    raise ImproperlyConfigured(f"ANXUN_SPEED 中有未知的开关：{sorted(set(ANXUN_SPEED) - set(_SPEED_SWITCHES))}")
# --- jobs ---
# A running background job (lms.kernel.jobs) whose heartbeat is older than
# this has lost its worker: the periodic sweep queues it again, or fails it
# after ANXUN_JOB_MAX_ATTEMPTS runs. Above the longest gap between two
# progress reports of any job.
ANXUN_JOB_STALE_SECONDS = env.int("ANXUN_JOB_STALE_SECONDS", default=15 * 60)
ANXUN_JOB_MAX_ATTEMPTS = env.int("ANXUN_JOB_MAX_ATTEMPTS", default=3)
if ANXUN_JOB_STALE_SECONDS < 60 or ANXUN_JOB_MAX_ATTEMPTS < 1:
    raise ImproperlyConfigured("ANXUN_JOB_STALE_SECONDS 至少为 60 秒，ANXUN_JOB_MAX_ATTEMPTS 至少为 1。")
# --- warning education: credit only for time spent (issue 18) ---
# Least time on the study clock (courses.timing, the online courses' rules)
# before a warning-education study may be completed, in study minutes. No
# national text fixes one: a policy default.
ANXUN_WARNING_MIN_MINUTES = env.int("ANXUN_WARNING_MIN_MINUTES", default=10)
if ANXUN_WARNING_MIN_MINUTES < 1:
    raise ImproperlyConfigured("ANXUN_WARNING_MIN_MINUTES 至少为 1 分钟。")
# --- rates: nothing owed is "—", not 100 % (issue 18) ---
# {{ value|rate_text }} / {{ value|percent_text }} (lms/kernel/rates.py).
TEMPLATES[0]["OPTIONS"].setdefault("libraries", {})["anxun_rates"] = "lms.kernel.rates"

# --- deploy (issue 19): pooling and task queues, docs/ops/deploy.md §2 ---
# Behind PgBouncer in transaction mode a server-side cursor (QuerySet.iterator()
# on PostgreSQL) does not survive between transactions: turn them off there.
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool("DATABASE_DISABLE_SERVER_SIDE_CURSORS", default=False)
# Long jobs (imports, certificate batches, regulator bundles, the daily scan and
# checkpoints) on their own queue, so they never delay the minute-by-minute
# tasks (exam auto-submit, notice e-mails). Unset: one queue. Set it only
# together with a worker that consumes it (celery -A lms worker -Q <name>).
ANXUN_CELERY_BULK_TASKS = (
    "workforce.run_import_job", "certificates.batch_run", "supervision.bundle_build",
    "compliance.scan_obligations", "archive.checkpoint_daily", "workforce.purge_import_uploads",
)
ANXUN_CELERY_BULK_QUEUE = env.str("ANXUN_CELERY_BULK_QUEUE", default="")
if ANXUN_CELERY_BULK_QUEUE:
    CELERY_TASK_ROUTES = {name: {"queue": ANXUN_CELERY_BULK_QUEUE} for name in ANXUN_CELERY_BULK_TASKS}

# --- issue 19: health, timeouts, degrading without Redis ---
# First in the stack: /healthz, /readyz and /metrics answered ahead of every
# other middleware, and every other request measured (lms/ops/); then each
# request's database timeouts set by its class (lms/kernel/dbtimeouts.py),
# ahead of the fast paths.
MIDDLEWARE.insert(0, "lms.ops.middleware.OpsMiddleware")
MIDDLEWARE.insert(1, "lms.kernel.dbtimeouts.DatabaseTimeoutMiddleware")
# PostgreSQL statement_timeout and lock_timeout per request class, in ms
# (docs/ops/runbook.md). fast: the heartbeat and the autosave; page: the rest;
# long: reports and exports. Management commands, migrations and Celery: none.
# gunicorn's timeout (lms/gunicorn_conf.py) stays above the longest.
ANXUN_DB_TIMEOUTS = {
    "fast": (env.int("ANXUN_DB_FAST_STATEMENT_MS", default=2000), env.int("ANXUN_DB_FAST_LOCK_MS", default=1000)),
    "page": (env.int("ANXUN_DB_PAGE_STATEMENT_MS", default=10000), env.int("ANXUN_DB_PAGE_LOCK_MS", default=3000)),
    "long": (env.int("ANXUN_DB_LONG_STATEMENT_MS", default=60000), env.int("ANXUN_DB_LONG_LOCK_MS", default=5000)),
}
# Views of the "long" class (fnmatch patterns of view names); requests with
# ?format=xlsx or csv are long as well.
ANXUN_DB_LONG_VIEWS = env.list("ANXUN_DB_LONG_VIEWS", default=[
    "reports:*", "*export*", "*_pdf", "*_xlsx", "certificate:pdf", "certificates:download", "archive:person_file",
])
# /readyz: seconds each check may take at most.
ANXUN_READYZ_TIMEOUT = env.float("ANXUN_READYZ_TIMEOUT", default=3.0)
# /metrics: only with "Authorization: Bearer <ANXUN_METRICS_TOKEN>" or from an
# address in ANXUN_METRICS_ALLOWED_IPS (CIDR list). Neither set: always 403.
ANXUN_METRICS_TOKEN = env.str("ANXUN_METRICS_TOKEN", default="")
ANXUN_METRICS_ALLOWED_IPS = env.list("ANXUN_METRICS_ALLOWED_IPS", default=[])
# Celery queues whose length is exported, and the periodic tasks whose last
# run (duration, end, state) the workers record for /metrics (lms/celery.py).
ANXUN_METRICS_QUEUES = env.list("ANXUN_METRICS_QUEUES", default=["celery"])
ANXUN_METRICS_TASKS = env.list("ANXUN_METRICS_TASKS", default=[
    "compliance.scan_obligations", "compliance.send_notice_emails", "compliance.requeue_notice_emails",
])
# Celery keeps trying the broker — at start and after losing it — so work
# queues again when Redis returns; a web request publishing a task while the
# broker is away gives up within about a second instead of hanging.
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2.0)
# A task whose worker dies goes back on the queue (acks late + reject on
# worker lost); Redis hands an unacknowledged message out again after the
# visibility timeout, which stays above the longest task (the 101,000-person
# scan: 2 minutes; a 10,000-row import: seconds). A job's own lease
# (lms/kernel/jobs.py, ANXUN_JOB_STALE_SECONDS) resumes it sooner.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
# --- operator page 后台任务 (issue 19): lms.ops as an app for its admin hooks and templates ---
INSTALLED_APPS += ["lms.ops"]
# A pending job still not picked up after this many minutes is listed on the
# 后台任务 page as waiting too long (no worker, or a lost message).
ANXUN_JOB_PENDING_ALERT_MINUTES = env.int("ANXUN_JOB_PENDING_ALERT_MINUTES", default=10)
