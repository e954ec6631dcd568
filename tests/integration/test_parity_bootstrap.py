"""Linkgress parity: ``up(bootstrap=True)`` builds an empty database from the model and
records every file as applied; anything in the database makes it refuse."""

from __future__ import annotations

from pathlib import Path

import pytest

from linkgress_async import (
    DbContext,
    DbModelConfig,
    MigrationError,
    MigrationRunner,
    PgClient,
    integer,
    text,
)
from tests.integration.helpers import quiet, table
from tests.integration.test_cli import CONTEXT, fetch, one_error_line, run_cli, write_app

FILES = {
    "20240101_000000_create_notes.py": "CREATE TABLE notes (id integer PRIMARY KEY, title text)",
    "20240102_000000_index_title.py": "CREATE INDEX ix_notes_title ON notes (title)",
}

MIGRATION = """
from linkgress_async import Migration


class Step(Migration):
    async def up(self, db):
        await db.query({sql!r})

    async def down(self, db):
        raise NotImplementedError
"""


def write_files(directory: Path) -> Path:
    migrations = directory / "migrations"
    migrations.mkdir()
    for name, sql in FILES.items():
        (migrations / name).write_text(MIGRATION.format(sql=sql))
    return migrations


def notes(model: DbModelConfig) -> None:
    entity = table(model, "notes", integer("id").primary_key(), text("title"))
    entity.has_index("ix_notes_title", ["title"])


class Notes(DbContext):
    hooks: list[str]

    def setup_model(self, model: DbModelConfig) -> None:
        notes(model)

    async def on_migration_start(self, client: DbContext) -> None:
        self.hooks.append("start")

    async def on_migration_complete(self, client: DbContext) -> None:
        self.hooks.append("complete")


async def test_bootstrap_creates_the_model_and_marks_every_file_applied(
    tmp_path: Path, linkgress_dsn: str
) -> None:
    migrations = write_files(tmp_path)
    async with Notes(PgClient(dsn=linkgress_dsn)) as db:
        db.hooks = []
        runner = MigrationRunner(db, migrations, logger=quiet)
        result = await runner.up(bootstrap=True)
        assert result.applied == list(FILES)
        assert result.failed is None
        assert db.hooks == ["start", "complete"]
        assert await runner.get_applied() == list(FILES)
        assert await runner.get_pending() == []
        assert await db.get_schema_manager(out=quiet).analyze() == []
        # The files were not run, only recorded; their checksums are checked as usual.
        again = await runner.up()
        assert again.applied == []
        assert again.skipped == list(FILES)
        rows = await db.query("SELECT duration_ms FROM __migrations ORDER BY id")
        assert [row["duration_ms"] for row in rows] == [0, 0]


async def test_bootstrap_refuses_a_database_that_holds_anything(
    tmp_path: Path, linkgress_dsn: str
) -> None:
    migrations = write_files(tmp_path)
    async with Notes(PgClient(dsn=linkgress_dsn)) as db:
        db.hooks = []
        await db.query("CREATE TABLE public.legacy (id int)")
        runner = MigrationRunner(db, migrations, logger=quiet)
        with pytest.raises(MigrationError, match=r"needs an empty database.*table public\.legacy"):
            await runner.up(bootstrap=True)
        assert db.hooks == []
        assert await runner.get_applied() == []
        await db.query("DROP TABLE public.legacy")
        # A journal with rows is not empty either, even when the tables are gone.
        await runner.baseline(up_to="20240101_000000_create_notes.py")
        with pytest.raises(MigrationError, match="already records 20240101_000000_create_notes"):
            await runner.up(bootstrap=True)
        [row] = await db.query("SELECT to_regclass('public.notes') IS NULL AS absent")
        assert row["absent"]


APP = """
from linkgress_async import DbContext, DbModelConfig, integer, text


class Note:
    id: int
    title: str


class AppDatabase(DbContext):
    def setup_model(self, model: DbModelConfig) -> None:
        with model.entity(Note) as e:
            e.to_table("notes")
            e.property("id").has_type(integer("id").primary_key())
            e.property("title").has_type(text("title"))
            e.has_index("ix_notes_title", ["title"])
"""


def test_cli_up_bootstrap(tmp_path: Path, linkgress_dsn: str) -> None:
    write_app(tmp_path, APP)
    write_files(tmp_path)
    flags = ("--dsn", linkgress_dsn, "--context", CONTEXT)
    done = run_cli(*flags, "up", "--bootstrap", cwd=tmp_path)
    assert done.returncode == 0, done
    assert "Bootstrapped: created the model (2 operations) and recorded 2 migrations" in (
        done.stdout
    )
    journal = fetch(linkgress_dsn, "SELECT filename FROM __migrations ORDER BY id")
    assert [row["filename"] for row in journal] == list(FILES)
    refused = run_cli(*flags, "up", "--bootstrap", cwd=tmp_path)
    assert refused.returncode == 1, refused
    assert "needs an empty database" in one_error_line(refused)
