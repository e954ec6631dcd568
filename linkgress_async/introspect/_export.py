"""Open the transactions of a concurrent catalog read on one snapshot.

The exporting connection begins its transaction and exports the snapshot; the other one
begins its own at the same moment (:func:`begin_with_snapshot`) and compares: two snapshots
that are equal (the same ``pg_current_snapshot()``: the same transactions in progress and
completed) see exactly the same rows, so in the usual case, where no transaction ended
between the two, the import and the round trip it waits for are not needed. Only when they
differ does the second connection take the exported snapshot (:func:`join_snapshot`), one
round trip later, as it always did before.

A simple-query message can begin a transaction and read values in one round trip, but
asyncpg does not return the rows of a simple query; it does pass the server's notices on.
So the message that begins a transaction also runs a ``DO`` block that raises the values
(the snapshot, the exported id, the state token the caller asked for) as a notice, and sets
the session up. Where ``DO`` cannot run (plpgsql dropped or its use revoked: the transaction
is begun again) or the notice does not arrive (a proxy that drops notices), the exporter asks
for its values in a further round trip and the other connection imports. Nothing is
remembered between calls: such servers are rare, and each call finds its own way. The notice
is not logged by the server (below ``log_min_messages``' default); log listeners an
application adds to the pool's connections see it, two per concurrent read. The same way, a
read that keeps the catalog's state reads it in the round trip that commits the exporting
transaction (:func:`commit_and_read`), while the client assembles the catalog.
"""

from __future__ import annotations

import json
from typing import Any, Final, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from attrs import frozen

from linkgress_async.render.quote import render_literal

from ._queries import OWN_READ_SETUP, OWN_READ_SETUP_VALUES

__all__ = [
    "BEGIN",
    "NO_DO_STATES",
    "AnyConnection",
    "Export",
    "begin_and_export",
    "begin_with_snapshot",
    "commit_and_read",
    "heard",
    "join_snapshot",
    "raising",
]

AnyConnection: TypeAlias = "asyncpg.Connection[Any] | PoolConnectionProxy[Any]"

BEGIN: Final = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"

_TAG: Final = "linkgress snapshot export: "
_SNAPSHOT_TAG: Final = "linkgress snapshot: "
_END_TAG: Final = "linkgress read end: "
# undefined_object (no language plpgsql), insufficient_privilege (its use revoked).
NO_DO_STATES: Final = frozenset({"42704", "42501"})


def _notice_statement(state: str | None) -> str:
    values = f"({state}), " if state else ""
    # The state is read before the session settings change (it includes some of them).
    return f"{BEGIN}; " + raising(
        _TAG,
        f"pg_catalog.json_build_array({values}pg_catalog.pg_current_snapshot()::text,"
        " pg_catalog.pg_export_snapshot())::text",
        after=f"PERFORM {OWN_READ_SETUP_VALUES};",
    )


def raising(tag: str, expression: str, *, before: str = "", after: str = "") -> str:
    """SQL to run in a transaction: a ``DO`` block that raises the value of the SQL
    expression ``expression`` (text) as a notice starting with ``tag``, between the PL/pgSQL
    statements ``before`` and ``after`` (notices enabled for the transaction first).
    :func:`heard` runs it and keeps what was raised."""
    return (
        "SET LOCAL client_min_messages = notice; DO $linkgress$ BEGIN "
        f"{before} RAISE NOTICE '{tag}%', ({expression}); {after} END $linkgress$"
    )


async def heard(conn: AnyConnection, sql: str, tag: str) -> list[str]:
    """Run the simple query ``sql`` on ``conn``: the texts after ``tag`` of the notices it
    raised that start with it (asyncpg hands a notice to its listeners before the reply it
    precedes)."""
    texts: list[str] = []

    def listen(_connection: Any, message: asyncpg.PostgresLogMessage) -> None:
        text = str(getattr(message, "message", ""))
        if text.startswith(tag):
            texts.append(text.removeprefix(tag))

    conn.add_log_listener(listen)
    try:
        await conn.execute(sql)
    finally:
        conn.remove_log_listener(listen)
    return texts


