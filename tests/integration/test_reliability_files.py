"""Migration files that misbehave: COMMIT or ROLLBACK of their own, deadlocks, statement
timeouts, multi-line errors. The journal must still equal what is in the database, and the
error must say so in one line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import anyio
import asyncpg
import pytest

from linkgress_async import (
    DbContext,
    PgClient,
    StatementTimeoutError,
    TransactionEndedError,
    UnresolvedMigrationError,
)
from linkgress_async.migrations import MigrationRunner
from tests.integration.helpers import context, quiet, table


def migration(body: str, *, transactional: bool = True) -> str:
    """A migration file whose ``up`` runs ``body`` (indented lines of Python)."""
    return textwrap.dedent(
        """
        import anyio
        from linkgress_async.migrations import Migration

        class Step(Migration):
            transactional = {transactional}

            async def up(self, db):
        {body}

            async def down(self, db):
                pass
        """
    ).format(transactional=transactional, body=textwrap.indent(textwrap.dedent(body), " " * 8))


FIRST = migration('await db.execute("CREATE TABLE first (id int)")')


async def journal(db: DbContext) -> list[tuple[str, str]]:
    rows = await db.query("SELECT filename, status FROM public.__migrations ORDER BY id")
    return [(row["filename"], row["status"]) for row in rows]


async def exists(db: DbContext, name: str) -> bool:
    rows = await db.query("SELECT to_regclass($1) IS NOT NULL AS found", name)
    return bool(rows[0]["found"])


def write(directory: Path, files: dict[str, str]) -> None:
    directory.mkdir(exist_ok=True)
    for name, source in files.items():
        (directory / name).write_text(source)


async def test_a_file_that_commits_then_fails_is_refused_until_resolved(
    linkgress_dsn: str, tmp_path: Path
) -> None:
    directory = tmp_path / "migrations"
    body = """
        await db.execute("CREATE TABLE half (id int)")
        await db.execute("COMMIT")
        await db.execute("CREATE TABLE other (id int)")
        raise RuntimeError("second half failed")
    """
    write(directory, {"0001_first.py": FIRST, "0002_commits.py": migration(body)})
    async with DbContext(PgClient(dsn=linkgress_dsn)) as db:
        runner = MigrationRunner(db, directory, verbose=False)
        result = await runner.up()
        assert result.applied == ["0001_first.py"]
        assert result.failed is not None
        error = result.failed.error
        assert isinstance(error, TransactionEndedError)
        assert error.filename == "0002_commits.py"
        message = str(error)
        assert "\n" not in message
        assert "COMMIT or ROLLBACK" in message
        assert "resolve('0002_commits.py'" in message
        # Its first half is committed (the COMMIT was the file's own), and the journal says
        # it failed instead of saying nothing.
        assert await exists(db, "public.half")
        assert await journal(db) == [("0001_first.py", "applied"), ("0002_commits.py", "failed")]
        # The next run refuses instead of failing on the half that exists.
        with pytest.raises(UnresolvedMigrationError, match=r"0002_commits\.py"):
            await runner.up()
        statuses = {row.filename: row for row in await runner.status()}
        assert "ran COMMIT or ROLLBACK itself" in (statuses["0002_commits.py"].error or "")
        # Undone by hand and fixed, it runs again.
        await db.execute("DROP TABLE half; DROP TABLE IF EXISTS other")
        await runner.resolve("0002_commits.py", applied=False)
        (directory / "0002_commits.py").write_text(
            migration('await db.execute("CREATE TABLE half (id int)")')
        )
        assert (await runner.up()).applied == ["0002_commits.py"]


async def test_a_file_that_rolls_back_is_refused_not_journaled(
    linkgress_dsn: str, tmp_path: Path
) -> None:
    directory = tmp_path / "migrations"
    body = """
        await db.execute("CREATE TABLE gone (id int)")
        await db.execute("ROLLBACK")
        await db.execute("CREATE TABLE kept (id int)")
    """
    write(directory, {"0001_rolls_back.py": migration(body)})
    async with DbContext(PgClient(dsn=linkgress_dsn)) as db:
        result = await MigrationRunner(db, directory, verbose=False).up()
        assert result.applied == []
        assert result.failed is not None
        assert isinstance(result.failed.error, TransactionEndedError)
        # The work before ROLLBACK is gone, what came after ran on its own: never "applied".
        assert not await exists(db, "public.gone")
        assert await exists(db, "public.kept")
        assert await journal(db) == [("0001_rolls_back.py", "failed")]


@pytest.mark.parametrize("fails", [False, True])
async def test_a_file_that_commits_and_begins_again_is_refused(
    fails: bool, linkgress_dsn: str, tmp_path: Path
) -> None:
    directory = tmp_path / "migrations"
    body = """
        await db.execute("CREATE TABLE early (id int)")
        await db.execute("COMMIT; BEGIN")
        await db.execute("CREATE TABLE late (id int)")
    """
    if fails:
        body += '    await db.execute("SELECT 1/0")\n'
    write(directory, {"0001_splits.py": migration(body)})
    async with DbContext(PgClient(dsn=linkgress_dsn)) as db:
        result = await MigrationRunner(db, directory, verbose=False).up()
        assert result.failed is not None
        assert isinstance(result.failed.error, TransactionEndedError)
        # The part before COMMIT stays; the part after it is rolled back with the journal row.
        assert await exists(db, "public.early")
        assert not await exists(db, "public.late")
        assert await journal(db) == [("0001_splits.py", "failed")]


async def test_a_deadlock_in_a_file_is_retried(linkgress_dsn: str, tmp_path: Path) -> None:
    directory = tmp_path / "migrations"
    marker = tmp_path / "locked-a"
    body = f"""
        await db.execute("SET LOCAL deadlock_timeout = '50ms'")
        await db.execute("LOCK TABLE a")
        import pathlib
        pathlib.Path({str(marker)!r}).write_text("a")
        await db.execute("LOCK TABLE b")
        await db.execute("ALTER TABLE a ADD COLUMN x int")
    """
    write(directory, {"0001_deadlock.py": migration(body)})
    setup = await asyncpg.connect(linkgress_dsn)
    await setup.execute("CREATE TABLE a (id int); CREATE TABLE b (id int)")
    other = await asyncpg.connect(linkgress_dsn)
    try:
        async with DbContext(PgClient(dsn=linkgress_dsn)) as db:
            logged: list[str] = []
            runner = MigrationRunner(db, directory, logger=logged.append, lock_retries=3)

            async def rival() -> None:
                # Holds b, then wants a once the migration holds a: a deadlock, which the
                # server breaks by rolling the migration back (its deadlock_timeout is short).
                async with other.transaction():
                    await other.execute("LOCK TABLE b")
                    while not marker.exists():  # noqa: ASYNC110 - another process's file
                        await anyio.sleep(0.01)
                    await other.execute("SET LOCAL deadlock_timeout = '10s'")
                    await other.execute("LOCK TABLE a")

            async with anyio.create_task_group() as group:
                group.start_soon(rival)
                result = await runner.up()
            assert result.failed is None, result.failed
            assert result.applied == ["0001_deadlock.py"]
            assert any("deadlock" in line and "retrying" in line for line in logged), logged
    finally:
        await other.close()
        await setup.close()


def _sleepy_model(model: object) -> None:
    from linkgress_async import bigint

    table(model, "t", bigint("id").primary_key())  # type: ignore[arg-type]


async def test_command_timeout_is_our_error_naming_the_option(
    linkgress_dsn: str, tmp_path: Path
) -> None:
    directory = tmp_path / "migrations"
    write(directory, {"0001_slow.py": migration('await db.execute("SELECT pg_sleep(5)")')})
    async with DbContext(PgClient(dsn=linkgress_dsn, command_timeout=0.3)) as db:
        result = await MigrationRunner(db, directory, verbose=False).up()
        assert result.failed is not None
        error = result.failed.error
        assert isinstance(error, StatementTimeoutError)
        assert "command_timeout=0.3 s" in str(error)
        assert "migration 0001_slow.py" in str(error)

    async def hook(db: DbContext) -> None:
        await db.execute("SELECT pg_sleep(5)")

    model = context(_sleepy_model, hook)
    async with model(PgClient(dsn=linkgress_dsn, command_timeout=0.3)) as db:
        with pytest.raises(StatementTimeoutError, match=r"command_timeout=0\.3 s"):
            await db.get_schema_manager(out=quiet).migrate()
        assert not await exists(db, "public.t")


async def test_a_multi_line_exception_stays_on_one_line(linkgress_dsn: str, tmp_path: Path) -> None:
    directory = tmp_path / "migrations"
    body = """
        await db.execute("CREATE INDEX CONCURRENTLY ix ON first (id)")
        raise RuntimeError("line one\\nline two\\n  line three")
    """
    write(
        directory,
        {"0001_first.py": FIRST, "0002_multi.py": migration(body, transactional=False)},
    )
    logged: list[str] = []
    async with DbContext(PgClient(dsn=linkgress_dsn)) as db:
        runner = MigrationRunner(db, directory, logger=logged.append)
        result = await runner.up()
        assert result.failed is not None
        assert "line one line two line three" in str(result.failed.error)
        assert "\n" not in str(result.failed.error)
        assert all("\n" not in line for line in logged)
        assert any("line one line two line three" in line for line in logged)
        with pytest.raises(UnresolvedMigrationError) as info:
            await runner.up()
        assert "\n" not in str(info.value)
