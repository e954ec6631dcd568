"""An online migration killed in each phase converges when run again.

The migration's backend is terminated from another connection (``pg_terminate_backend``, as
when the process or its server session dies), or its task is cancelled, at a point where the
phase is provably under way: waiting for a lock a test transaction holds, or validating rows
through a deliberately slow check. The next run resumes the recorded run, plans what is left,
and ends with ``analyze() == []``, every index valid and every row still there.
"""

from __future__ import annotations

from typing import Literal

import anyio
import asyncpg
import pytest

from linkgress_async.online import not_null_check_name
from linkgress_async.online.state import latest
from linkgress_async.testing import DatabaseFactory
from tests.integration.helpers import quiet
from tests.integration.online_support import context_on, online_context, session_running

BASE = """
CREATE SCHEMA app;
CREATE FUNCTION app.slow_ok(v int) RETURNS boolean LANGUAGE sql
    AS 'SELECT pg_sleep(0.001) IS NOT NULL AND v >= 0';
CREATE TABLE app.items (id int PRIMARY KEY, code text, qty int);
"""

START = BASE + "INSERT INTO app.items SELECT g, 'c' || g, g % 7 FROM generate_series(1, 1000) g;"

TARGET = (
    BASE
    + """
ALTER TABLE app.items ADD COLUMN note text;
ALTER TABLE app.items ALTER COLUMN code SET NOT NULL;
ALTER TABLE app.items ADD CONSTRAINT items_slow_check CHECK (app.slow_ok(qty));
CREATE INDEX ix_items_code ON app.items (code);
"""
)

VALIDATING = '%VALIDATE CONSTRAINT "items_slow_check"%'

Phase = Literal["catalog", "concurrent", "validate", "not-null"]


async def _state(dsn: str) -> dict[str, object]:
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow(
            "SELECT"
            " (SELECT count(*) FROM app.items) AS rows,"
            " (SELECT sum(qty) FROM app.items) AS qty,"
            " (SELECT count(*) FROM pg_attribute WHERE attrelid = 'app.items'::regclass"
            "   AND attname = 'note') AS note,"
            " (SELECT bool_and(indisvalid) FROM pg_index WHERE indrelid = 'app.items'::regclass)"
            "   AS valid,"
            " (SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
            "   WHERE c.relname = 'ix_items_code') AS code_index,"
            " (SELECT convalidated FROM pg_constraint WHERE conname = 'items_slow_check')"
            "   AS slow_valid,"
            " (SELECT convalidated FROM pg_constraint WHERE conname = $1) AS helper_valid,"
            " (SELECT attnotnull FROM pg_attribute WHERE attrelid = 'app.items'::regclass"
            "   AND attname = 'code') AS code_not_null",
            not_null_check_name("items", "code"),
        )
    finally:
        await conn.close()
    assert row is not None
    return dict(row)


@pytest.mark.parametrize(
    ("phase", "how"),
    [
        ("catalog", "terminate"),
        ("concurrent", "terminate"),
        ("concurrent", "cancel"),
        ("validate", "terminate"),
        ("not-null", "terminate"),
    ],
)
async def test_killed_in_a_phase_then_run_again_converges(
    linkgress_databases: DatabaseFactory, phase: Phase, how: str
) -> None:
    db, dsn = await online_context(linkgress_databases, START, TARGET)
    watcher = await asyncpg.connect(dsn)
    blocker = await asyncpg.connect(dsn)
    blocking = blocker.transaction(isolation="repeatable_read")
    await blocking.start()
    if phase == "catalog":
        # ALTER TABLE waits for ACCESS EXCLUSIVE behind this reader.
        await blocker.execute("LOCK TABLE app.items IN ACCESS SHARE MODE")
    elif phase == "concurrent":
        # A snapshot older than the build: CREATE INDEX CONCURRENTLY waits for it to end,
        # after its index exists (invalid).
        await blocker.fetchval("SELECT 1")
    outcome: list[BaseException | None] = []
    scope = anyio.CancelScope()

    async def migrate() -> None:
        with scope:
            try:
                await db.get_schema_manager(out=quiet, lock_timeout=60).migrate(
                    online=True, allow_destructive=True
                )
            except Exception as error:
                outcome.append(error)
            else:
                outcome.append(None)

    try:
        async with db, anyio.create_task_group() as group:
            group.start_soon(migrate)
            if phase == "catalog":
                pid = await session_running(watcher, "ALTER TABLE%", waiting=True)
            elif phase == "concurrent":
                pid = await session_running(watcher, "CREATE INDEX CONCURRENTLY%", waiting=True)
            elif phase == "validate":
                pid = await session_running(watcher, VALIDATING, waiting=False)
            else:
                await session_running(watcher, VALIDATING, waiting=False)
                # A reader from now on: SET NOT NULL, after the validations, waits for it.
                await blocker.fetchval("SELECT count(*) FROM app.items")
                pid = await session_running(watcher, "%SET NOT NULL%", waiting=True)
            if how == "cancel":
                scope.cancel()
            else:
                await watcher.execute("SELECT pg_terminate_backend($1)", pid)
        if how == "cancel":
            assert outcome == []
        else:
            assert len(outcome) == 1
            assert outcome[0] is not None
        await blocking.rollback()

        left = await _state(dsn)
        assert (left["rows"], left["qty"]) == (1000, 3003)
        if phase == "catalog":
            assert left["note"] == 0  # the transaction was rolled back whole
        elif phase == "concurrent":
            assert left["valid"] is False  # the interrupted build's index, invalid
        elif phase == "validate":
            assert left["slow_valid"] is False
        else:
            assert left["helper_valid"] is True
            assert left["code_not_null"] is False

        lines: list[str] = []
        again = context_on(dsn, db.model)
        async with again:
            manager = again.get_schema_manager(out=lines.append)
            await manager.migrate(online=True, allow_destructive=True)
            assert any(line.startswith("Resuming online migration #1") for line in lines), lines
            assert await manager.analyze() == []
            async with again.client.acquire() as conn:
                record = await latest(conn, "public")
        assert record is not None
        assert (record.status, record.resumed_from) == ("finished", 1)
        done = await _state(dsn)
        assert (done["rows"], done["qty"], done["note"]) == (1000, 3003, 1)
        assert done["valid"] is True
        assert done["code_index"] == 1
        assert done["slow_valid"] is True
        assert done["helper_valid"] is None  # the helper check is gone
        assert done["code_not_null"] is True
    finally:
        await blocker.close()
        await watcher.close()
