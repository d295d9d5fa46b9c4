"""Personal information at rest (个人信息保护法 §51: encryption, de-identification).

Kernel module: imports no app. It offers

- :class:`EncryptedTextField` — a model field read and written as plain text
  in Python and stored as a Fernet token (AES-128-CBC + HMAC-SHA256, from the
  maintained ``cryptography`` package). Keys come from ``ANXUN_PII_KEYS``: the
  first key encrypts, every key decrypts, so a key is rotated by putting a new
  one first and running ``manage.py rotate_pii_keys``. A ciphertext cannot be
  searched, so the field refuses every lookup but ``isnull``.
- :class:`BlindIndexField` — the keyed hash (HMAC-SHA256 with
  ``ANXUN_PII_HASH_KEY``) of another field's normalised value, recomputed
  whenever the row is saved: what lookups and unique constraints use.
- :func:`blind_index`, :func:`encrypt`, :func:`decrypt`, :func:`rotate`.

Outside production, both keys default to values derived from ``SECRET_KEY``
with HKDF (each with its own label), so development and tests need no set-up;
production refuses to start without explicit keys (lms/settings/production.py).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import re

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

ENCRYPTION_LABEL = b"anxun pii encryption key v1"
INDEX_LABEL = b"anxun pii blind index key v1"


class PiiKeyError(ImproperlyConfigured):
    """A stored value cannot be decrypted with any configured key."""


@functools.lru_cache(maxsize=8)
def _derive(secret: str, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(secret.encode())


def derived_fernet_key(secret: str) -> str:
    """The development Fernet key derived from ``secret`` (SECRET_KEY)."""
    return base64.urlsafe_b64encode(_derive(secret, ENCRYPTION_LABEL)).decode()


def _configured_keys() -> tuple[str, ...]:
    keys = tuple(k for k in (getattr(settings, "ANXUN_PII_KEYS", None) or ()) if k)
    if keys:
        return keys
    # Derived keys follow SECRET_KEY's own rotation: the current key encrypts,
    # SECRET_KEY_FALLBACKS still decrypt (rotate_pii_keys moves rows on).
    secrets = (settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", ()))
    return tuple(derived_fernet_key(secret) for secret in secrets)


def _configured_index_key() -> bytes:
    key = getattr(settings, "ANXUN_PII_HASH_KEY", "") or ""
    return key.encode() if key else _derive(settings.SECRET_KEY, INDEX_LABEL)


@functools.lru_cache(maxsize=8)
def _multifernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError) as error:
        raise ImproperlyConfigured(
            "ANXUN_PII_KEYS 中有无效的密钥：每个密钥须为 Fernet 密钥（32 字节的 URL 安全 Base64 编码）。"
        ) from error


def _fernet() -> MultiFernet:
    return _multifernet(_configured_keys())


def encrypt(text: str) -> str:
    """``text`` as a Fernet token under the first key of ANXUN_PII_KEYS."""
    return _fernet().encrypt(text.encode()).decode("ascii")


def decrypt(token: str) -> str:
    """The plain text of ``token``; PiiKeyError when no configured key opens it."""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeEncodeError) as error:
        raise PiiKeyError(
            "无法解密已加密的个人信息：ANXUN_PII_KEYS 中没有加密它的密钥（轮换密钥时须保留旧密钥，"
            "直到 rotate_pii_keys 运行完毕）。"
        ) from error


def rotate(token: str) -> str:
    """``token`` re-encrypted under the first key (unchanged text)."""
    try:
        return _fernet().rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken as error:
        raise PiiKeyError("无法解密已加密的个人信息：ANXUN_PII_KEYS 中没有加密它的密钥。") from error


def is_current(token: str) -> bool:
    """Whether ``token`` was encrypted under the first (current) key."""
    try:
        _multifernet(_configured_keys()[:1]).decrypt(token.encode("ascii"))
    except InvalidToken:
        return False
    return True


_SEPARATORS = re.compile(r"[\s\-]")


def normalise(value: str) -> str:
    """What the index hashes: separators removed, letters upper-cased
    (身份证号 ``11010119900307803x`` and ``110101 19900307803X`` are one number)."""
    return _SEPARATORS.sub("", str(value)).upper()


def blind_index(value: str | None) -> str | None:
    """The keyed hash (hex HMAC-SHA256) of ``value`` normalised; None for no value."""
    if value is None or value == "":
        return None
    return hmac.new(_configured_index_key(), normalise(value).encode(), hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):
    """Plain text in Python, a Fernet token in the database. Lookups other
    than ``isnull`` are refused (a ciphertext never equals anything): filter
    on the field's :class:`BlindIndexField` instead."""

    description = "Encrypted text (Fernet)"

    def from_db_value(self, value, expression, connection):
        return None if value is None else decrypt(value)

    def get_db_prep_save(self, value, connection):
        value = super().get_db_prep_save(value, connection)
        if value is None or hasattr(value, "as_sql"):  # NULL, or an expression (rotate_pii_keys writes tokens)
            return value
        return encrypt(str(value))

    def get_lookup(self, lookup_name):
        return super().get_lookup(lookup_name) if lookup_name == "isnull" else None

    def get_transform(self, lookup_name):
        return None


class BlindIndexField(models.CharField):
    """The :func:`blind_index` of the field named ``source``, set on every
    save (``save()``, ``bulk_create``); code that writes rows some other way
    calls :meth:`refresh` first."""

    description = "Keyed hash of another field"

    def __init__(self, *args, source: str, **kwargs):
        self.source = source
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        if kwargs.get("max_length") == 64:
            del kwargs["max_length"]
        kwargs.pop("editable", None)
        return name, path, args, kwargs

    def refresh(self, instance) -> str | None:
        value = blind_index(getattr(instance, self.source))
        setattr(instance, self.attname, value)
        return value

    def pre_save(self, instance, add):
        return self.refresh(instance)
