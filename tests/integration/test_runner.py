"""The migration runner against a real PostgreSQL."""

from __future__ import annotations

import sys
import textwrap
import time
from pathlib import Path

import anyio
import asyncpg
import pytest

from linkgress_async import DbContext, PgClient
from linkgress_async.errors import (
    ChecksumMismatchError,
    MigrationFileError,
    MigrationLockTimeoutError,
    MissingMigrationError,
)
from linkgress_async.migrations import Migration, MigrationRunner, MigrationStatus
from linkgress_async.migrations.journal import Journal
from tests.integration.models import AppDatabase


def write_migration(
    directory: Path,
    filename: str,
    up: str,
    down: str = "",
    *,
    header: str = "",
    class_body: str = "",
) -> Path:
    """Write a migration file whose up/down run the given SQL with db.execute."""
    directory.mkdir(parents=True, exist_ok=True)
    source = (
        "from linkgress_async.migrations import Migration\n"
        f"{header}\n\n"
        "class TheMigration(Migration):\n"
        f"{textwrap.indent(class_body, '    ')}\n"
        "    async def up(self, db):\n"
        f"        await db.execute({up!r})\n\n"
        "    async def down(self, db):\n"
        f"        await db.execute({down or 'SELECT 1'!r})\n"
    )
    path = directory / filename
    path.write_text(source, encoding="utf-8")
    return path


def three_migrations(directory: Path) -> None:
    write_migration(
        directory,
        "20240101_000000_create_items.py",
        "CREATE TABLE items (id int PRIMARY KEY, name text)",
        "DROP TABLE items",
    )
    write_migration(
        directory,
        "20240102_000000_add_price.py",
        "ALTER TABLE items ADD COLUMN price numeric",
        "ALTER TABLE items DROP COLUMN price",
    )
    write_migration(
        directory,
        "20240103_000000_seed.py",
        "INSERT INTO items (id, name) VALUES (1, 'one')",
        "DELETE FROM items WHERE id = 1",
    )


def runner(db: DbContext, directory: Path, **options: object) -> MigrationRunner:
    options.setdefault("verbose", False)
    return MigrationRunner(db, migrations_directory=directory, **options)  # type: ignore[arg-type]


async def columns(db: DbContext, table: str) -> list[str]:
    rows = await db.query(
        "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0"
        " AND NOT attisdropped ORDER BY attnum",
        table,
    )
    return [row["attname"] for row in rows]


async def test_up_status_down_round_trip(linkgress_dsn: str, tmp_path: Path) -> None:
    three_migrations(tmp_path)
    async with DbContext(PgClient(dsn=linkgress_dsn)) as db:
        r = runner(db, tmp_path)
        assert await r.get_applied() == []
        assert await r.get_pending() == [
            "20240101_000000_create_items.py",
            "20240102_000000_add_price.py",
            "20240103_000000_seed.py",
        ]
        result = await r.up()
        assert result.applied == await r.get_pending() + await r.get_applied()
        assert result.skipped == []
        assert result.failed is None
        assert await columns(db, "items") == ["id", "name", "price"]
        status = await r.status()
        assert [s.filename for s in status] == result.applied
        assert all(s.applied and s.applied_at is not None for s in status)

        reverted = await r.down(2)
        assert reverted.applied == ["20240103_000000_seed.py", "20240102_000000_add_price.py"]
        assert reverted.failed is None
        assert await columns(db, "items") == ["id", "name"]
        assert await r.get_applied() == ["20240101_000000_create_items.py"]
        status = await r.status()
        assert status[1] == MigrationStatus("20240102_000000_add_price.py", False, None)

        again = await r.up()
        assert again.applied == ["20240102_000000_add_price.py", "20240103_000000_seed.py"]
        assert again.skipped == ["20240101_000000_create_items.py"]
        assert (await r.down()).applied == ["20240103_000000_seed.py"]
        rows = await db.query("SELECT count(*) AS n FROM items")
        assert rows[0]["n"] == 0


async def test_second_up_skips_everything(linkgress_dsn: str, tmp_path: Path) -> None:
    three_migrations(tmp_path)
    async with DbContext(PgClient(dsn=linkgress_dsn)) as db:
        first = await runner(db, tmp_path).up()
        second = await runner(db, tmp_path).up()
        assert second.applied == []
        assert second.skipped == first.applied
        assert await runner(db, tmp_path).get_pending() == []
        rows = await db.query("SELECT filename, checksum, duration_ms FROM public.__migrations")
        assert len(rows) == 3
        assert all(len(row["checksum"]) == 64 and row["duration_ms"] >= 0 for row in rows)


