"""migrate() and migration files on one database: both warn where they meet."""

from __future__ import annotations

from pathlib import Path

import attrs

from linkgress_async import DbContext, DbModelConfig, PgClient, integer, varchar
from linkgress_async.migrations import MigrationRunner
from tests.integration.test_baseline import write_migration
from tests.integration.test_cli import CONTEXT, run_cli, write_app

FIRST = "20240101_000000_create_items.py"
SECOND = "20240102_000000_create_notes.py"


@attrs.define
class Note:
    id: int
    title: str


class NotesDatabase(DbContext):
    def setup_model(self, model: DbModelConfig) -> None:
        with model.entity(Note) as e:
            e.to_table("notes")
            e.property("id").has_type(integer("id").primary_key())
            e.property("title").has_type(varchar("title", 100)).is_required()


def runner(db: DbContext, directory: Path, lines: list[str]) -> MigrationRunner:
    return MigrationRunner(db, directory, verbose=False, logger=lines.append)


async def test_migrate_and_up_warn_where_they_mix(linkgress_dsn: str, tmp_path: Path) -> None:
    directory = tmp_path / "migrations"
    write_migration(directory, FIRST, "CREATE TABLE items (id int PRIMARY KEY)")
    async with NotesDatabase(PgClient(dsn=linkgress_dsn)) as db:
        quiet: list[str] = []
        await runner(db, directory, quiet).up()
        assert not [line for line in quiet if line.startswith("WARNING")]

        said: list[str] = []
        applied = await db.get_schema_manager(out=said.append).migrate()
        assert applied
        warnings = [line for line in said if line.startswith("WARNING")]
        assert len(warnings) == 1, said
        assert (
            f'"public"."__migrations" records 1 applied migration file (newest {FIRST})'
            in (warnings[0])
        )
        assert "`linkgress scaffold`" in warnings[0]
        assert "up(bootstrap=True)" in warnings[0]

        # up() afterwards says the files no longer describe the database, and how to go on.
        lines: list[str] = []
        await runner(db, directory, lines).up()
        [warning] = [line for line in lines if line.startswith("WARNING")]
        assert "changed by migrate() at " in warning
        assert f"after its newest migration file {FIRST}" in warning
        assert "cannot build a fresh database like it" in warning
        assert "baseline" in warning

        # A file for the change, recorded with baseline: the files describe it again.
        write_migration(directory, SECOND, "CREATE TABLE notes (id int PRIMARY KEY)")
        assert await runner(db, directory, quiet).baseline() == [SECOND]
        settled: list[str] = []
        await runner(db, directory, settled).up()
        assert not [line for line in settled if line.startswith("WARNING")], settled


async def test_migrate_without_migration_files_says_nothing_about_them(
    linkgress_dsn: str,
) -> None:
    async with NotesDatabase(PgClient(dsn=linkgress_dsn)) as db:
        said: list[str] = []
        await db.get_schema_manager(out=said.append).migrate()
        assert not [line for line in said if "migration file" in line], said


def test_the_command_line_warns_at_migrate_and_at_up(tmp_path: Path, linkgress_dsn: str) -> None:
    write_app(tmp_path)
    write_migration(tmp_path / "migrations", FIRST, "CREATE TABLE items (id int PRIMARY KEY)")
    flags = ("--dsn", linkgress_dsn, "--context", CONTEXT)
    assert run_cli(*flags, "up", cwd=tmp_path).returncode == 0

    migrated = run_cli(*flags, "migrate", cwd=tmp_path)
    assert migrated.returncode == 0, migrated
    assert (
        f'WARNING: "public"."__migrations" records 1 applied migration file (newest {FIRST})'
        in (migrated.stdout)
    )
    up = run_cli(*flags, "up", cwd=tmp_path)
    assert up.returncode == 0, up
    assert "WARNING: this database was changed by migrate() at " in up.stdout
    assert "`linkgress up --bootstrap`" in up.stdout