def _plain_statement(state: str | None) -> str:
    values = f"{state}, " if state else ""
    return (
        f"SELECT {values}{OWN_READ_SETUP_VALUES}, pg_catalog.pg_current_snapshot()::text,"
        " pg_catalog.pg_export_snapshot()"
    )


@frozen
class Export:
    """An exported snapshot: its id (for ``SET TRANSACTION SNAPSHOT``) and what
    ``pg_current_snapshot()`` says of it."""

    snapshot_id: str
    snapshot: str


async def begin_and_export(conn: AnyConnection, state: str | None) -> tuple[str | None, Export]:
    """Begin a repeatable-read, read-only transaction on ``conn``, set the session up and
    export the snapshot: the value of the SQL expression ``state`` (``None`` without one),
    read in that snapshot, and the export."""
    try:
        raised = await heard(conn, _notice_statement(state), _TAG)
    except asyncpg.PostgresError as error:
        if error.sqlstate not in NO_DO_STATES:
            raise
        await conn.execute("ROLLBACK")
        await conn.execute(BEGIN)
    else:
        if raised:
            values = json.loads(raised[0])
            return (values[0] if state else None), Export(values[-1], values[-2])
        # No notice: still in the transaction, whose snapshot is taken; export it plainly.
        # The session is set up already, so the state may read differently (a spelling kept
        # under it is then made again, never wrongly reused).
    row = await conn.fetchrow(_plain_statement(state))
    assert row is not None
    return (row[0] if state else None), Export(row[-1], row[-2])


async def begin_with_snapshot(conn: AnyConnection) -> str | None:
    """Begin a repeatable-read, read-only transaction on ``conn`` and set the session up, in
    one round trip: what ``pg_current_snapshot()`` says of its snapshot. ``None`` where that
    cannot be known (no ``DO``, or the notice did not arrive): no transaction is open then."""
    begin = f"{BEGIN}; " + raising(
        _SNAPSHOT_TAG,
        "pg_catalog.pg_current_snapshot()::text",
        after=f"PERFORM {OWN_READ_SETUP_VALUES};",
    )
    try:
        raised = await heard(conn, begin, _SNAPSHOT_TAG)
    except asyncpg.PostgresError as error:
        if error.sqlstate not in NO_DO_STATES:
            raise
        await conn.execute("ROLLBACK")
        return None
    if not raised:
        await conn.execute("ROLLBACK")
        return None
    return raised[0]


async def join_snapshot(conn: AnyConnection, own: str | None, export: Export) -> bool:
    """Make the transaction of ``conn`` read ``export``'s snapshot: ``own`` is what
    :func:`begin_with_snapshot` returned on it. When the two snapshots are the same, nothing
    is sent; else the transaction (if any) is rolled back and begun again on the exported
    snapshot, in one round trip. Whether the snapshot was imported."""
    if own is not None and own == export.snapshot:
        return False
    # SET TRANSACTION SNAPSHOT takes no parameters, so the id goes in as a literal.
    again = "ROLLBACK; " if own is not None else ""
    await conn.execute(
        f"{again}{BEGIN}; SET TRANSACTION SNAPSHOT {render_literal(export.snapshot_id)};"
        f" {OWN_READ_SETUP}"
    )
    return True


async def commit_and_read(conn: AnyConnection, expression: str) -> str | None:
    """Commit ``conn``'s read-only transaction, reading the SQL expression ``expression``
    (text) in its snapshot in the same round trip; ``None`` where that cannot be done (no
    ``DO``, or the notice did not arrive). The transaction is over either way."""
    try:
        raised = await heard(conn, raising(_END_TAG, expression) + "; COMMIT", _END_TAG)
    except asyncpg.PostgresError:
        # No DO here (or the state cannot be read): the read is complete, and ending its
        # read-only transaction either way leaves the same; the caller does without a state.
        await conn.execute("ROLLBACK")
        return None
    return raised[0] if raised else None
