"""Run the catalog queries: concurrently over a pool on one shared snapshot, or in sequence."""

from __future__ import annotations

from typing import Any, TypeAlias

import anyio
import asyncpg
from asyncpg.pool import PoolConnectionProxy

from linkgress_async._clean_release import left_clean
from linkgress_async.render.quote import render_literal

from ._queries import RIDERS, SESSION_SETUP, Family, sql

__all__ = ["AnyConnection", "FamilyRows", "fetch_concurrently", "fetch_sequentially"]

AnyConnection: TypeAlias = "asyncpg.Connection[Any] | PoolConnectionProxy[Any]"
FamilyRows: TypeAlias = "dict[Family, list[asyncpg.Record]]"

# One round trip both pins the session settings and exports the snapshot.
_EXPORT_SNAPSHOT = f"{SESSION_SETUP}, pg_catalog.pg_export_snapshot()"


async def fetch_sequentially(
    conn: AnyConnection, schemas: list[str], state: list[str] | None = None
) -> FamilyRows:
    """Run every family's query on ``conn``, which must already be inside a transaction
    (``state``: as for :func:`fetch_concurrently`)."""
    if state:
        state[0] = await conn.fetchval(f"SELECT {state[0]}")
    await conn.execute(SESSION_SETUP)
    major = conn.get_server_version().major
    return {family: await conn.fetch(sql(family, major), schemas) for family in Family}


class _Snapshot:
    """What the exporting task shares with the importing ones."""

    def __init__(self, importers: int) -> None:
        self.leader_connected = anyio.Event()
        self.exported = anyio.Event()
        self.all_imported = anyio.Event()
        self.snapshot_id = ""
        self._waiting = importers
        if importers == 0:
            self.all_imported.set()

    def imported(self) -> None:
        self._waiting -= 1
        if self._waiting == 0:
            self.all_imported.set()


async def fetch_concurrently(
    pool: asyncpg.Pool[Any], schemas: list[str], state: list[str] | None = None
) -> FamilyRows:
    """Run every family's query on its own pool connection, all on one exported snapshot.

    With ``state`` (a list holding one SQL expression), the expression is read in the
    snapshot's round trip, before the session settings change, and replaces the list's item.
    """
    riding = {rider for riders in RIDERS.values() for rider in riders}
    leader, *followers = (family for family in Family if family not in riding)
    shared = _Snapshot(len(followers))
    results: FamilyRows = {}

    async def lead() -> None:
        async with pool.acquire() as conn:
            # Followers acquire only once the leader holds a connection, so a small pool can
            # never be filled by followers waiting for a snapshot nobody can export.
            shared.leader_connected.set()
            async with conn.transaction(isolation="repeatable_read", readonly=True):
                if state:
                    setup = SESSION_SETUP.removeprefix("SELECT ")
                    row = await conn.fetchrow(
                        f"SELECT {state[0]}, {setup}, pg_catalog.pg_export_snapshot()"
                    )
                    assert row is not None
                    state[0] = row[0]
                else:
                    row = await conn.fetchrow(_EXPORT_SNAPSHOT)
                    assert row is not None
                shared.snapshot_id = row[-1]
                shared.exported.set()
                major = conn.get_server_version().major
                results[leader] = await conn.fetch(sql(leader, major), schemas)
                # An exported snapshot can be imported only while its transaction is open.
                await shared.all_imported.wait()
            left_clean(conn)

    async def follow(family: Family) -> None:
        await shared.leader_connected.wait()
        async with pool.acquire() as conn:
            async with conn.transaction(isolation="repeatable_read", readonly=True):
                await shared.exported.wait()
                # SET TRANSACTION SNAPSHOT takes no parameters, so the id goes in as a literal.
                snapshot = render_literal(shared.snapshot_id)
                await conn.execute(f"SET TRANSACTION SNAPSHOT {snapshot}; {SESSION_SETUP}")
                shared.imported()
                major = conn.get_server_version().major
                for each in (family, *RIDERS.get(family, ())):
                    results[each] = await conn.fetch(sql(each, major), schemas)
            # A committed read-only transaction with transaction-local settings only.
            left_clean(conn)

    async with anyio.create_task_group() as tg:
        tg.start_soon(lead)
        for family in followers:
            tg.start_soon(follow, family)
    return results
