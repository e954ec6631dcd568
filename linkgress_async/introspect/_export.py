"""Open the exporting transaction of a concurrent catalog read and export its snapshot.

The importing connection can start only once it has the snapshot's id, so every round trip
before the export is paid twice on the path an application waits for. A simple-query
message can begin the transaction and export in one round trip, but asyncpg does not return
the rows of a simple query; it does pass the server's notices on. So the message that
begins the transaction also runs a ``DO`` block that raises the exported id (and the state
token the caller asked for) as a notice, and sets the session up. Where ``DO`` cannot run
(plpgsql dropped or its use revoked: the transaction is begun again) or the notice does not
arrive (a proxy that drops notices), the id is asked for in a further round trip. Nothing is
remembered between calls: such servers are rare, and each call finds its own way. The notice
is not logged by the server (below ``log_min_messages``' default); log listeners an
application adds to the pool's connections see it, one per concurrent read. The same way, a
read that keeps the catalog's state reads it in the round trip that commits the exporting
transaction (:func:`commit_and_read`), while the client assembles the catalog.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Final, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from ._queries import OWN_READ_SETUP_VALUES

__all__ = ["BEGIN", "AnyConnection", "begin_and_export", "commit_and_read"]

AnyConnection: TypeAlias = "asyncpg.Connection[Any] | PoolConnectionProxy[Any]"

BEGIN: Final = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"

_TAG: Final = "linkgress snapshot export: "
_END_TAG: Final = "linkgress read end: "
# undefined_object (no language plpgsql), insufficient_privilege (its use revoked).
_NO_DO: Final = frozenset({"42704", "42501"})


def _notice_statement(state: str | None) -> str:
    values = f"({state}), " if state else ""
    # The state is read before the session settings change (it includes some of them).
    return (
        f"{BEGIN}; SET LOCAL client_min_messages = notice; "
        "DO $linkgress_export$ BEGIN "
        f"RAISE NOTICE '{_TAG}%', "
        f"pg_catalog.json_build_array({values}pg_catalog.pg_export_snapshot())::text; "
        f"PERFORM {OWN_READ_SETUP_VALUES}; "
        "END $linkgress_export$"
    )


def _listener(tag: str) -> tuple[list[str], Callable[[Any, asyncpg.PostgresLogMessage], None]]:
    """A log listener that keeps the text after ``tag`` of the notices starting with it, and
    the list it keeps them in."""
    heard: list[str] = []

    def listen(_connection: Any, message: asyncpg.PostgresLogMessage) -> None:
        text = str(getattr(message, "message", ""))
        if text.startswith(tag):
            heard.append(text.removeprefix(tag))

    return heard, listen


def _plain_statement(state: str | None) -> str:
    values = f"{state}, " if state else ""
    return f"SELECT {values}{OWN_READ_SETUP_VALUES}, pg_catalog.pg_export_snapshot()"


async def begin_and_export(conn: AnyConnection, state: str | None) -> tuple[str | None, str]:
    """Begin a repeatable-read, read-only transaction on ``conn``, set the session up and
    export the snapshot: the value of the SQL expression ``state`` (``None`` without one),
    read in that snapshot, and the snapshot's id."""
    heard, listen = _listener(_TAG)
    conn.add_log_listener(listen)
    try:
        await conn.execute(_notice_statement(state))
    except asyncpg.PostgresError as error:
        if error.sqlstate not in _NO_DO:
            raise
        await conn.execute("ROLLBACK")
        await conn.execute(BEGIN)
    else:
        # asyncpg hands a notice to its listeners before the reply it precedes.
        if heard:
            values = json.loads(heard[0])
            return (values[0] if state else None), values[-1]
        # No notice: still in the transaction, whose snapshot is taken; export it plainly.
        # The session is set up already, so the state may read differently (a spelling kept
        # under it is then made again, never wrongly reused).
    finally:
        conn.remove_log_listener(listen)
    row = await conn.fetchrow(_plain_statement(state))
    assert row is not None
    return (row[0] if state else None), row[-1]


async def commit_and_read(conn: AnyConnection, expression: str) -> str | None:
    """Commit ``conn``'s read-only transaction, reading the SQL expression ``expression``
    (text) in its snapshot in the same round trip; ``None`` where that cannot be done (no
    ``DO``, or the notice did not arrive). The transaction is over either way."""
    heard, listen = _listener(_END_TAG)
    conn.add_log_listener(listen)
    try:
        await conn.execute(
            "SET LOCAL client_min_messages = notice; DO $linkgress_end$ BEGIN "
            f"RAISE NOTICE '{_END_TAG}%', ({expression}); END $linkgress_end$; COMMIT"
        )
    except asyncpg.PostgresError:
        # No DO here (or the state cannot be read): the read is complete, and ending its
        # read-only transaction either way leaves the same; the caller does without a state.
        await conn.execute("ROLLBACK")
        return None
    finally:
        conn.remove_log_listener(listen)
    return heard[0] if heard else None
