"""MigrationRunner.baseline against a real PostgreSQL: adopting migrations on an existing DB."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from linkgress_async import DbContext, PgClient
from linkgress_async.errors import ChecksumMismatchError, MigrationError, MissingMigrationError
from linkgress_async.migrations import MigrationRunner
from linkgress_async.migrations.files import checksum

FIRST = "20240101_000000_create_items.py"
SECOND = "20240102_000000_add_price.py"
THIRD = "20240103_000000_add_stock.py"


def write_migration(directory: Path, filename: str, up: str, down: str = "SELECT 1") -> Path:
    """A migration file whose up and down run one SQL string each through ``db.execute``."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / filename
    path.write_text(
        "from linkgress_async.migrations import Migration\n\n\n"
        "class Step(Migration):\n"
        "    async def up(self, db):\n"
        f"        await db.execute({up!r})\n\n"
        "    async def down(self, db):\n"
        f"        await db.execute({down!r})\n",
        encoding="utf-8",
    )
    return path


def three_files(directory: Path) -> None:
    write_migration(directory, FIRST, "CREATE TABLE items (id int PRIMARY KEY, name text)")
    write_migration(directory, SECOND, "ALTER TABLE items ADD COLUMN price numeric")
    write_migration(directory, THIRD, "ALTER TABLE items ADD COLUMN stock int NOT NULL DEFAULT 0")


def make_runner(db: DbContext, directory: Path, **options: object) -> MigrationRunner:
    options.setdefault("verbose", False)
    return MigrationRunner(db, migrations_directory=directory, **options)  # type: ignore[arg-type]


async def journal_rows(db: DbContext) -> list[tuple[str, str]]:
    rows = await db.query('SELECT filename, checksum FROM "__migrations" ORDER BY id')
    return [(row["filename"], row["checksum"]) for row in rows]


async def item_columns(db: DbContext) -> list[str]:
    rows = await db.query(
        "SELECT attname FROM pg_attribute WHERE attrelid = 'items'::regclass AND attnum > 0"
        " AND NOT attisdropped ORDER BY attnum"
    )
    return [row["attname"] for row in rows]


async def test_baseline_then_up_applies_only_the_later_files(
    linkgress_dsn: str, tmp_path: Path
) -> None:
    three_files(tmp_path)
    async with DbContext(PgClient(dsn=linkgress_dsn)) as db:
        # The database predates the tool: it already has what the first two files create,
        # so running them would fail (the table exists).
        await db.execute("CREATE TABLE items (id int PRIMARY KEY, name text, price numeric)")
        runner = make_runner(db, tmp_path)
        assert await runner.baseline(up_to=SECOND) == [FIRST, SECOND]
        assert await journal_rows(db) == [
            (name, checksum((tmp_path / name).read_bytes())) for name in (FIRST, SECOND)
        ]
        assert await runner.get_pending() == [THIRD]

        result = await runner.up()
        assert result.failed is None
        assert result.applied == [THIRD]
        assert result.skipped == [FIRST, SECOND]
        assert await item_columns(db) == ["id", "name", "price", "stock"]


async def test_baseline_accepts_the_stem_and_logs(linkgress_dsn: str, tmp_path: Path) -> None:
    three_files(tmp_path)
    lines: list[str] = []
    async with DbContext(PgClient(dsn=linkgress_dsn)) as db:
        runner = make_runner(db, tmp_path, verbose=True, logger=lines.append)
        assert await runner.baseline(up_to=FIRST.removesuffix(".py")) == [FIRST]
    assert f"Baselined {FIRST}: recorded as applied without running it" in lines
    assert lines[-1] == 'Baselined 1 migration in "public"."__migrations" (0 already recorded)'


async def test_baseline_is_idempotent(linkgress_dsn: str, tmp_path: Path) -> None:
    three_files(tmp_path)
    async with DbContext(PgClient(dsn=linkgress_dsn)) as db:
        runner = make_runner(db, tmp_path)
        assert await runner.baseline() == [FIRST, SECOND, THIRD]
        recorded = await journal_rows(db)
        assert await runner.baseline() == []
        assert await journal_rows(db) == recorded
        # A later file arrives: a second baseline records just that one.
        fourth = "20240104_000000_note.py"
        write_migration(tmp_path, fourth, "ALTER TABLE items ADD COLUMN note text")
        assert await runner.baseline() == [fourth]
        assert [name for name, _ in await journal_rows(db)] == [FIRST, SECOND, THIRD, fourth]
        # Nothing was run: the table none of the files' up() created does not exist.
        rows = await db.query("SELECT to_regclass('items') IS NULL AS missing")
        assert rows[0]["missing"] is True


