"""The archive's keys, read from the settings (never from the database).

- ``ANXUN_ARCHIVE_MAC_KEYS``: ``"k2:<base64>,k1:<base64>"``, the first is the
  current key; a record stores the id of the key that made its MAC, so older
  keys stay listed until no record needs them.
- ``ANXUN_ARCHIVE_SIGNING_KEY`` (+ ``ANXUN_ARCHIVE_SIGNING_KEY_ID``): the
  Ed25519 private key that signs checkpoints (PEM or base64 of 32 raw bytes).
- ``ANXUN_ARCHIVE_VERIFY_KEYS``: ``"s1:<base64 public key>,…"``, public keys
  of retired signing keys, so older checkpoints still verify.

Left empty (development, tests), the MAC key and the signing key are derived
from SECRET_KEY with HKDF under labels of their own; production settings
refuse to start that way.
"""

from __future__ import annotations

import functools

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from . import integrity

DEV_KEY_ID = "dev"
MAC_LABEL = "anxun/archive/record-mac/v1"
SIGNING_LABEL = "anxun/archive/checkpoint-ed25519/v1"


def _improper(setting: str, error: Exception) -> ImproperlyConfigured:
    return ImproperlyConfigured(_("%(setting)s 配置错误：%(error)s") % {"setting": setting, "error": error})


@functools.lru_cache(maxsize=8)
def _mac_keys(text: str, secret_key: str) -> tuple[tuple[str, bytes], ...]:
    if not text.strip():
        return ((DEV_KEY_ID, integrity.derive_secret(secret_key, MAC_LABEL)),)
    try:
        keys = integrity.parse_mac_keys(text)
    except ValueError as error:
        raise _improper("ANXUN_ARCHIVE_MAC_KEYS", error) from error
    if not keys:
        raise _improper("ANXUN_ARCHIVE_MAC_KEYS", _("没有密钥"))
    return tuple(keys.items())


def mac_keys() -> dict[str, bytes]:
    """Key id → MAC key, current first."""
    return dict(_mac_keys(settings.ANXUN_ARCHIVE_MAC_KEYS, settings.SECRET_KEY))


def current_mac_key() -> tuple[str, bytes]:
    return _mac_keys(settings.ANXUN_ARCHIVE_MAC_KEYS, settings.SECRET_KEY)[0]


@functools.lru_cache(maxsize=8)
def _signing_key(text: str, key_id: str, secret_key: str) -> tuple[str, Ed25519PrivateKey]:
    if not text.strip():
        return DEV_KEY_ID, Ed25519PrivateKey.from_private_bytes(integrity.derive_secret(secret_key, SIGNING_LABEL))
    if not key_id.strip():
        raise _improper("ANXUN_ARCHIVE_SIGNING_KEY_ID", _("没有密钥编号"))
    try:
        return key_id.strip(), integrity.load_private_key(text)
    except ValueError as error:
        raise _improper("ANXUN_ARCHIVE_SIGNING_KEY", error) from error


def signing_key() -> tuple[str, Ed25519PrivateKey]:
    """(key id, private key) that signs new checkpoints."""
    return _signing_key(settings.ANXUN_ARCHIVE_SIGNING_KEY, settings.ANXUN_ARCHIVE_SIGNING_KEY_ID, settings.SECRET_KEY)


def verify_keys() -> dict[str, Ed25519PublicKey]:
    """Key id → public key: the current signing key's and the retired ones."""
    key_id, private = signing_key()
    try:
        older = integrity.parse_verify_keys(settings.ANXUN_ARCHIVE_VERIFY_KEYS)
    except ValueError as error:
        raise _improper("ANXUN_ARCHIVE_VERIFY_KEYS", error) from error
    return {key_id: private.public_key(), **{k: v for k, v in older.items() if k != key_id}}


def check_configuration() -> list[str]:
    """Every problem with the archive key settings (empty when all load)."""
    problems = []
    for load in (mac_keys, signing_key, verify_keys):
        try:
            load()
        except ImproperlyConfigured as error:
            problems.append(str(error))
    return problems
