"""Rewrites done online: a type change through a new column, a trigger, a batched backfill
and a swap; a new NOT NULL column with a volatile default filled in batches. Writers run
throughout; a backfill killed half-way and run again loses and duplicates no row."""

from __future__ import annotations

import anyio
import asyncpg

from linkgress_async.online.rewrite import HELPER_SUFFIX
from linkgress_async.testing import DatabaseFactory
from tests.integration.helpers import quiet
from tests.integration.online_support import context_on, online_context

ROWS = 5000
MANY = 100_000


def _start(rows: int) -> str:
    return f"""
CREATE SCHEMA app;
CREATE TABLE app.items (id int PRIMARY KEY, amount int, code text);
INSERT INTO app.items SELECT g, g * 3, 'c' || g FROM generate_series(1, {rows}) g;
"""


TARGET = """
CREATE SCHEMA app;
CREATE TABLE app.items (
    id int PRIMARY KEY,
    amount bigint NOT NULL DEFAULT 0,
    code text,
    token uuid NOT NULL DEFAULT gen_random_uuid(),
    seen timestamptz DEFAULT clock_timestamp()
);
"""


async def _writer(dsn: str, stop: anyio.Event, start_id: int, rows: int = ROWS) -> int:
    """Insert and update rows (``amount = id * 3``) until ``stop``; returns rows inserted."""
    conn = await asyncpg.connect(dsn)
    inserted = 0
    try:
        while not stop.is_set():
            new_id = start_id + inserted
            await conn.execute(
                "INSERT INTO app.items (id, amount, code) VALUES ($1, $1 * 3, 'w')", new_id
            )
            inserted += 1
            await conn.execute(
                "UPDATE app.items SET code = 'u' WHERE id = $1", 1 + (inserted * 37) % rows
            )
            await anyio.sleep(0.002)
    finally:
        await conn.close()
    return inserted


async def _check(dsn: str, expected_rows: int) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow(
            "SELECT count(*) AS n, count(DISTINCT id) AS ids,"
            " count(*) FILTER (WHERE amount IS DISTINCT FROM id::bigint * 3) AS wrong,"
            " count(DISTINCT token) AS tokens,"
            " count(*) FILTER (WHERE seen IS NULL) AS unseen,"
            " (SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
            "   WHERE attrelid = 'app.items'::regclass AND attname = 'amount') AS amount_type,"
            " (SELECT count(*) FROM pg_attribute WHERE attrelid = 'app.items'::regclass"
            "   AND attname LIKE $1 AND NOT attisdropped) AS helpers"
            " FROM app.items",
            "%" + HELPER_SUFFIX,
        )
    finally:
        await conn.close()
    assert row is not None
    assert dict(row) == {
        "n": expected_rows,
        "ids": expected_rows,
        "wrong": 0,
        "tokens": expected_rows,
        "unseen": 0,
        "amount_type": "bigint",
        "helpers": 0,
    }


async def test_type_change_and_volatile_default_are_backfilled_under_writers(
    linkgress_databases: DatabaseFactory,
) -> None:
    db, dsn = await online_context(linkgress_databases, _start(ROWS), TARGET)
    lines: list[str] = []
    stop = anyio.Event()
    inserted: list[int] = []

    async def write() -> None:
        inserted.append(await _writer(dsn, stop, 100_000))

    async with db, anyio.create_task_group() as group:
        group.start_soon(write)
        manager = db.get_schema_manager(out=lines.append)
        await manager.migrate(online=True, allow_destructive=True)
        stop.set()
    phases = [line for line in lines if line.startswith("Phase ")]
    text = "\n".join(phases)
    assert "Backfill 'app.items.amount" + HELPER_SUFFIX + "' in batches" in text, text
    assert "Backfill 'app.items.token' in batches" in text, text
    assert "Backfill 'app.items.seen' in batches" in text, text
    assert "Swap in 'app.items.amount' as bigint" in phases[-1], text
    await _check(dsn, ROWS + inserted[0])
    async with context_on(dsn, db.model) as again:
        assert await again.get_schema_manager(out=quiet).analyze() == []


async def test_a_backfill_killed_half_way_converges_without_lost_or_doubled_rows(
    linkgress_databases: DatabaseFactory,
) -> None:
    db, dsn = await online_context(linkgress_databases, _start(MANY), TARGET)
    watcher = await asyncpg.connect(dsn)
    holder = await asyncpg.connect(dsn)
    stop = anyio.Event()
    inserted: list[int] = []

    async def write() -> None:
        inserted.append(await _writer(dsn, stop, 200_000, MANY))

    failures: list[BaseException] = []

    async def migrate() -> None:
        try:
            await db.get_schema_manager(out=quiet, lock_timeout=60).migrate(
                online=True, allow_destructive=True
            )
        except Exception as error:
            failures.append(error)

    try:
        holding = holder.transaction()
        async with db, anyio.create_task_group() as group:
            group.start_soon(write)
            group.start_soon(migrate)
            with anyio.fail_after(30):
                # Once the new column exists (the backfill starts), a row near the end is
                # locked: the backfill's batch that reaches it waits.
                while True:
                    started = await watcher.fetchval(
                        "SELECT count(*) FROM pg_attribute"
                        " WHERE attrelid = 'app.items'::regclass AND attname = $1",
                        "amount" + HELPER_SUFFIX,
                    )
                    if started:
                        break
                    await anyio.sleep(0.005)
                await holding.start()
                await holder.execute("SELECT 1 FROM app.items WHERE id = $1 FOR UPDATE", MANY - 100)
            with anyio.fail_after(30):
                while True:
                    pid = await watcher.fetchval(
                        "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                        " AND state = 'active' AND wait_event_type = 'Lock'"
                        " AND query LIKE 'WITH batch AS%'"
                    )
                    if pid is not None:
                        break
                    await anyio.sleep(0.02)
            done = await watcher.fetchval(
                f"SELECT count(*) FROM app.items WHERE amount{HELPER_SUFFIX} IS NOT NULL"
                " AND id <= $1",
                MANY,
            )
            assert 0 < done < MANY  # killed half-way, writers going on
            await watcher.execute("SELECT pg_terminate_backend($1)", pid)
            await holding.rollback()
            await anyio.sleep(0.2)
            stop.set()
        assert len(failures) == 1
        async with context_on(dsn, db.model) as again:
            lines: list[str] = []
            await again.get_schema_manager(out=lines.append).migrate(
                online=True, allow_destructive=True
            )
            assert any(line.startswith("Resuming online migration") for line in lines), lines
            assert await again.get_schema_manager(out=quiet).analyze() == []
        await _check(dsn, MANY + inserted[0])
    finally:
        await holder.close()
        await watcher.close()
