"""Shared setup of the online migration tests: a database as it is, a model as it should be.

The model is the catalog of a second database built from ``target`` SQL, so a test states
both sides as plain SQL.
"""

from __future__ import annotations

import anyio
import asyncpg

from linkgress_async import DbContext, DbModelConfig, PgClient
from linkgress_async.introspect import introspect
from linkgress_async.testing import DatabaseFactory


class OnlineApp(DbContext):
    """A context whose model is set by the test."""

    def setup_model(self, model: DbModelConfig) -> None:
        pass


async def execute(dsn: str, sql: str) -> None:
    """Run ``sql`` on its own connection."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def target_model(databases: DatabaseFactory, target: str) -> object:
    """The catalog of schema ``app`` of a new database where ``target`` ran."""
    dsn = await databases.create()
    await execute(dsn, target)
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
    try:
        return await introspect(pool, ["app"])
    finally:
        await pool.close()
        await databases.drop(dsn)


async def online_context(
    databases: DatabaseFactory, start: str, target: str, **client: object
) -> tuple[OnlineApp, str]:
    """A context on a new database holding ``start``, its model ``target``; and its DSN."""
    model = await target_model(databases, target)
    dsn = await databases.create()
    await execute(dsn, start)
    db = OnlineApp(PgClient(dsn=dsn, **client))  # type: ignore[arg-type]
    db.model = model  # type: ignore[assignment]
    return db, dsn


def context_on(dsn: str, model: object) -> OnlineApp:
    """Another context on ``dsn`` with ``model`` (a rerun in a new process)."""
    db = OnlineApp(PgClient(dsn=dsn))
    db.model = model  # type: ignore[assignment]
    return db


async def session_running(watcher: asyncpg.Connection, pattern: str, *, waiting: bool) -> int:
    """The pid of another session running a statement like ``pattern`` (``waiting``: one
    waiting for a lock), polled for up to 60 s."""
    with anyio.fail_after(60):
        while True:
            pid = await watcher.fetchval(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND state = 'active' AND query LIKE $1"
                " AND (NOT $2 OR wait_event_type = 'Lock')",
                pattern,
                waiting,
            )
            if pid is not None:
                return int(pid)
            await anyio.sleep(0.01)
