"""The installed ``linkgress`` console script, run in a subprocess against a real database.

Each test writes a small context module into its own working directory, so nothing depends on
the repository's layout. The helpers here are shared by the other ``test_cli_*`` modules.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import anyio
import asyncpg
import attrs

from linkgress_async.dsn import with_database

BIN = Path(sys.executable).parent
LINKGRESS = shutil.which("linkgress", path=str(BIN)) or str(BIN / "linkgress")

# Variables the command reads; a test only sees the ones it sets itself.
_SCRUBBED = (
    "DATABASE_URL",
    "DB_HOST",
    "DB_PORT",
    "DB_NAME",
    "DB_USER",
    "DB_PASSWORD",
    "LINKGRESS_ENV",
    "APP_ENV",
    "ENV",
    "LINKGRESS_CONTEXT",
    "LINKGRESS_MIGRATIONS",
    "NO_COLOR",
)

NOTES_V1 = """
import attrs
from linkgress_async import DbContext, DbModelConfig, integer, text, varchar


@attrs.define
class Note:
    id: int
    title: str
    body: str | None = None


class AppDatabase(DbContext):
    def setup_model(self, model: DbModelConfig) -> None:
        with model.entity(Note) as e:
            e.to_table("{table}")
            e.property("id").has_type(integer("id").primary_key().generated_always_as_identity())
            e.property("title").has_type(varchar("title", 100)).is_required()
            e.property("body").has_type(text("body"))
            e.has_index("ix_{table}_title", ["title"])