async def test_failure_rolls_back_that_migration_and_stops(
    linkgress_dsn: str, tmp_path: Path
) -> None:
    three_migrations(tmp_path)
    write_migration(
        tmp_path,
        "20240102_000000_add_price.py",
        "ALTER TABLE items ADD COLUMN price numeric; ALTER TABLE nowhere ADD COLUMN x int",
    )
    async with DbContext(PgClient(dsn=linkgress_dsn)) as db:
        r = runner(db, tmp_path)
        result = await r.up()
        assert result.applied == ["20240101_000000_create_items.py"]
        assert result.failed is not None
        assert result.failed.filename == "20240102_000000_add_price.py"
        assert isinstance(result.failed.error, asyncpg.UndefinedTableError)
        # The first statement of the failed migration was rolled back with it.
        assert await columns(db, "items") == ["id", "name"]
        assert await r.get_applied() == ["20240101_000000_create_items.py"]
        rows = await db.query("SELECT count(*) AS n FROM items")
        assert rows[0]["n"] == 0


async def test_migration_queries_run_in_its_transaction(linkgress_dsn: str, tmp_path: Path) -> None:
    # db.query inside up() must see the migration's own uncommitted changes and the
    # journal row must be part of the same transaction.
    (tmp_path / "20240101_000000_check.py").write_text(
        textwrap.dedent(
            """
            from linkgress_async.migrations import Migration

            class Check(Migration):
                async def up(self, db):
                    await db.query("CREATE TABLE t (x int)")
                    rows = await db.query(
                        "SELECT count(*) AS n FROM pg_locks"
                        " WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
                    )
                    assert rows[0]["n"] == 1, "not on the runner's connection"
                    async with db.transaction():
                        await db.query("INSERT INTO t VALUES (1)")
                    raise RuntimeError("boom")

                async def down(self, db):
                    pass
            """
        )
    )
    async with DbContext(PgClient(dsn=linkgress_dsn)) as db:
        result = await runner(db, tmp_path).up()
        assert result.failed is not None
        assert str(result.failed.error) == "boom"
        assert (await db.query("SELECT to_regclass('t') IS NULL AS gone"))[0]["gone"]
        assert await runner(db, tmp_path).get_applied() == []


ROOT = Path(__file__).resolve().parents[2]

COUNTING = "CREATE TABLE IF NOT EXISTS runs (filename text); INSERT INTO runs VALUES ('{}')"


def counting_migrations(directory: Path, n: int, sleep: float = 0.01) -> list[str]:
    names = [f"20240101_{i:06d}_m.py" for i in range(n)]
    for name in names:
        write_migration(directory, name, COUNTING.format(name) + f"; SELECT pg_sleep({sleep})")
    return names


async def assert_each_once(dsn: str, names: list[str]) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        journal = await conn.fetch("SELECT filename FROM public.__migrations ORDER BY filename")
        assert [row["filename"] for row in journal] == names
        runs = await conn.fetch("SELECT filename, count(*) AS n FROM runs GROUP BY filename")
        assert sorted(row["filename"] for row in runs) == names
        assert {row["n"] for row in runs} == {1}
    finally:
        await conn.close()


async def test_concurrent_runners_apply_each_file_once(linkgress_dsn: str, tmp_path: Path) -> None:
    names = counting_migrations(tmp_path, 5)
    results = []

    async def run_one() -> None:
        async with DbContext(PgClient(dsn=linkgress_dsn, min_size=1, max_size=2)) as db:
            results.append(await runner(db, tmp_path).up())

    async with anyio.create_task_group() as group:
        for _ in range(10):
            group.start_soon(run_one)
    assert all(r.failed is None for r in results)
    assert sorted(name for r in results for name in r.applied) == names
    # Every runner either applied a file or saw it as done.
    assert all(sorted(r.applied + r.skipped) == names for r in results)
    await assert_each_once(linkgress_dsn, names)


SCRIPT = """
import sys
import anyio
from linkgress_async import DbContext, PgClient
from linkgress_async.migrations import MigrationRunner

async def main() -> None:
    async with DbContext(PgClient(dsn=sys.argv[1])) as db:
        result = await MigrationRunner(db, sys.argv[2], verbose=False).up()
    assert result.failed is None, result.failed
    print(len(result.applied))

anyio.run(main)
"""


async def test_concurrent_processes_apply_each_file_once(
    linkgress_dsn: str, tmp_path: Path
) -> None:
    directory = tmp_path / "migrations"
    # Long enough that the processes, which start at different speeds, overlap.
    names = counting_migrations(directory, 5, sleep=0.2)
    script = tmp_path / "run.py"
    script.write_text(SCRIPT)
    outputs: list[int] = []

    async def run_process() -> None:
        done = await anyio.run_process(
            [sys.executable, str(script), linkgress_dsn, str(directory)], cwd=ROOT, check=False
        )
        assert done.returncode == 0, done.stderr.decode()
        outputs.append(int(done.stdout))

    async with anyio.create_task_group() as group:
        for _ in range(4):
            group.start_soon(run_process)
    assert sum(outputs) == len(names)
    await assert_each_once(linkgress_dsn, names)


