"""Crash safety: a killed runner process, and connections terminated mid-migration.

Each scenario checks the three promises: nothing half-applied (schema and journal as before
the interrupted migration), the advisory lock released, and the next run applying cleanly.
"""

from __future__ import annotations

import os
import signal
import sys
import textwrap
from pathlib import Path

import anyio
import asyncpg
import pytest

from linkgress_async import (
    ConnectionLostError,
    DbContext,
    DbModelConfig,
    MigrationError,
    PgClient,
    UnresolvedMigrationError,
    bigint,
    text,
)
from linkgress_async.migrations import MigrationRunner
from tests.integration.helpers import context, quiet, table

ROOT = Path(__file__).resolve().parents[2]

RUN_UP = """
import sys
import anyio
from linkgress_async import DbContext, PgClient
from linkgress_async.migrations import MigrationRunner

async def main() -> None:
    async with DbContext(PgClient(dsn=sys.argv[1])) as db:
        await MigrationRunner(db, sys.argv[2], verbose=False).up()

anyio.run(main)
"""

FIRST = """
from linkgress_async.migrations import Migration

class CreateItems(Migration):
    async def up(self, db):
        await db.execute("CREATE TABLE items (id int PRIMARY KEY)")

    async def down(self, db):
        await db.execute("DROP TABLE items")
"""

# Mid-way (after its first DDL) the migration tells the test, through a marker file, that
# it is there, then sleeps so the test can kill it. Without the environment variable (the
# rerun) it just runs through.
MIDWAY = """
import os
from pathlib import Path

from linkgress_async.migrations import Migration

class Halfway(Migration):
    transactional = {transactional}

    async def up(self, db):
        await db.execute("CREATE TABLE half (x int)")
        marker = os.environ.get("LK_CRASH_MARKER")
        if marker:
            Path(marker).write_text("mid-way")
            await db.execute("SELECT pg_sleep(60) /* lk-crash-test */")
        await db.execute("ALTER TABLE half ADD COLUMN y int")

    async def down(self, db):
        await db.execute("DROP TABLE half")
"""


def write_files(directory: Path, *, transactional: bool = True) -> None:
    directory.mkdir()
    (directory / "0001_items.py").write_text(FIRST)
    (directory / "0002_half.py").write_text(MIDWAY.format(transactional=transactional))


