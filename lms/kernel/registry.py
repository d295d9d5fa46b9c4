"""Registries the apps below fill from the apps above (the pattern of
healthchecks' ``TRANSPORTS`` and Wagtail's hooks): the lower app names what
it asks for, an upper app registers an entry in its ``AppConfig.ready()``."""

from __future__ import annotations

from collections.abc import Iterator


class Registry:
    """Named entries, iterated in their explicit ``order`` (then by name).
    Registering a name again replaces its entry."""

    def __init__(self, what: str):
        self.what = what
        self._entries: dict[str, tuple[int, object]] = {}
        self._ranked: tuple[tuple[str, object], ...] = ()

    def register(self, name: str, entry, *, order: int = 0) -> None:
        self._entries[name] = (order, entry)
        # Ranked once here: some are read per person in batch loops.
        ranked = sorted(self._entries.items(), key=lambda item: (item[1][0], item[0]))
        self._ranked = tuple((key, value) for key, (_order, value) in ranked)

    def names(self) -> list[str]:
        return [name for name, _entry in self.items()]

    def items(self) -> tuple[tuple[str, object], ...]:
        return self._ranked

    def __iter__(self) -> Iterator:
        return (entry for _name, entry in self._ranked)

    def __contains__(self, name: str) -> bool:
        return name in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"<Registry of {self.what}: {', '.join(self.names()) or 'empty'}>"
