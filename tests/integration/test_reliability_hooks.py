"""The post-migration hook runs inside the plan's transaction, retries included.

A hook that raises rolls back the whole ``migrate()`` (and ``ensure_created()``): proved by
``test_atomic_plans.py::test_failing_hook_rolls_back_everything``. Here the hook waits for a
lock: the plan and the hook are retried together, so each attempt starts from scratch.
"""

from __future__ import annotations

import anyio
import asyncpg
import pytest

from linkgress_async import (
    DbContext,
    DbModelConfig,
    PgClient,
    TableLockTimeoutError,
    bigint,
    text,
)
from tests.integration.helpers import context, table


def model(model: DbModelConfig) -> None:
    table(model, "accounts", bigint("id").primary_key(), text("name"))


async def test_hook_waiting_for_a_lock_retries_plan_and_hook_together(linkgress_dsn: str) -> None:
    calls: list[int] = []

    async def hook(db: DbContext) -> None:
        calls.append(len(calls))
        await db.query("LOCK TABLE ops.audit IN SHARE MODE")
        await db.query("INSERT INTO ops.audit VALUES ('migrated')")

    holder = await asyncpg.connect(linkgress_dsn)
    try:
        await holder.execute("CREATE SCHEMA ops; CREATE TABLE ops.audit (what text)")
        lines: list[str] = []
        retried = anyio.Event()

        def out(line: str) -> None:
            lines.append(line)
            if "retrying in" in line:
                retried.set()

        transaction = holder.transaction()
        await transaction.start()
        await holder.execute("LOCK TABLE ops.audit IN ACCESS EXCLUSIVE MODE")
        async with context(model, hook)(PgClient(dsn=linkgress_dsn)) as db:
            sm = db.get_schema_manager(out=out, lock_timeout=0.1, lock_retries=20)
            async with anyio.create_task_group() as group:

                async def release() -> None:
                    await retried.wait()
                    await transaction.rollback()

                group.start_soon(release)
                applied = await sm.migrate()
            # The first attempt's CREATE TABLE was rolled back with its hook: the retry
            # created the table again without "already exists", and the hook ran again.
            assert [op.type for op in applied] == ["create_table"]
            assert len(calls) >= 2
            assert await sm.analyze() == []
            rows = await db.query("SELECT what FROM ops.audit")
            assert [row["what"] for row in rows] == ["migrated"]
    finally:
        await holder.close()


async def test_hook_that_never_gets_its_lock_leaves_nothing(linkgress_dsn: str) -> None:
    async def hook(db: DbContext) -> None:
        await db.query("LOCK TABLE ops.audit IN SHARE MODE")

    holder = await asyncpg.connect(linkgress_dsn)
    try:
        await holder.execute("CREATE SCHEMA ops; CREATE TABLE ops.audit (what text)")
        transaction = holder.transaction()
        await transaction.start()
        await holder.execute("LOCK TABLE ops.audit IN ROW EXCLUSIVE MODE")
        async with context(model, hook)(PgClient(dsn=linkgress_dsn)) as db:
            sm = db.get_schema_manager(out=lambda _: None, lock_timeout=0.1, lock_retries=1)
            plan = await sm.analyze()
            with pytest.raises(TableLockTimeoutError, match=r"ops.audit \(RowExclusiveLock"):
                await sm.migrate()
            assert await sm.analyze() == plan
        await transaction.rollback()
    finally:
        await holder.close()