"""

# The same table without its body column: migrating to it is destructive.
NOTES_V2 = NOTES_V1.replace('            e.property("body").has_type(text("body"))\n', "")

CONTEXT = "appdb:AppDatabase"


@attrs.frozen
class Result:
    returncode: int
    stdout: str
    stderr: str

    def __str__(self) -> str:
        return f"exit {self.returncode}\n--- stdout\n{self.stdout}--- stderr\n{self.stderr}"


def run_cli(
    *args: str,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    program: list[str] | None = None,
) -> Result:
    """Run the console script with a scrubbed environment plus ``env``; stdin is not a TTY."""
    environ = {key: value for key, value in os.environ.items() if key not in _SCRUBBED}
    environ.update(env or {})
    done = subprocess.run(
        [*(program or [LINKGRESS]), *args],
        cwd=cwd,
        env=environ,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return Result(done.returncode, done.stdout, done.stderr)


def write_app(directory: Path, source: str = NOTES_V1, *, table: str = "notes") -> None:
    """Write the context module ``appdb`` into ``directory``."""
    (directory / "appdb.py").write_text(source.replace("{table}", table), encoding="utf-8")


def fetch(dsn: str, query: str, *args: Any) -> list[asyncpg.Record]:
    """Run one query on ``dsn`` from synchronous test code."""

    async def go() -> list[asyncpg.Record]:
        conn = await asyncpg.connect(dsn)
        try:
            return list(await conn.fetch(query, *args))
        finally:
            await conn.close()

    return anyio.run(go)


def columns(dsn: str, table: str) -> list[str]:
    rows = fetch(
        dsn,
        "SELECT column_name FROM information_schema.columns WHERE table_name = $1"
        " ORDER BY ordinal_position",
        table,
    )
    return [row["column_name"] for row in rows]


def one_error_line(result: Result) -> str:
    """The single ``linkgress: error:`` line of stderr (and no traceback)."""
    assert "Traceback" not in result.stderr, result
    errors = [line for line in result.stderr.splitlines() if line.startswith("linkgress: ")]
    assert len(errors) == 1, result
    assert errors[0].startswith("linkgress: error: "), result
    return errors[0]


# --- tests ------------------------------------------------------------------------------------


def test_help_and_python_dash_m(tmp_path: Path) -> None:
    result = run_cli("--help", cwd=tmp_path)
    assert result.returncode == 0, result
    for word in ("migrate", "plan", "scaffold", "verify", "exit status", "DATABASE_URL"):
        assert word in result.stdout
    module = run_cli(
        "migrate", "--help", cwd=tmp_path, program=[sys.executable, "-m", "linkgress_async"]
    )
    assert module.returncode == 0, module
    assert "--dry-run" in module.stdout
    assert "usage: linkgress migrate" in module.stdout


# Run as the executable is, with an atexit hook (run after the last freeze, as the
# interpreter's own shutdown is) that tells whether the collector is on and what is frozen.
_EXECUTABLE_PROBE = (
    "import atexit, gc, sys\n"
    "atexit.register(lambda: print('collector', gc.isenabled(), gc.get_freeze_count() > 0))\n"
    "sys.argv = ['linkgress', *sys.argv[1:]]\n"
    "from linkgress_async.executable import run\n"
    "run()\n"
)


def test_the_executable_pauses_the_collector_only_for_its_imports_and_keeps_the_exit_status(
    tmp_path: Path,
) -> None:
    probe = [sys.executable, "-c", _EXECUTABLE_PROBE]
    (tmp_path / "probectx.py").write_text(
        "import gc\n"
        "print('importing the context, collector', gc.isenabled())\n"
        "from linkgress_async import DbContext as Database\n",
        encoding="utf-8",
    )
    # The context imported with the collector paused; collecting again for the work,
    # everything frozen at the exit.
    offline = run_cli("--context", "probectx:Database", "sql", cwd=tmp_path, program=probe)
    assert offline.returncode == 0, offline
    assert "importing the context, collector False" in offline.stdout
    assert "collector True True" in offline.stdout
    # No context to import: collecting once the library is imported, failure or not.
    no_context = run_cli("fleet", "status", cwd=tmp_path, program=probe)
    assert no_context.returncode == 2, no_context
    assert "collector True True" in no_context.stdout
    # The context could not be imported: the process only reports that, its status kept.
    usage = run_cli("--context", "nowhere_module:Db", "sql", cwd=tmp_path, program=probe)
    assert usage.returncode == 2, usage
    assert "collector True True" in usage.stdout
    # Called in a process of someone else's, main() leaves the collector alone.
    host = run_cli(
        cwd=tmp_path,
        program=[
            sys.executable,
            "-c",
            "import gc, sys; from linkgress_async.cli import main\n"
            "status = main(['--context', 'linkgress_async:DbContext', 'sql'])\n"
            "print('collector', gc.isenabled(), gc.get_freeze_count() > 0); sys.exit(status)",
        ],
    )
    assert host.returncode == 0, host
    assert "collector True False" in host.stdout


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    result = run_cli("--context", "nowhere_module:Db", "sql", cwd=tmp_path)
    assert result.returncode == 2, result
    assert "cannot import 'nowhere_module'" in one_error_line(result)


def test_sql_is_offline_and_valid(tmp_path: Path, linkgress_dsn: str) -> None:
    write_app(tmp_path)
    # A DSN that cannot work proves that sql never connects.
    result = run_cli(
        "--dsn", "postgresql://nobody@127.0.0.1:1/none", "--context", CONTEXT, "sql", cwd=tmp_path
    )
    assert result.returncode == 0, result
    assert 'CREATE TABLE "public"."notes"' in result.stdout
    assert 'CREATE INDEX "ix_notes_title"' in result.stdout

    async def apply() -> None:
        conn = await asyncpg.connect(linkgress_dsn)
        try:
            await conn.execute(result.stdout)
        finally:
            await conn.close()

    anyio.run(apply)
    # What was applied is exactly the model: there is nothing left to plan.
    check = run_cli("--dsn", linkgress_dsn, "--context", CONTEXT, "plan", "--check", cwd=tmp_path)
    assert check.returncode == 0, check
    assert "up to date" in check.stdout


def test_plan_check_then_migrate(tmp_path: Path, linkgress_dsn: str) -> None:
    write_app(tmp_path)
    flags = ("--dsn", linkgress_dsn, "--context", CONTEXT)
    plan = run_cli(*flags, "plan", "--check", "--sql", cwd=tmp_path)
    assert plan.returncode == 1, plan
    assert "1. Create table 'notes'" in plan.stdout
    assert 'CREATE TABLE "public"."notes"' in plan.stdout

    migrate = run_cli(*flags, "migrate", cwd=tmp_path)
    assert migrate.returncode == 0, migrate
    assert "Migration complete" in migrate.stdout
    assert columns(linkgress_dsn, "notes") == ["id", "title", "body"]
    again = run_cli("plan", "--check", *flags, cwd=tmp_path)  # flags after the command too
    assert again.returncode == 0, again


def test_dry_run_changes_nothing(tmp_path: Path, linkgress_dsn: str) -> None:
    write_app(tmp_path)
    result = run_cli(
        "--dsn", linkgress_dsn, "--context", CONTEXT, "migrate", "--dry-run", cwd=tmp_path
    )
    assert result.returncode == 0, result
    assert 'CREATE TABLE "public"."notes"' in result.stdout
    assert "dry run: nothing was changed" in result.stderr
    assert columns(linkgress_dsn, "notes") == []


def test_destructive_changes_need_yes_without_a_tty(tmp_path: Path, linkgress_dsn: str) -> None:
    write_app(tmp_path)
    flags = ("--dsn", linkgress_dsn, "--context", CONTEXT)
    assert run_cli(*flags, "migrate", cwd=tmp_path).returncode == 0
    write_app(tmp_path, NOTES_V2)

    refused = run_cli(*flags, "migrate", cwd=tmp_path)
    assert refused.returncode == 1, refused
    assert "Drop column 'notes.body'  [DESTRUCTIVE]" in refused.stdout
    line = one_error_line(refused)
    assert "1 destructive operation not confirmed (Drop column 'notes.body')" in line
    assert "rerun with --yes" in line
    assert columns(linkgress_dsn, "notes") == ["id", "title", "body"]

    applied = run_cli(*flags, "migrate", "--yes", cwd=tmp_path)
    assert applied.returncode == 0, applied
    assert columns(linkgress_dsn, "notes") == ["id", "title"]


def test_create_reset_drop(tmp_path: Path, linkgress_dsn: str) -> None:
    write_app(tmp_path)
    flags = ("--dsn", linkgress_dsn, "--context", CONTEXT)
    created = run_cli(*flags, "create", cwd=tmp_path)
    assert created.returncode == 0, created
    assert "Create table 'notes'" in created.stdout
    fetch(linkgress_dsn, "INSERT INTO notes (title) VALUES ('kept?')")

    reset = run_cli(*flags, "reset", cwd=tmp_path)
    assert reset.returncode == 0, reset
    assert "Drop table 'notes'" in reset.stdout
    assert fetch(linkgress_dsn, "SELECT count(*) AS n FROM notes")[0]["n"] == 0

    dropped = run_cli(*flags, "drop", cwd=tmp_path)
    assert dropped.returncode == 0, dropped
    assert columns(linkgress_dsn, "notes") == []


def test_production_guards_drop_and_reset(tmp_path: Path, linkgress_dsn: str) -> None:
    write_app(tmp_path)
    flags = ("--dsn", linkgress_dsn, "--context", CONTEXT)
    production = {"LINKGRESS_ENV": "production"}
    assert run_cli(*flags, "create", cwd=tmp_path, env=production).returncode == 0
    refused = run_cli(*flags, "reset", cwd=tmp_path, env=production)
    assert refused.returncode == 1, refused
    assert "refusing to reset the database in production" in one_error_line(refused)
    assert "--force" in refused.stderr
    assert columns(linkgress_dsn, "notes") == ["id", "title", "body"]
    forced = run_cli(*flags, "drop", "--force", cwd=tmp_path, env={"APP_ENV": "prod"})
    assert forced.returncode == 0, forced
    assert columns(linkgress_dsn, "notes") == []


FAILING_MIGRATION = """
from linkgress_async import Migration


