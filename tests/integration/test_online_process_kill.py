"""The process running an online migration is killed (SIGKILL) in each phase; run again, the
migration converges with every row and no helper left behind.

Unlike ``test_online_faults`` (the server session ends), here the client process dies and
its server sessions are orphaned: one may still hold or wait for a lock, or finish the
statement it was running, before the server notices. The rerun starts once those sessions
are gone, as an operator's rerun would find them after the server noticed.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path
from typing import Literal

import anyio
import asyncpg
import pytest

from linkgress_async.online.rewrite import HELPER_SUFFIX
from linkgress_async.testing import DatabaseFactory
from tests.integration.helpers import quiet
from tests.integration.online_support import context_on, execute, session_running, target_model

ROOT = Path(__file__).resolve().parents[2]

# The child: the model is the catalog of schema app of the target database.
CHILD = """
import sys, anyio, asyncpg
from linkgress_async import PgClient
from linkgress_async.introspect import introspect
from tests.integration.online_support import OnlineApp

async def main(dsn, target):
    pool = await asyncpg.create_pool(target, min_size=1, max_size=2)
    try:
        model = await introspect(pool, ["app"])
    finally:
        await pool.close()
    db = OnlineApp(PgClient(dsn=dsn))
    db.model = model
    async with db:
        manager = db.get_schema_manager(lock_timeout=60, out=lambda line: print(line, flush=True))
        await manager.migrate(online=True, allow_destructive=True)

anyio.run(main, sys.argv[1], sys.argv[2])
"""

CONSTRAINTS_START = """
CREATE SCHEMA app;
CREATE FUNCTION app.slow_ok(v int) RETURNS boolean LANGUAGE sql
    AS 'SELECT pg_sleep(0.001) IS NOT NULL AND v >= 0';
CREATE TABLE app.items (id int PRIMARY KEY, code text, qty int);
INSERT INTO app.items SELECT g, 'c' || g, g % 7 FROM generate_series(1, 2000) g;
"""
CONSTRAINTS_TARGET = """
CREATE SCHEMA app;
CREATE FUNCTION app.slow_ok(v int) RETURNS boolean LANGUAGE sql
    AS 'SELECT pg_sleep(0.001) IS NOT NULL AND v >= 0';
CREATE TABLE app.items (id int PRIMARY KEY, code text NOT NULL, qty int, note text,
    CONSTRAINT items_slow_check CHECK (app.slow_ok(qty)));
CREATE INDEX ix_items_code ON app.items (code);
"""
REWRITE_START = """
CREATE SCHEMA app;
CREATE TABLE app.items (id int PRIMARY KEY, code text, qty int);
INSERT INTO app.items SELECT g, 'c' || g, g % 7 FROM generate_series(1, 50000) g;
"""
REWRITE_TARGET = """
CREATE SCHEMA app;
CREATE TABLE app.items (id int PRIMARY KEY, code text, qty bigint);
"""

VALIDATING = '%VALIDATE CONSTRAINT "items_slow_check"%'

Phase = Literal["catalog", "concurrent", "validate", "not-null", "backfill", "swap"]


async def _helper_column_exists(watcher: asyncpg.Connection) -> None:
    """Wait until the rewrite's catalog phase has committed its helper column."""
    with anyio.fail_after(60):
        while True:
            if await watcher.fetchval(
                "SELECT count(*) FROM pg_attribute WHERE attrelid = 'app.items'::regclass"
                " AND attname = $1 AND NOT attisdropped",
                "qty" + HELPER_SUFFIX,
            ):
                return
            await anyio.sleep(0.002)


async def _orphans_gone(watcher: asyncpg.Connection, blocker: asyncpg.Connection) -> None:
    """Wait until the killed process's sessions have ended (only the test's are left)."""
    with anyio.fail_after(60):
        while True:
            if not await watcher.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND pid <> $1"
                " AND backend_type = 'client backend'",
                blocker.get_server_pid(),
            ):
                return
            await anyio.sleep(0.05)


