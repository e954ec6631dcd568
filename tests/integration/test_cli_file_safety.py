"""The file workflow's safety, through the installed ``linkgress`` script: renames asked by
``scaffold``, destructive files confirmed before they run, ``down`` bounded and guarded in
production, out-of-order files refused."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from linkgress_async import DbContext, DbModelConfig, MigrationRunner, PgClient
from linkgress_async.errors import MigrationError, OutOfOrderMigrationError
from tests.integration.test_cli import (
    _SCRUBBED,
    CONTEXT,
    LINKGRESS,
    NOTES_V1,
    NOTES_V2,
    Result,
    columns,
    fetch,
    one_error_line,
    run_cli,
    write_app,
)

# The title column renamed: same type, so scaffold can ask whether it is a rename.
NOTES_RENAMED = NOTES_V1.replace('varchar("title", 100)', 'varchar("headline", 100)')

MIGRATION = """
from linkgress_async.migrations import Migration


class {name}(Migration):
    async def up(self, db):
        await db.query("CREATE TABLE {table} (id int)")

    async def down(self, db):
        await db.query("DROP TABLE {table}")
"""


def run_on_terminal(*args: str, cwd: Path, answers: str) -> Result:
    """Run the script with a pseudo-terminal as stdin that has ``answers`` typed ahead."""
    import pty

    environ = {key: value for key, value in os.environ.items() if key not in _SCRUBBED}
    leader, follower = pty.openpty()
    try:
        os.write(leader, answers.encode())
        done = subprocess.run(
            [LINKGRESS, *args],
            cwd=cwd,
            env=environ,
            stdin=follower,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(follower)
        os.close(leader)
    return Result(done.returncode, done.stdout, done.stderr)


def test_scaffold_asks_about_renames_on_a_terminal(tmp_path: Path, linkgress_dsn: str) -> None:
    write_app(tmp_path)
    flags = ("--dsn", linkgress_dsn, "--context", CONTEXT)
    assert run_cli(*flags, "migrate", cwd=tmp_path).returncode == 0
    write_app(tmp_path, NOTES_RENAMED)

    asked = run_on_terminal(*flags, "scaffold", "--name", "rename", cwd=tmp_path, answers="yes\n")
    assert asked.returncode == 0, asked
    assert "headline" in asked.stdout, asked
    (written,) = (tmp_path / "migrations").glob("*_rename.py")
    source = written.read_text()
    assert 'RENAME COLUMN "title" TO "headline"' in source
    assert "DROP COLUMN" not in source
    assert "destructive =" not in source

    # Without a terminal nobody is asked: drop and add, declared destructive.
    written.unlink()
    plain = run_cli(*flags, "scaffold", "--name", "again", cwd=tmp_path)
    assert plain.returncode == 0, plain
    (again,) = (tmp_path / "migrations").glob("*_again.py")
    assert 'DROP COLUMN "title"' in again.read_text()
    assert "destructive = (" in again.read_text()


def test_destructive_files_are_confirmed_before_they_run(
    tmp_path: Path, linkgress_dsn: str
) -> None:
    write_app(tmp_path)
    flags = ("--dsn", linkgress_dsn, "--context", CONTEXT)
    assert run_cli(*flags, "scaffold", "--name", "create", cwd=tmp_path).returncode == 0
    assert run_cli(*flags, "up", cwd=tmp_path).returncode == 0
    fetch(linkgress_dsn, "INSERT INTO notes (title, body) VALUES ('kept', 'body')")
    write_app(tmp_path, NOTES_V2)
    assert run_cli(*flags, "scaffold", "--name", "drop_body", cwd=tmp_path).returncode == 0

    refused = run_cli(*flags, "up", cwd=tmp_path)
    assert refused.returncode == 1, refused
    assert "WARNING: 1 migration file to apply may lose data:" in refused.stdout
    line = one_error_line(refused)
    assert "_drop_body.py (deletes: Drop column 'notes.body')" in line
    assert "rerun with --yes" in line
    assert columns(linkgress_dsn, "notes") == ["id", "title", "body"]

    declined = run_on_terminal(*flags, "up", cwd=tmp_path, answers="no\n")
    assert declined.returncode == 1, declined
    assert "Continue?" in declined.stdout
    assert columns(linkgress_dsn, "notes") == ["id", "title", "body"]

    applied = run_cli(*flags, "up", "--yes", cwd=tmp_path)
    assert applied.returncode == 0, applied
    assert columns(linkgress_dsn, "notes") == ["id", "title"]

    # down: the column comes back empty (it cannot be restored), which is said first.
    back = run_cli(*flags, "down", cwd=tmp_path)
    assert back.returncode == 1, back
    assert "not restored by down: Drop column 'notes.body'" in one_error_line(back)
    reverted = run_cli(*flags, "down", "--yes", cwd=tmp_path)
    assert reverted.returncode == 0, reverted
    assert "Not restored by" in reverted.stdout


def test_down_in_production_needs_force_and_never_exceeds_the_applied(
    tmp_path: Path, linkgress_dsn: str
) -> None:
    write_app(tmp_path)
    flags = ("--dsn", linkgress_dsn, "--context", CONTEXT)
    assert run_cli(*flags, "scaffold", "--name", "create", cwd=tmp_path).returncode == 0
    assert run_cli(*flags, "up", cwd=tmp_path).returncode == 0
    fetch(linkgress_dsn, "INSERT INTO notes (title) VALUES ('precious')")
    production = {"LINKGRESS_ENV": "production"}

    refused = run_cli(*flags, "down", cwd=tmp_path, env=production)
    assert refused.returncode == 1, refused
    assert "refusing to revert migrations in production" in one_error_line(refused)
    assert "--force" in refused.stderr
    # --force lets down run in production; its DROP TABLE still needs --yes.
    forced = run_cli(*flags, "down", "--force", cwd=tmp_path, env=production)
    assert forced.returncode == 1, forced
    assert "(deletes: Drop table 'notes')" in one_error_line(forced)
    assert fetch(linkgress_dsn, "SELECT count(*) AS n FROM notes")[0]["n"] == 1

    too_many = run_cli(*flags, "down", "3", "--yes", cwd=tmp_path)
    assert too_many.returncode == 1, too_many
    line = one_error_line(too_many)
    assert "Cannot revert 3 migrations: only 1 is applied; nothing was reverted" in line
    assert fetch(linkgress_dsn, "SELECT count(*) AS n FROM notes")[0]["n"] == 1


def test_out_of_order_files_are_refused_unless_allowed(tmp_path: Path, linkgress_dsn: str) -> None:
    write_app(tmp_path)
    flags = ("--dsn", linkgress_dsn, "--context", CONTEXT)
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "20240102_000000_b.py").write_text(MIGRATION.format(name="B", table="t_b"))
    assert run_cli(*flags, "up", cwd=tmp_path).returncode == 0
    # A branch merged later brings a file older than the applied one.
    (folder / "20240101_000000_a.py").write_text(MIGRATION.format(name="A", table="t_a"))

    refused = run_cli(*flags, "up", cwd=tmp_path)
    assert refused.returncode == 1, refused
    line = one_error_line(refused)
    assert "20240101_000000_a.py" in line
    assert "20240102_000000_b.py" in line
    assert "--allow-out-of-order" in line
    assert columns(linkgress_dsn, "t_a") == []

    allowed = run_cli(*flags, "up", "--allow-out-of-order", cwd=tmp_path)
    assert allowed.returncode == 0, allowed
    assert columns(linkgress_dsn, "t_a") == ["id"]


class Empty(DbContext):
    def setup_model(self, model: DbModelConfig) -> None:
        pass


async def test_runner_bounds_down_and_refuses_out_of_order(
    linkgress_dsn: str, tmp_path: Path
) -> None:
    (tmp_path / "20240102_000000_b.py").write_text(MIGRATION.format(name="B", table="t_b"))
    async with Empty(PgClient(dsn=linkgress_dsn)) as db:
        runner = MigrationRunner(db, tmp_path, verbose=False)
        assert (await runner.up()).applied == ["20240102_000000_b.py"]
        (tmp_path / "20240101_000000_a.py").write_text(MIGRATION.format(name="A", table="t_a"))
        with pytest.raises(OutOfOrderMigrationError, match="allow_out_of_order=True"):
            await runner.up()
        assert (await runner.up(allow_out_of_order=True)).applied == ["20240101_000000_a.py"]
        with pytest.raises(MigrationError, match="only 2 are applied"):
            await runner.down(3)
        assert len(await runner.get_applied()) == 2
        reverted = await runner.down(to="20240102_000000_b.py")
        assert reverted.applied == ["20240101_000000_a.py"]
        assert await runner.get_applied() == ["20240102_000000_b.py"]
