"""What the assembly modules read: a result row indexable by column name."""

from __future__ import annotations

from typing import Any, Protocol

__all__ = ["Row"]


class Row(Protocol):
    """A result row indexable by column name: a decoded JSON object or an ``asyncpg.Record``."""

    def __getitem__(self, key: str, /) -> Any: ...