async def _block(
    phase: Phase, watcher: asyncpg.Connection, blocker: asyncpg.Connection
) -> int | None:
    """Hold the phase up once it is under way (a lock it waits for, or a slow check); the
    pid of the session running it."""
    if phase == "catalog":
        return await session_running(watcher, "ALTER TABLE%", waiting=True)
    if phase == "concurrent":
        return await session_running(watcher, "CREATE INDEX CONCURRENTLY%", waiting=True)
    if phase == "validate":
        return await session_running(watcher, VALIDATING, waiting=False)
    if phase == "not-null":
        await session_running(watcher, VALIDATING, waiting=False)
        await blocker.fetchval("SELECT count(*) FROM app.items")
        return await session_running(watcher, "%SET NOT NULL%", waiting=True)
    await _helper_column_exists(watcher)
    if phase == "backfill":
        await blocker.execute("SELECT 1 FROM app.items WHERE id = 49000 FOR UPDATE")
        return await session_running(watcher, "WITH batch AS%", waiting=True)
    # swap: the backfill (ROW EXCLUSIVE) goes on past this reader; the swap waits for it.
    await blocker.execute("LOCK TABLE app.items IN ACCESS SHARE MODE")
    return await session_running(watcher, "DROP TRIGGER%", waiting=True)


@pytest.mark.parametrize(
    "phase", ["catalog", "concurrent", "validate", "not-null", "backfill", "swap"]
)
async def test_the_process_killed_in_a_phase_then_run_again_converges(
    linkgress_databases: DatabaseFactory, phase: Phase
) -> None:
    rewrite = phase in ("backfill", "swap")
    start, target = (
        (REWRITE_START, REWRITE_TARGET) if rewrite else (CONSTRAINTS_START, CONSTRAINTS_TARGET)
    )
    model = await target_model(linkgress_databases, target)
    target_dsn = await linkgress_databases.create()
    await execute(target_dsn, target)
    dsn = await linkgress_databases.create()
    await execute(dsn, start)
    watcher = await asyncpg.connect(dsn)
    blocker = await asyncpg.connect(dsn)
    blocking = blocker.transaction(isolation="repeatable_read")
    await blocking.start()
    if phase == "catalog":
        await blocker.execute("LOCK TABLE app.items IN ACCESS SHARE MODE")
    elif phase == "concurrent":
        await blocker.fetchval("SELECT 1")  # a snapshot older than the build
    child = await anyio.open_process(
        [sys.executable, "-c", CHILD, dsn, target_dsn],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        await _block(phase, watcher, blocker)
        child.send_signal(signal.SIGKILL)
        assert await child.wait() == -signal.SIGKILL
        await blocking.rollback()
        await _orphans_gone(watcher, blocker)
        before = await watcher.fetchrow("SELECT count(*) AS n, sum(qty) AS qty FROM app.items")
        assert before is not None
        rows = 50000 if rewrite else 2000
        assert tuple(before) == (rows, sum(g % 7 for g in range(1, rows + 1)))

        lines: list[str] = []
        again = context_on(dsn, model)
        async with again:
            manager = again.get_schema_manager(out=lines.append)
            await manager.migrate(online=True, allow_destructive=True)
            assert any(line.startswith("Resuming online migration #1") for line in lines), lines
            assert await again.get_schema_manager(out=quiet).analyze() == []
        done = await watcher.fetchrow(
            "SELECT count(*) AS n, sum(qty) AS qty,"
            " (SELECT bool_and(indisvalid) FROM pg_index"
            "   WHERE indrelid = 'app.items'::regclass) AS valid,"
            " (SELECT count(*) FROM pg_attribute WHERE attrelid = 'app.items'::regclass"
            "   AND attname LIKE $1 AND NOT attisdropped) AS helpers,"
            " (SELECT count(*) FROM pg_trigger WHERE tgrelid = 'app.items'::regclass"
            "   AND NOT tgisinternal) AS triggers"
            " FROM app.items",
            "%" + HELPER_SUFFIX,
        )
        assert done is not None
        assert (done["n"], done["qty"]) == tuple(before)
        assert (done["valid"], done["helpers"], done["triggers"]) == (True, 0, 0)
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()
        await child.aclose()
        await blocker.close()
        await watcher.close()