class Broken(Migration):
    async def up(self, db):
        await db.query("SELECT * FROM no_such_table")

    async def down(self, db):
        pass
"""


def test_file_migrations_scaffold_up_status_verify_down(tmp_path: Path, linkgress_dsn: str) -> None:
    write_app(tmp_path)
    flags = ("--dsn", linkgress_dsn, "--context", CONTEXT, "--migrations", "db/migrations")

    scaffolded = run_cli(*flags, "scaffold", "--name", "Create notes", cwd=tmp_path)
    assert scaffolded.returncode == 0, scaffolded
    assert "create_notes.py (2 operations)" in scaffolded.stdout
    assert scaffolded.stdout.startswith("Wrote db/migrations/")
    # A template needs no database: an unreachable one proves it is not contacted.
    offline = ("--dsn", "postgresql://nobody@127.0.0.1:1/none", "--context", CONTEXT)
    empty = run_cli(
        *offline,
        "--migrations",
        "db/migrations",
        "scaffold",
        "--empty",
        "--name",
        "by_hand",
        cwd=tmp_path,
    )
    assert empty.returncode == 0, empty
    assert "empty template" in empty.stdout
    files = sorted(path.name for path in (tmp_path / "db" / "migrations").glob("*.py"))
    assert [name[16:] for name in files] == ["create_notes.py", "by_hand.py"]
    first, second = files

    up = run_cli(*flags, "up", cwd=tmp_path)
    assert up.returncode == 0, up
    lines = up.stdout.splitlines()
    assert lines[0].startswith(f"migration 1 of 2: applying {first} ... ok (")
    assert lines[0].endswith(" ms)")
    assert lines[1].startswith(f"migration 2 of 2: applying {second} ... ok (")
    assert columns(linkgress_dsn, "notes") == ["id", "title", "body"]

    status = run_cli(*flags, "status", cwd=tmp_path)
    assert "2 migrations: 2 applied, 0 pending." in status.stdout
    assert f"{first}  yes" in status.stdout

    verified = run_cli(*flags, "verify", cwd=tmp_path)
    assert verified.returncode == 0, verified
    assert "2 applied migrations match their files" in verified.stdout

    path = tmp_path / "db" / "migrations" / second
    original = path.read_text()
    path.write_text(original + "# edited after it was applied\n")
    (tmp_path / "db" / "migrations" / first).rename(tmp_path / first)
    broken = run_cli(*flags, "verify", cwd=tmp_path)
    assert broken.returncode == 1, broken
    assert f"MISSING  {first} is recorded as applied" in broken.stdout
    assert f"CHANGED  {second} was changed after it was applied" in broken.stdout
    assert "2 applied migration files changed or missing" in one_error_line(broken)
    path.write_text(original)
    (tmp_path / first).rename(tmp_path / "db" / "migrations" / first)

    down = run_cli(*flags, "down", "2", "--yes", cwd=tmp_path)
    assert down.returncode == 0, down
    assert down.stdout.startswith(f"migration 1 of 2: reverting {second} ... ok (")
    assert f"migration 2 of 2: reverting {first} ... ok (" in down.stdout
    assert columns(linkgress_dsn, "notes") == []
    journal = fetch(linkgress_dsn, "SELECT count(*) AS n FROM __migrations")
    assert journal[0]["n"] == 0


def test_failed_migration_and_nothing_to_scaffold(tmp_path: Path, linkgress_dsn: str) -> None:
    write_app(tmp_path)
    flags = ("--dsn", linkgress_dsn, "--context", CONTEXT, "--journal-table", "schema_log")
    assert run_cli(*flags, "migrate", cwd=tmp_path).returncode == 0
    nothing = run_cli(*flags, "scaffold", cwd=tmp_path)
    assert nothing.returncode == 1, nothing
    assert "No schema differences" in one_error_line(nothing)

    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "20240101_000000_broken.py").write_text(FAILING_MIGRATION)
    failed = run_cli(*flags, "up", cwd=tmp_path)
    assert failed.returncode == 1, failed
    assert "migration 1 of 1: applying 20240101_000000_broken.py ... FAILED" in failed.stdout
    line = one_error_line(failed)
    assert "20240101_000000_broken.py failed to apply" in line
    assert "no_such_table" in line
    # The first file of the run failed: no "the migrations before it stay applied".
    assert "nothing else was applied" in line
    # The journal named on the command line is the one used, and the model ignores it.
    assert fetch(linkgress_dsn, "SELECT count(*) AS n FROM schema_log")[0]["n"] == 0
    assert run_cli(*flags, "plan", "--check", cwd=tmp_path).returncode == 0


def test_missing_database_is_one_line(tmp_path: Path, linkgress_dsn: str) -> None:
    write_app(tmp_path)
    missing = with_database(linkgress_dsn, "no_such_database_here")
    result = run_cli("--dsn", missing, "--context", CONTEXT, "plan", cwd=tmp_path)
    assert result.returncode == 1, result
    line = one_error_line(result)
    assert "no_such_database_here" in line
    assert "does not exist" in line


# The notes model plus an index on body: on a table with rows, a plain CREATE INDEX is a hazard.
NOTES_INDEXED = NOTES_V1.replace(
    '            e.has_index("ix_{table}_title", ["title"])\n',
    '            e.has_index("ix_{table}_title", ["title"])\n'
    '            e.has_index("ix_{table}_body", ["body"])\n',
)


def test_plan_and_dry_run_show_hazard_warnings(tmp_path: Path, linkgress_dsn: str) -> None:
    write_app(tmp_path)
    flags = ("--dsn", linkgress_dsn, "--context", CONTEXT)
    assert run_cli(*flags, "migrate", cwd=tmp_path).returncode == 0
    fetch(
        linkgress_dsn, "INSERT INTO notes (title, body) SELECT 'n', 'b' FROM generate_series(1, 3)"
    )
    write_app(tmp_path, NOTES_INDEXED)

    # Three rows are far below the default threshold: no warning.
    quiet = run_cli(*flags, "plan", cwd=tmp_path)
    assert quiet.returncode == 0, quiet
    assert "1. Create index 'ix_notes_body'" in quiet.stdout
    assert "Warnings" not in quiet.stdout

    warned = run_cli(*flags, "plan", "--large-table-rows", "1", cwd=tmp_path)
    assert warned.returncode == 0, warned
    assert "Warnings (1 warning: " in warned.stdout
    assert "  - 1. Create index 'ix_notes_body' on 'notes' [index-not-concurrent]" in (
        warned.stdout
    )
    assert "Safer: " in warned.stdout

    dry = run_cli(*flags, "migrate", "--dry-run", "--large-table-rows", "1", cwd=tmp_path)
    assert dry.returncode == 0, dry
    assert "[index-not-concurrent]" in dry.stdout
    assert 'CREATE INDEX "ix_notes_body"' in dry.stdout
    assert "dry run: nothing was changed" in dry.stderr


PARTIAL_MIGRATION = """
from linkgress_async import DbContext, Migration


