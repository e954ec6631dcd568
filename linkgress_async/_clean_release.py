"""Give a pooled connection back without the reset query when its session is known clean.

asyncpg resets every connection it takes back (``pg_advisory_unlock_all(); CLOSE ALL;
UNLISTEN *; RESET ALL``): one more round trip per use, which for the catalog queries (one
short read-only transaction on each of several connections) is a quarter of their round
trips. Code that knows it left the session exactly as it got it (a committed read-only
transaction whose settings were all transaction-local: no lock, cursor, listener or
session setting outlives it) says so with :func:`left_clean`; the pool's reset
(:func:`reset_unless_clean`, installed by :class:`~linkgress_async.PgClient` unless the
user gives a reset of their own) then skips the query once. Everything else is reset as
asyncpg always does.
"""

from __future__ import annotations

from typing import Any

import asyncpg

__all__ = ["left_clean", "reset_unless_clean", "session_changed"]


def left_clean(conn: Any) -> None:
    """Mark ``conn`` (a pool's connection or its proxy) as needing no reset at its release
    (unless :func:`session_changed` noted a change of its session meanwhile)."""
    underlying = getattr(conn, "lk_connection", None)
    if underlying is not None:
        underlying.lk_clean = True


def session_changed(conn: Any) -> None:
    """Note that a session setting of ``conn`` (a pool's connection or its proxy) was changed
    for this use: its release resets it, whatever :func:`left_clean` said."""
    underlying = getattr(conn, "lk_connection", None)
    if underlying is not None:
        underlying.lk_session_changed = True


async def reset_unless_clean(conn: asyncpg.Connection[Any]) -> None:
    """The pool's reset: none for a connection marked by :func:`left_clean` (once) whose
    session no setting was changed in, else asyncpg's own."""
    clean = getattr(conn, "lk_clean", False) and not getattr(conn, "lk_session_changed", False)
    if hasattr(conn, "lk_clean"):
        conn.lk_clean = False
        conn.lk_session_changed = False  # type: ignore[attr-defined]
    if clean and not conn.is_in_transaction():
        return
    await conn.reset()
