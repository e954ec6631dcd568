"""Linkgress parity: the runner's loader and journal, and log levels on its logger."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from linkgress_async import (
    DbContext,
    MigrationFileError,
    MigrationLoader,
    MigrationRunner,
    PgClient,
)

MIGRATION = """
from linkgress_async import Migration


class Step(Migration):
    async def up(self, db):
        await db.query({sql!r})

    async def down(self, db):
        raise NotImplementedError
"""

FILES = {
    "20240101_000000_create.py": "CREATE TABLE notes (id integer PRIMARY KEY)",
    "20240102_000000_broken.py": "ALTER TABLE no_such_table ADD COLUMN x integer",
}


def write_files(directory: Path) -> Path:
    migrations = directory / "migrations"
    migrations.mkdir()
    for name, sql in FILES.items():
        (migrations / name).write_text(MIGRATION.format(sql=sql))
    return migrations


async def test_the_loader_and_the_journal_of_a_runner(tmp_path: Path, linkgress_dsn: str) -> None:
    migrations = write_files(tmp_path)
    async with DbContext(PgClient(dsn=linkgress_dsn)) as db:
        runner = MigrationRunner(db, migrations, logger=lambda _line: None)
        loader = runner.get_loader()
        assert isinstance(loader, MigrationLoader)
        assert loader.get_migration_files() == list(FILES)
        first = await loader.load_migration("20240101_000000_create.py")
        assert first.path == migrations / "20240101_000000_create.py"
        loaded = await loader.load_all_migrations()
        assert [f.checksum for f in loaded] == [first.checksum, loaded[1].checksum]
        assert loaded[0].filename == first.filename
        with pytest.raises(MigrationFileError, match=r"'\.\./outside\.py' is not a \.py file"):
            await loader.load_migration("../outside.py")

        await runner.up()
        journal = runner.get_journal()
        assert journal.qualified == '"public"."__migrations"'
        async with db.client.acquire() as conn:
            entries = await journal.entries(conn)
        assert [(e.filename, e.checksum) for e in entries] == [(first.filename, first.checksum)]


async def test_a_logger_with_a_level_parameter_is_told_the_level(
    tmp_path: Path, linkgress_dsn: str
) -> None:
    migrations = write_files(tmp_path)
    leveled: list[tuple[str, str]] = []
    plain: list[str] = []

    def log(message: str, level: str = "info") -> None:
        leveled.append((level, message.split(" ")[0]))

    async with DbContext(PgClient(dsn=linkgress_dsn)) as db:
        result = await MigrationRunner(db, migrations, logger=log).up()
        assert result.failed is not None
        assert ("info", "Applied") in leveled
        assert ("error", "Failed") in leveled
        assert {level for level, _ in leveled} == {"info", "error"}

        # A standard library logger's method takes **kwargs but no level: called as before.
        records: list[str] = []
        handler = logging.Handler()
        handler.emit = lambda record: records.append(record.getMessage())  # type: ignore[method-assign]
        library_logger = logging.getLogger("linkgress_async.test_levels")
        library_logger.addHandler(handler)
        library_logger.setLevel(logging.INFO)
        result = await MigrationRunner(db, migrations, logger=library_logger.info).up()
        assert result.failed is not None
        assert any(line.startswith("Failed to apply") for line in records)

        # A one-argument logger keeps working, and hears the same messages.
        result = await MigrationRunner(db, migrations, logger=plain.append).up()
        assert result.failed is not None
        assert any(line.startswith("Failed to apply 20240102_000000_broken.py") for line in plain)