async def test_lock_timeout(linkgress_dsn: str, tmp_path: Path) -> None:
    three_migrations(tmp_path)
    holder = await asyncpg.connect(linkgress_dsn)
    try:
        key = Journal("public", "__migrations").lock_key
        await holder.execute("SELECT pg_advisory_lock($1)", key)
        async with DbContext(PgClient(dsn=linkgress_dsn)) as db:
            start = time.perf_counter()
            with pytest.raises(MigrationLockTimeoutError, match=r"__migrations.*lock_timeout"):
                await runner(db, tmp_path, lock_timeout=0.3).up()
            assert 0.25 < time.perf_counter() - start < 3
            await holder.execute("SELECT pg_advisory_unlock($1)", key)
            assert len((await runner(db, tmp_path, lock_timeout=0.3).up()).applied) == 3
    finally:
        await holder.close()


async def test_cancelled_run_releases_the_lock(linkgress_dsn: str, tmp_path: Path) -> None:
    write_migration(tmp_path, "20240101_000000_slow.py", "SELECT pg_sleep(30)")
    async with DbContext(PgClient(dsn=linkgress_dsn)) as db:
        with anyio.move_on_after(0.5) as scope:
            await runner(db, tmp_path).up()
        assert scope.cancelled_caught
        write_migration(tmp_path, "20240101_000000_slow.py", "SELECT 1")
        result = await runner(db, tmp_path, lock_timeout=2).up()
        assert result.applied == ["20240101_000000_slow.py"]


async def test_changed_applied_file_refuses_before_running(
    linkgress_dsn: str, tmp_path: Path
) -> None:
    three_migrations(tmp_path)
    seed = tmp_path / "20240103_000000_seed.py"
    seed_source = seed.read_text()
    seed.unlink()
    async with DbContext(PgClient(dsn=linkgress_dsn)) as db:
        assert len((await runner(db, tmp_path).up()).applied) == 2
        seed.write_text(seed_source)
        write_migration(
            tmp_path,
            "20240102_000000_add_price.py",
            "ALTER TABLE items ADD COLUMN price numeric(10, 2)",
        )
        with pytest.raises(ChecksumMismatchError, match=r"20240102_000000_add_price\.py") as info:
            await runner(db, tmp_path).up()
        assert "accept_changed=True" in str(info.value)
        assert await runner(db, tmp_path).get_pending() == ["20240103_000000_seed.py"]

        lines: list[str] = []
        r = runner(db, tmp_path, accept_changed=True, verbose=True, logger=lines.append)
        result = await r.up()
        assert result.applied == ["20240103_000000_seed.py"]
        assert any("Accepted" in line and "add_price" in line for line in lines)
        # The new checksum is recorded: a plain runner no longer complains.
        assert (await runner(db, tmp_path).up()).applied == []


async def test_missing_applied_file(linkgress_dsn: str, tmp_path: Path) -> None:
    three_migrations(tmp_path)
    async with DbContext(PgClient(dsn=linkgress_dsn)) as db:
        await runner(db, tmp_path).up()
        (tmp_path / "20240102_000000_add_price.py").unlink()
        with pytest.raises(MissingMigrationError, match=r"20240102_000000_add_price\.py"):
            await runner(db, tmp_path).up()
        with pytest.raises(MissingMigrationError):
            await runner(db, tmp_path).down()
        assert len(await runner(db, tmp_path).get_applied()) == 3


BAD_FILES = {
    "syntax": ("def broken(:\n", "syntax error"),
    "raises": ("raise ValueError('nope')\n", "failed to import: ValueError: nope"),
    # Evaluated at import: proves the file does not inherit the loader's __future__ imports.
    "annotation": ("def f() -> Undefined:\n    pass\n", "failed to import: NameError"),
    "no_class": ("from linkgress_async.migrations import Migration\nX = 1\n", "no subclass"),
    "imported_only": (
        "from linkgress_async.migrations import Migration as M\n"
        "from tests.integration.test_runner import ImportedMigration\n",
        "no subclass",
    ),
    "two_classes": (
        "from linkgress_async.migrations import Migration\n"
        "class A(Migration):\n"
        "    async def up(self, db): pass\n"
        "    async def down(self, db): pass\n"
        "class B(A):\n"
        "    pass\n",
        "2 migrations (A, B)",
    ),
    "missing_down": (
        "from linkgress_async.migrations import Migration\n"
        "class A(Migration):\n"
        "    async def up(self, db): pass\n",
        "does not define down()",
    ),
}