async def advisory_locks(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        found = await conn.fetchval(
            "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database"
            " WHERE l.locktype = 'advisory' AND d.datname = current_database()"
        )
        return int(found)
    finally:
        await conn.close()


async def journal_and_half(db: DbContext) -> tuple[list[str], bool]:
    rows = await db.query("SELECT filename FROM public.__migrations ORDER BY id")
    half = await db.query("SELECT to_regclass('public.half') IS NOT NULL AS found")
    return [row["filename"] for row in rows], bool(half[0]["found"])


async def kill_mid_migration(dsn: str, tmp_path: Path, directory: Path) -> None:
    """Run ``up()`` in a subprocess, SIGKILL it once the migration is mid-way."""
    script = tmp_path / "run_up.py"
    script.write_text(RUN_UP)
    marker = tmp_path / "marker"
    env = {**os.environ, "LK_CRASH_MARKER": str(marker)}
    process = await anyio.open_process(
        [sys.executable, str(script), dsn, str(directory)], cwd=ROOT, env=env
    )
    try:
        with anyio.fail_after(60):
            while not marker.exists():
                assert process.returncode is None, "the runner exited before the marker"
                await anyio.sleep(0.02)
        # Mid-way for real: the runner holds its advisory lock.
        assert await advisory_locks(dsn) == 1
        process.send_signal(signal.SIGKILL)
        await process.wait()
        assert process.returncode == -signal.SIGKILL
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await process.aclose()


async def test_sigkill_mid_migration_leaves_it_unapplied(
    linkgress_dsn: str, tmp_path: Path
) -> None:
    directory = tmp_path / "migrations"
    write_files(directory)
    await kill_mid_migration(linkgress_dsn, tmp_path, directory)
    async with DbContext(PgClient(dsn=linkgress_dsn)) as db:
        # As before 0002: its table is not there and the journal knows only 0001.
        assert await journal_and_half(db) == (["0001_items.py"], False)
        # The server drops the dead runner's session (client_connection_check_interval)
        # and with it the lock, so the next run gets the lock and applies 0002 cleanly.
        result = await MigrationRunner(db, directory, verbose=False, lock_timeout=30).up()
        assert result.failed is None, result.failed
        assert (result.applied, result.skipped) == (["0002_half.py"], ["0001_items.py"])
        assert await journal_and_half(db) == (["0001_items.py", "0002_half.py"], True)
        cols = await db.query("SELECT * FROM half")
        assert cols == []
    assert await advisory_locks(linkgress_dsn) == 0


async def test_sigkill_mid_non_transactional_migration_is_refused_until_resolved(
    linkgress_dsn: str, tmp_path: Path
) -> None:
    directory = tmp_path / "migrations"
    write_files(directory, transactional=False)
    await kill_mid_migration(linkgress_dsn, tmp_path, directory)
    async with DbContext(PgClient(dsn=linkgress_dsn)) as db:
        runner = MigrationRunner(db, directory, verbose=False, lock_timeout=30)
        # Autocommit: the first DDL stayed. The journal says the file was interrupted, so the
        # next run neither skips it nor runs it again over the half-made change.
        assert (await journal_and_half(db))[1]
        with pytest.raises(UnresolvedMigrationError, match=r"0002_half\.py.*interrupted") as info:
            await runner.up()
        assert "resolve('0002_half.py', applied=True)" in str(info.value)
        assert await runner.get_applied() == ["0001_items.py"]
        status = {s.filename: s for s in await runner.status()}
        assert not status["0002_half.py"].applied
        assert "interrupted" in (status["0002_half.py"].error or "")
        # The way out: undo by hand, mark it for another run, run.
        await db.execute("DROP TABLE half")
        await runner.resolve("0002_half.py", applied=False)
        assert (await runner.up()).applied == ["0002_half.py"]
        assert await journal_and_half(db) == (["0001_items.py", "0002_half.py"], True)


# --- a terminated backend -----------------------------------------------------------------


async def terminate_when_sleeping(dsn: str, tag: str) -> int:
    """Wait for a backend running ``pg_sleep`` tagged ``tag``, terminate it, return its pid."""
    conn = await asyncpg.connect(dsn)
    try:
        with anyio.fail_after(30):
            while True:
                pid = await conn.fetchval(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                    " AND state = 'active' AND position($1 in query) > 0"
                    " AND pid <> pg_backend_pid()",
                    tag,
                )
                if pid is not None:
                    break
                await anyio.sleep(0.02)
        assert await conn.fetchval("SELECT pg_terminate_backend($1)", pid)
        return int(pid)
    finally:
        await conn.close()


def terminate_model(model: DbModelConfig) -> None:
    table(model, "accounts", bigint("id").primary_key(), text("name"))
    table(model, "orders", bigint("id").primary_key(), text("what"), schema="shop")


async def test_terminated_connection_during_migrate(linkgress_dsn: str) -> None:
    sleeping = {"on": True}

    async def hook(db: DbContext) -> None:
        if sleeping["on"]:
            await db.query("SELECT pg_sleep(30) /* lk-terminate-migrate */")

    async with context(terminate_model, hook)(PgClient(dsn=linkgress_dsn, max_size=2)) as db:
        sm = db.get_schema_manager(out=quiet)
        plan = await sm.analyze()
        assert len(plan) == 3

        async def migrate() -> None:
            with pytest.raises(ConnectionLostError, match="nothing of it was applied") as info:
                await sm.migrate()
            assert "schema migration" in str(info.value)
            assert "its server session is gone, and its locks with it" in str(info.value)
            assert info.value.outcome == "not applied"

        async with anyio.create_task_group() as group:
            group.start_soon(migrate)
            await terminate_when_sleeping(linkgress_dsn, "lk-terminate-migrate")

        assert await advisory_locks(linkgress_dsn) == 0
        # Nothing half-applied: the same plan is still to do; no schema, no table.
        assert await sm.analyze() == plan
        rows = await db.query(
            "SELECT to_regclass('public.accounts') AS a, to_regnamespace('shop') AS s"
        )
        assert tuple(rows[0].values()) == (None, None)
        # The broken connection did not go back to the pool: the same client works.
        sleeping["on"] = False
        assert await sm.migrate() == plan
        assert await sm.analyze() == []


async def test_terminated_connection_during_up(linkgress_dsn: str, tmp_path: Path) -> None:
    directory = tmp_path / "migrations"
    directory.mkdir()
    (directory / "0001_items.py").write_text(FIRST)
    (directory / "0002_slow.py").write_text(
        textwrap.dedent(
            """
            from linkgress_async.migrations import Migration

            class Slow(Migration):
                async def up(self, db):
                    await db.execute("CREATE TABLE half (x int)")
                    await db.execute("SELECT pg_sleep(30) /* lk-terminate-up */")

                async def down(self, db):
                    await db.execute("DROP TABLE half")
            """
        )
    )
    async with DbContext(PgClient(dsn=linkgress_dsn, max_size=2)) as db:
        runner = MigrationRunner(db, directory, verbose=False)

        async def up() -> None:
            with pytest.raises(ConnectionLostError, match=r"0002_slow\.py.*nothing of it") as info:
                await runner.up()
            assert "its server session is gone, and its locks with it" in str(info.value)
            assert info.value.outcome == "not applied"

        async with anyio.create_task_group() as group:
            group.start_soon(up)
            await terminate_when_sleeping(linkgress_dsn, "lk-terminate-up")

        assert await advisory_locks(linkgress_dsn) == 0
        # 0001 was committed before; 0002 left nothing behind.
        assert await journal_and_half(db) == (["0001_items.py"], False)
        (directory / "0002_slow.py").write_text(FIRST.replace("items", "half"))
        result = await runner.up()
        assert result.applied == ["0002_slow.py"]
        assert await journal_and_half(db) == (["0001_items.py", "0002_slow.py"], True)


# --- a non-transactional migration that fails part-way ------------------------------------

PARTIAL = """
from linkgress_async.migrations import Migration

class Indexes(Migration):
    transactional = False

    async def up(self, db):
        await db.execute("CREATE INDEX CONCURRENTLY ix_a ON items (id)")
        await db.execute("CREATE INDEX CONCURRENTLY ix_b ON {table} (id)")

    async def down(self, db):
        await db.execute("DROP INDEX CONCURRENTLY IF EXISTS ix_b")
        await db.execute("DROP INDEX CONCURRENTLY IF EXISTS ix_a")
"""


async def indexes(db: DbContext) -> list[str]:
    rows = await db.query(
        "SELECT indexname FROM pg_indexes WHERE indexname IN ('ix_a', 'ix_b') ORDER BY 1"
    )
    return [row["indexname"] for row in rows]


@pytest.mark.parametrize("resolution", ["finished-by-hand", "run-again"])
async def test_non_transactional_failure_is_recorded_and_refused_until_resolved(
    linkgress_dsn: str, tmp_path: Path, resolution: str
) -> None:
    (tmp_path / "0001_items.py").write_text(FIRST)
    (tmp_path / "0002_indexes.py").write_text(PARTIAL.format(table="no_such_table"))
    async with DbContext(PgClient(dsn=linkgress_dsn)) as db:
        runner = MigrationRunner(db, tmp_path, verbose=False)
        result = await runner.up()
        assert result.applied == ["0001_items.py"]
        assert result.failed is not None
        assert result.failed.filename == "0002_indexes.py"
        error = result.failed.error
        assert isinstance(error, UnresolvedMigrationError)
        assert isinstance(error.__cause__, asyncpg.UndefinedTableError)
        assert error.filename == "0002_indexes.py"
        assert "failed part-way outside a transaction" in str(error)
        assert "stay applied" in str(error)
        assert "resolve('0002_indexes.py', applied=True)" in str(error)
        # Part-way indeed: the first index exists.
        assert await indexes(db) == ["ix_a"]

        # Recorded as failed, not applied, with what went wrong.
        assert await runner.get_applied() == ["0001_items.py"]
        assert await runner.get_pending() == ["0002_indexes.py"]
        status = {s.filename: s for s in await runner.status()}
        assert not status["0002_indexes.py"].applied
        assert "UndefinedTableError" in (status["0002_indexes.py"].error or "")
        rows = await db.query(
            "SELECT status, error FROM __migrations WHERE filename = $1", "0002_indexes.py"
        )
        assert rows[0]["status"] == "failed"
        assert 'relation "no_such_table" does not exist' in rows[0]["error"]

        # Neither skipped nor re-run: up() and down() refuse and name the way out.
        for call in (runner.up, runner.down):
            with pytest.raises(UnresolvedMigrationError, match=r"0002_indexes\.py failed part-way"):
                await call()
        assert await indexes(db) == ["ix_a"]
        with pytest.raises(MigrationError, match=r"0001_items\.py is recorded as applied"):
            await runner.resolve("0001_items.py", applied=True)

        if resolution == "finished-by-hand":
            await db.execute("CREATE INDEX ix_b ON items (id)")
            await runner.resolve("0002_indexes.py", applied=True)
            result = await runner.up()
            assert (result.applied, result.skipped) == ([], ["0001_items.py", "0002_indexes.py"])
        else:
            await db.execute("DROP INDEX ix_a")
            (tmp_path / "0002_indexes.py").write_text(PARTIAL.format(table="items"))
            await runner.resolve("0002_indexes.py", applied=False)
            assert (await runner.up()).applied == ["0002_indexes.py"]
        assert await indexes(db) == ["ix_a", "ix_b"]
        assert await runner.get_applied() == ["0001_items.py", "0002_indexes.py"]
        assert [s.error for s in await runner.status()] == [None, None]
