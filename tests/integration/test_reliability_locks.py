"""Lock safety: DDL waits at most ``lock_timeout`` for a table lock, then retries with back-off.

A second connection keeps a transaction open on the table, as a long report query or a
forgotten ``BEGIN`` would. Without a lock timeout, ``ALTER TABLE`` would queue behind it and
every later query on the table would queue behind the ``ALTER TABLE``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import asyncpg
import pytest

from linkgress_async import DbContext, DbModelConfig, PgClient, TableLockTimeoutError, bigint, text
from linkgress_async.execute.retry import LockPolicy, is_lock_timeout
from linkgress_async.migrations import MigrationRunner
from tests.integration.helpers import context, quiet, table


def v1(model: DbModelConfig) -> None:
    table(model, "accounts", bigint("id").primary_key(), text("name"))


def v2(model: DbModelConfig) -> None:
    table(model, "accounts", bigint("id").primary_key(), text("name"), text("email"))


@asynccontextmanager
async def holding(dsn: str, mode: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection whose open transaction holds ``accounts`` in ``mode`` until it ends."""
    holder = await asyncpg.connect(dsn)
    try:
        transaction = holder.transaction()
        await transaction.start()
        assert mode in ("ACCESS SHARE", "ACCESS EXCLUSIVE")
        await holder.execute(f"LOCK TABLE accounts IN {mode} MODE")
        try:
            yield holder
        finally:
            if not holder.is_closed():
                await transaction.rollback()
    finally:
        await holder.close()


async def email_column(db: DbContext) -> bool:
    rows = await db.query(
        "SELECT count(*) AS n FROM pg_attribute WHERE attrelid = 'accounts'::regclass"
        " AND attname = 'email' AND NOT attisdropped"
    )
    return bool(rows[0]["n"])


async def start_at_v1(dsn: str) -> None:
    async with context(v1)(PgClient(dsn=dsn)) as db:
        await db.get_schema_manager(out=quiet).ensure_created()


async def test_migrate_retries_until_the_lock_is_released(linkgress_dsn: str) -> None:
    await start_at_v1(linkgress_dsn)
    lines: list[str] = []
    retried = anyio.Event()

    def out(line: str) -> None:
        lines.append(line)
        if "retrying in" in line:
            retried.set()

    async with (
        holding(linkgress_dsn, "ACCESS EXCLUSIVE") as holder,
        context(v2)(PgClient(dsn=linkgress_dsn)) as db,
    ):
        sm = db.get_schema_manager(out=out, lock_timeout=0.1, lock_retries=20)
        async with anyio.create_task_group() as group:

            async def release() -> None:
                # The holder's transaction ends only after migrate() gave up at least once.
                await retried.wait()
                await holder.execute("ROLLBACK")

            group.start_soon(release)
            applied = await sm.migrate()
        assert [op.type for op in applied] == ["add_column"]
        assert any("lock_timeout=0.1 s; retrying in" in line for line in lines)
        assert await email_column(db)
        assert await sm.analyze() == []


async def test_migrate_gives_up_after_the_last_retry_and_applies_nothing(
    linkgress_dsn: str,
) -> None:
    await start_at_v1(linkgress_dsn)
    lines: list[str] = []
    async with (
        holding(linkgress_dsn, "ACCESS SHARE"),
        context(v2)(PgClient(dsn=linkgress_dsn)) as db,
    ):
        sm = db.get_schema_manager(out=lines.append, lock_timeout=0.1, lock_retries=2)
        plan = await sm.analyze()
        with pytest.raises(TableLockTimeoutError) as info:
            await sm.migrate()
        error = info.value
        assert error.attempts == 3
        assert error.statement is not None
        assert "ALTER TABLE" in error.statement
        message = str(error)
        assert "lock_timeout=0.1 s in 3 attempts" in message
        assert "accounts (AccessShareLock" in message  # who holds the table
        assert "nothing was applied" in message
        assert "raise lock_timeout= or lock_retries=" in message
        assert sum("retrying in" in line for line in lines) == 2
        assert is_lock_timeout(error)
        assert not await email_column(db)
        assert await sm.analyze() == plan


MIGRATION = """
from linkgress_async.migrations import Migration

class AddEmail(Migration):
    async def up(self, db):
        await db.execute("ALTER TABLE accounts ADD COLUMN email text")

    async def down(self, db):
        await db.execute("ALTER TABLE accounts DROP COLUMN email")
"""


async def test_runner_retries_until_the_lock_is_released(
    linkgress_dsn: str, tmp_path: Path
) -> None:
    await start_at_v1(linkgress_dsn)
    (tmp_path / "0001_email.py").write_text(MIGRATION)
    lines: list[str] = []
    retried = anyio.Event()

    def log(line: str) -> None:
        lines.append(line)
        if "retrying in" in line:
            retried.set()

    async with (
        holding(linkgress_dsn, "ACCESS EXCLUSIVE") as holder,
        DbContext(PgClient(dsn=linkgress_dsn)) as db,
    ):
        runner = MigrationRunner(db, tmp_path, logger=log, ddl_lock_timeout=0.1, lock_retries=20)
        async with anyio.create_task_group() as group:

            async def release() -> None:
                await retried.wait()
                await holder.execute("ROLLBACK")

            group.start_soon(release)
            result = await runner.up()
        assert result.failed is None, result.failed
        assert result.applied == ["0001_email.py"]
        assert any("Migration 0001_email.py: a lock was not free" in line for line in lines)
        assert await email_column(db)


async def test_runner_gives_up_after_the_last_retry_and_applies_nothing(
    linkgress_dsn: str, tmp_path: Path
) -> None:
    await start_at_v1(linkgress_dsn)
    (tmp_path / "0001_email.py").write_text(MIGRATION)
    async with (
        holding(linkgress_dsn, "ACCESS SHARE"),
        DbContext(PgClient(dsn=linkgress_dsn)) as db,
    ):
        runner = MigrationRunner(db, tmp_path, verbose=False, ddl_lock_timeout=0.1, lock_retries=1)
        result = await runner.up()
        assert result.applied == []
        assert result.failed is not None
        assert result.failed.filename == "0001_email.py"
        error = result.failed.error
        assert isinstance(error, TableLockTimeoutError)
        assert error.attempts == 2
        assert "Migration 0001_email.py could not get a lock" in str(error)
        assert "raise ddl_lock_timeout= or lock_retries=" in str(error)
        assert await runner.get_applied() == []
        assert not await email_column(db)


def test_back_off_is_bounded_and_jittered() -> None:
    policy = LockPolicy(lock_timeout=2.5, retries=4, base_delay=0.2, max_delay=1.0)
    assert policy.setting == "2500"
    assert LockPolicy(lock_timeout=None).setting == "0"
    for attempt, ceiling in enumerate([0.2, 0.4, 0.8, 1.0, 1.0]):
        delays = [policy.delay(attempt) for _ in range(50)]
        assert all(0 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1
    with pytest.raises(ValueError, match="lock_retries"):
        LockPolicy(retries=-1)