class Partial(Migration):
    transactional = False

    async def up(self, db: DbContext) -> None:
        await db.query("CREATE TABLE first_half (id integer)")
        await db.query("CREATE TABLE second_half (id no_such_type)")

    async def down(self, db: DbContext) -> None:
        await db.query("DROP TABLE IF EXISTS second_half")
        await db.query("DROP TABLE IF EXISTS first_half")
"""


def test_failed_non_transactional_migration_is_resolved(tmp_path: Path, linkgress_dsn: str) -> None:
    write_app(tmp_path)
    flags = ("--dsn", linkgress_dsn, "--context", CONTEXT)
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    partial = migrations / "20240101_000000_partial.py"
    partial.write_text(PARTIAL_MIGRATION)

    failed = run_cli(*flags, "up", cwd=tmp_path)
    assert failed.returncode == 1, failed
    assert "resolve" in one_error_line(failed)

    status = run_cli(*flags, "status", cwd=tmp_path)
    assert status.returncode == 1, status
    assert "20240101_000000_partial.py  FAILED" in status.stdout, status
    assert "1 failed (see `linkgress resolve`)" in status.stdout, status
    # Neither skipped nor re-run while unresolved.
    again = run_cli(*flags, "up", cwd=tmp_path)
    assert again.returncode == 1, again
    assert "partially applied" in one_error_line(again)

    usage = run_cli(*flags, "resolve", partial.name, cwd=tmp_path)
    assert usage.returncode == 2, usage  # --applied or --not-applied is required

    # Undo by hand, fix the file, and let it run again.
    fetch(linkgress_dsn, "DROP TABLE first_half")
    partial.write_text(PARTIAL_MIGRATION.replace("no_such_type", "integer"))
    resolved = run_cli(*flags, "resolve", partial.name, "--not-applied", cwd=tmp_path)
    assert resolved.returncode == 0, resolved
    applied = run_cli(*flags, "up", cwd=tmp_path)
    assert applied.returncode == 0, applied
    names = fetch(
        linkgress_dsn,
        "SELECT relname FROM pg_class WHERE relname LIKE '%_half' ORDER BY relname",
    )
    assert [row["relname"] for row in names] == ["first_half", "second_half"]
    final = run_cli(*flags, "status", cwd=tmp_path)
    assert final.returncode == 0, final
    assert "1 migration: 1 applied, 0 pending." in final.stdout, final


def test_undeclared_tables_are_kept_unless_opted_in(tmp_path: Path, linkgress_dsn: str) -> None:
    write_app(tmp_path)
    flags = ("--dsn", linkgress_dsn, "--context", CONTEXT)
    assert run_cli(*flags, "migrate", cwd=tmp_path).returncode == 0
    fetch(linkgress_dsn, "CREATE TABLE legacy_orders (id integer)")
    fetch(linkgress_dsn, "CREATE TABLE tmp_import (id integer)")

    kept = run_cli(*flags, "plan", "--check", cwd=tmp_path)
    assert kept.returncode == 0, kept  # nothing to do: undeclared tables are only reported
    assert "legacy_orders" in kept.stdout, kept
    assert "tmp_import" in kept.stdout, kept

    hidden = run_cli(*flags, "plan", "--exclude", "public.legacy_*", cwd=tmp_path)
    assert hidden.returncode == 0, hidden
    assert "legacy_orders" not in hidden.stdout, hidden
    assert "tmp_import" in hidden.stdout, hidden

    (tmp_path / "pyproject.toml").write_text(
        '[tool.linkgress]\ndrop_unmanaged = ["public.tmp_*"]\n', encoding="utf-8"
    )
    refused = run_cli(*flags, "migrate", cwd=tmp_path)  # destructive: needs --yes
    assert refused.returncode == 1, refused
    dropped = run_cli(*flags, "migrate", "--yes", cwd=tmp_path)
    assert dropped.returncode == 0, dropped
    tables = fetch(
        linkgress_dsn,
        "SELECT relname FROM pg_class WHERE relname IN ('legacy_orders', 'tmp_import')",
    )
    assert [row["relname"] for row in tables] == ["legacy_orders"]