async def test_baseline_extends_a_journal_written_by_up(linkgress_dsn: str, tmp_path: Path) -> None:
    write_migration(tmp_path, FIRST, "CREATE TABLE items (id int PRIMARY KEY, name text)")
    async with DbContext(PgClient(dsn=linkgress_dsn)) as db:
        runner = make_runner(db, tmp_path)
        assert (await runner.up()).applied == [FIRST]
        write_migration(tmp_path, SECOND, "ALTER TABLE items ADD COLUMN price numeric")
        write_migration(tmp_path, THIRD, "ALTER TABLE items ADD COLUMN stock int")
        await db.execute("ALTER TABLE items ADD COLUMN price numeric")
        assert await runner.baseline(up_to=SECOND) == [SECOND]
        assert (await runner.up()).applied == [THIRD]


async def test_concurrent_baselines_record_each_file_once(
    linkgress_dsn: str, tmp_path: Path
) -> None:
    three_files(tmp_path)
    results: list[list[str]] = []
    async with DbContext(PgClient(dsn=linkgress_dsn)) as db:

        async def baseline() -> None:
            results.append(await make_runner(db, tmp_path).baseline())

        async with anyio.create_task_group() as group:
            for _ in range(3):
                group.start_soon(baseline)
        assert sorted(name for result in results for name in result) == [FIRST, SECOND, THIRD]
        assert [name for name, _ in await journal_rows(db)] == [FIRST, SECOND, THIRD]


async def test_unknown_up_to_is_refused(linkgress_dsn: str, tmp_path: Path) -> None:
    three_files(tmp_path)
    async with DbContext(PgClient(dsn=linkgress_dsn)) as db:
        runner = make_runner(db, tmp_path)
        with pytest.raises(MigrationError, match=r"20240109_nothing\.py.*no such migration file"):
            await runner.baseline(up_to="20240109_nothing.py")
        assert await runner.get_applied() == []


async def test_out_of_order_journal_is_refused(linkgress_dsn: str, tmp_path: Path) -> None:
    write_migration(tmp_path, SECOND, "CREATE TABLE prices (id int)")
    async with DbContext(PgClient(dsn=linkgress_dsn)) as db:
        runner = make_runner(db, tmp_path)
        assert (await runner.up()).applied == [SECOND]
        # An earlier file appears after a later one was applied: whether the database holds
        # it cannot be known, so baseline does not guess.
        write_migration(tmp_path, FIRST, "CREATE TABLE items (id int)")
        with pytest.raises(MigrationError, match=f"{SECOND} is already applied.*{FIRST} is not"):
            await runner.baseline()
        assert await runner.get_applied() == [SECOND]


async def test_applied_file_after_up_to_is_refused(linkgress_dsn: str, tmp_path: Path) -> None:
    three_files(tmp_path)
    async with DbContext(PgClient(dsn=linkgress_dsn)) as db:
        runner = make_runner(db, tmp_path)
        await runner.baseline(up_to=SECOND)
        with pytest.raises(MigrationError, match=f"{SECOND} is already applied.*after.*{FIRST}"):
            await runner.baseline(up_to=FIRST)
        assert await runner.get_applied() == [FIRST, SECOND]


async def test_changed_file_is_refused(linkgress_dsn: str, tmp_path: Path) -> None:
    three_files(tmp_path)
    async with DbContext(PgClient(dsn=linkgress_dsn)) as db:
        runner = make_runner(db, tmp_path)
        await runner.baseline(up_to=FIRST)
        write_migration(tmp_path, FIRST, "CREATE TABLE items (id bigint PRIMARY KEY)")
        with pytest.raises(ChecksumMismatchError, match=f"{FIRST} was changed"):
            await runner.baseline()
        assert await runner.get_applied() == [FIRST]


async def test_missing_file_is_refused(linkgress_dsn: str, tmp_path: Path) -> None:
    three_files(tmp_path)
    async with DbContext(PgClient(dsn=linkgress_dsn)) as db:
        runner = make_runner(db, tmp_path)
        await runner.baseline(up_to=SECOND)
        (tmp_path / SECOND).unlink()
        with pytest.raises(MissingMigrationError, match=f"{SECOND} is recorded as applied"):
            await runner.baseline()
        assert await runner.get_applied() == [FIRST, SECOND]


async def test_unresolved_file_is_refused(linkgress_dsn: str, tmp_path: Path) -> None:
    three_files(tmp_path)
    async with DbContext(PgClient(dsn=linkgress_dsn)) as db:
        runner = make_runner(db, tmp_path)
        await runner.baseline(up_to=FIRST)
        # A non-transactional SECOND that failed part-way: baseline must not paper over it.
        await db.execute(
            'INSERT INTO "__migrations" (filename, checksum, status, error)'
            f" VALUES ('{SECOND}', 'x', 'failed', 'boom')"
        )
        with pytest.raises(MigrationError, match=f"{SECOND} is recorded as failed"):
            await runner.baseline()
        assert await runner.get_applied() == [FIRST]