class ImportedMigration(Migration):
    async def up(self, db: object) -> None:
        pass

    async def down(self, db: object) -> None:
        pass


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
async def test_bad_file_is_reported_before_anything_runs(
    linkgress_dsn: str, tmp_path: Path, kind: str
) -> None:
    three_migrations(tmp_path)
    source, message = BAD_FILES[kind]
    (tmp_path / f"20240102_500000_{kind}.py").write_text(source)
    async with DbContext(PgClient(dsn=linkgress_dsn)) as db:
        with pytest.raises(MigrationFileError, match=rf"20240102_500000_{kind}\.py") as info:
            await runner(db, tmp_path).up()
        assert message in str(info.value)
        # Nothing ran, not even the journal's creation.
        rows = await db.query("SELECT to_regclass('public.__migrations') IS NULL AS none")
        assert rows[0]["none"]


async def test_underscore_files_are_ignored(linkgress_dsn: str, tmp_path: Path) -> None:
    three_migrations(tmp_path)
    (tmp_path / "_helpers.py").write_text("raise RuntimeError('never imported')\n")
    (tmp_path / "notes.txt").write_text("not python")
    async with DbContext(PgClient(dsn=linkgress_dsn)) as db:
        result = await runner(db, tmp_path).up()
        assert len(result.applied) == 3
        assert "_helpers.py" not in [s.filename for s in await runner(db, tmp_path).status()]


async def test_non_transactional_migration(linkgress_dsn: str, tmp_path: Path) -> None:
    three_migrations(tmp_path)
    write_migration(
        tmp_path,
        "20240104_000000_index.py",
        "CREATE INDEX CONCURRENTLY ix_items_name ON items (name)",
        "DROP INDEX CONCURRENTLY ix_items_name",
        class_body="transactional = False",
    )
    async with DbContext(PgClient(dsn=linkgress_dsn)) as db:
        r = runner(db, tmp_path)
        result = await r.up()
        assert result.failed is None, result.failed
        assert result.applied[-1] == "20240104_000000_index.py"
        found = await db.query("SELECT to_regclass('ix_items_name') IS NOT NULL AS found")
        assert found[0]["found"]
        assert (await r.down()).applied == ["20240104_000000_index.py"]
        found = await db.query("SELECT to_regclass('ix_items_name') IS NOT NULL AS found")
        assert not found[0]["found"]


async def test_transactional_concurrently_fails_cleanly(linkgress_dsn: str, tmp_path: Path) -> None:
    three_migrations(tmp_path)
    write_migration(
        tmp_path, "20240104_000000_index.py", "CREATE INDEX CONCURRENTLY ix ON items (name)"
    )
    async with DbContext(PgClient(dsn=linkgress_dsn)) as db:
        result = await runner(db, tmp_path).up()
        assert result.failed is not None
        assert isinstance(result.failed.error, asyncpg.ActiveSQLTransactionError)


async def test_verbose_log_and_custom_journal(linkgress_dsn: str, tmp_path: Path) -> None:
    three_migrations(tmp_path)
    lines: list[str] = []
    async with DbContext(PgClient(dsn=linkgress_dsn)) as db:
        r = MigrationRunner(
            db,
            tmp_path,
            journal_table="applied",
            journal_schema="Ops Schema",
            logger=lines.append,
        )
        await r.up()
        assert lines[0] == "Applying 20240101_000000_create_items.py ..."
        assert lines[1].startswith("Applied 20240101_000000_create_items.py in ")
        assert lines[1].endswith(" ms")
        assert lines[-1].startswith("Applied 3 migrations in ")
        rows = await db.query('SELECT count(*) AS n FROM "Ops Schema".applied')
        assert rows[0]["n"] == 3
        assert ("Ops Schema", "applied") in {(q.schema, q.name) for q in db.journal_tables}


async def test_schema_manager_leaves_the_journal_alone(linkgress_dsn: str, tmp_path: Path) -> None:
    write_migration(tmp_path, "20240101_000000_noop.py", "SELECT 1")
    async with AppDatabase(PgClient(dsn=linkgress_dsn)) as db:
        await db.get_schema_manager(out=lambda line: None).ensure_created()
        await runner(db, tmp_path).up()
        assert await db.get_schema_manager().analyze() == []


async def test_overhead_of_100_trivial_migrations(
    linkgress_dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for i in range(100):
        write_migration(tmp_path, f"20240101_{i:06d}_m.py", f"CREATE TABLE t{i} (x int)")
    async with DbContext(PgClient(dsn=linkgress_dsn)) as db:
        start = time.perf_counter()
        result = await runner(db, tmp_path).up()
        elapsed = time.perf_counter() - start
        assert len(result.applied) == 100
        start = time.perf_counter()
        assert (await runner(db, tmp_path).up()).skipped == result.applied
        noop = time.perf_counter() - start
    with capsys.disabled():
        print(f"\n100 trivial migrations: {elapsed * 1000:.0f} ms up, {noop * 1000:.0f} ms no-op")
