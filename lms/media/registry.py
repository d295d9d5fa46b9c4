"""Who may read a stored file, by the storage path prefix (``upload_to``).

Each app registers, in its ``AppConfig.ready()``, one rule per prefix it
writes files under. A rule gets the request and the file's storage name and
returns a :class:`Grant` (how to send the file) or None (this user may not
read it, or it does not exist: the view answers 404, or the login page for
an anonymous visitor). A path no rule claims is 404. The longest matching
prefix wins, so ``supervision/bundles/`` can differ from ``supervision/``.

Kernel: imports no app; apps fill the registry (like Wagtail's hooks).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Grant:
    """How to send a file the user may read. ``attachment``: download
    rather than show (anything that is not an image, video or PDF);
    ``filename``: the name offered to the browser (default: the stored one)."""

    attachment: bool = True
    filename: str | None = None


Rule = Callable[..., Grant | None]

_RULES: dict[str, Rule] = {}


def register(prefix: str, rule: Rule) -> None:
    """Make ``rule(request, name)`` decide for files stored under ``prefix``
    (a folder, ending in "/")."""
    if not prefix.endswith("/"):
        raise ValueError(f"media prefix {prefix!r} must end with '/'")
    existing = _RULES.get(prefix)
    if existing is not None and existing is not rule:
        raise ValueError(f"media prefix {prefix!r} is already registered")
    _RULES[prefix] = rule


def rule_for(name: str) -> Rule | None:
    """The rule of the longest registered prefix of ``name``, or None."""
    best = None
    for prefix, rule in _RULES.items():
        if name.startswith(prefix) and (best is None or len(prefix) > len(best[0])):
            best = (prefix, rule)
    return best[1] if best else None


def prefixes() -> list[str]:
    return sorted(_RULES)
