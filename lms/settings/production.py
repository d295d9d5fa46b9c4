"""Production: PostgreSQL, Celery on Redis, object storage, HTTPS.
Refuses to start with development defaults."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F401,F403
from .base import CELERY_BROKER_URL, env
from .caching import cache_settings

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY")
if SECRET_KEY.startswith("dev-insecure") or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY 必须在生产环境中设置为至少 50 个字符的随机值。")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")

# --- issue 16: archive ---
# Keys derived from SECRET_KEY are for development: a leaked SECRET_KEY must
# not also forge archive records and checkpoints (docs/security.md §2).
if not env.str("ANXUN_ARCHIVE_MAC_KEYS", default="").strip():
    raise ImproperlyConfigured("生产环境必须设置 ANXUN_ARCHIVE_MAC_KEYS（培训档案 MAC 密钥，格式 “k1:base64密钥”）。")
if not env.str("ANXUN_ARCHIVE_SIGNING_KEY", default="").strip():
    raise ImproperlyConfigured("生产环境必须设置 ANXUN_ARCHIVE_SIGNING_KEY（档案检查点的 Ed25519 签名私钥）。")

# The cache: CACHE_URL, else Redis where the deployment already has it
# (REDIS_URL, a Redis Celery broker) — then sessions and the logged-in user
# are read from Redis instead of the database on every request.
vars().update(cache_settings(env, fallback_urls=(env.str("REDIS_URL", default=""), CELERY_BROKER_URL)))

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if env.str("AWS_STORAGE_BUCKET_NAME", default=""):
    # S3-compatible object storage (MinIO, OSS, COS …) through django-storages.
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default=None),
            "region_name": env.str("AWS_S3_REGION_NAME", default=None),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }

# HSTS preload is a one-way commitment for the whole domain (subdomains
# included); the operator opts in with SECURE_HSTS_PRELOAD=true.
if not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS = ["security.W021"]

# --- issue 16: personal data ---
# No derived keys in production: losing SECRET_KEY must not expose the ID
# numbers, and rotating it must not make them unreadable.
from cryptography.fernet import Fernet  # noqa: E402

from .base import ANXUN_PII_HASH_KEY, ANXUN_PII_KEYS  # noqa: E402

if not ANXUN_PII_KEYS:
    raise ImproperlyConfigured(
        "生产环境必须设置 ANXUN_PII_KEYS（个人信息加密密钥，Fernet 格式，可用 "
        "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())' 生成）。"
    )
try:
    [Fernet(key) for key in ANXUN_PII_KEYS]
except (ValueError, TypeError):
    raise ImproperlyConfigured("ANXUN_PII_KEYS 中有无效的密钥：每个密钥须为 Fernet 密钥（32 字节的 URL 安全 Base64 编码）。") from None
if len(ANXUN_PII_HASH_KEY) < 32:
    raise ImproperlyConfigured("生产环境必须设置 ANXUN_PII_HASH_KEY（个人信息检索哈希密钥，至少 32 个字符的随机值）。")
