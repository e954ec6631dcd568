"""``linkgress up`` and ``migrate`` over many databases: ``--dsn-file`` and ``--all-databases``."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import anyio
import anyio.to_thread
import asyncpg
import pytest

from linkgress_async.dsn import redact_dsn
from linkgress_async.migrations.journal import Journal
from linkgress_async.testing import DatabaseFactory, LinkgressServer
from tests.integration.test_cli import (
    CONTEXT,
    NOTES_V2,
    columns,
    fetch,
    one_error_line,
    run_cli,
    write_app,
)
from tests.integration.test_fleet_report import closed_port

MIGRATION = """
from linkgress_async import Migration


class Step(Migration):
    async def up(self, db):
        await db.query({up!r})

    async def down(self, db):
        await db.query({down!r})
"""


def write_migration(directory: Path, name: str, up: str, down: str) -> None:
    directory.mkdir(exist_ok=True)
    (directory / name).write_text(MIGRATION.format(up=up, down=down))


def test_up_dsn_file_over_three_databases(
    tmp_path: Path, linkgress_databases: DatabaseFactory
) -> None:
    write_app(tmp_path)
    migrations = tmp_path / "migrations"
    write_migration(
        migrations,
        "001_items.py",
        "CREATE TABLE items (id integer PRIMARY KEY)",
        "DROP TABLE items",
    )
    dsns = [linkgress_databases.create_sync() for _ in range(3)]
    (tmp_path / "targets.txt").write_text(
        f"# the shops\n{dsns[0]} label=first\n{dsns[1]}\n\n{dsns[2]}\n"
    )
    # No --dsn and no DATABASE_URL: the file names every database, nothing else is needed.
    flags = ("--context", CONTEXT, "up", "--dsn-file", "targets.txt", "--concurrency", "2")

    first = run_cli(*flags, "--log-format", "text", cwd=tmp_path)
    assert first.returncode == 0, first
    assert "embedded development database" not in first.stderr
    progress = [line for line in first.stdout.splitlines() if line.startswith("target ")]
    assert len(progress) == 3, first
    assert any(line.startswith("target 1 of 3: first ... ok (1 applied") for line in progress)
    assert "3 targets: 3 ok, 0 skipped, 0 failed, 0 not-run" in first.stdout
    for dsn in dsns:
        assert columns(dsn, "items") == ["id"]

    # A second file that fails on one target only: that target is the table's failed row.
    write_migration(migrations, "002_tags.py", "CREATE TABLE tags (id integer)", "DROP TABLE tags")
    fetch(dsns[1], "CREATE TABLE tags (other text)")
    second = run_cli(*flags, cwd=tmp_path)
    assert second.returncode == 1, second
    assert "3 targets: 2 ok, 0 skipped, 1 failed, 0 not-run" in second.stdout
    # Off a terminal and without --log-format: no line per target, the failure by its cause.
    assert not [line for line in second.stdout.splitlines() if line.startswith("target ")]
    assert "Failures by cause (1 target, 1 cause):" in second.stdout
    assert '1 target: 002_tags.py: DuplicateTableError: relation "tags" already exists' in (
        second.stdout
    ), second
    assert f"e.g. {redact_dsn(dsns[1])}" in second.stdout
    assert "1 of 3 targets failed and 0 did not run" in one_error_line(second)
    assert columns(dsns[0], "tags") == ["id"]
    assert columns(dsns[1], "tags") == ["other"]


@pytest.fixture
def prefixed_databases(linkgress_server: LinkgressServer) -> Iterator[tuple[str, list[str]]]:
    """Two databases whose names share a prefix no other test's database has."""
    prefix = f"lkcli_{uuid.uuid4().hex[:12]}_"
    names = [linkgress_server.create_database(f"{prefix}{n}") for n in ("a", "b")]
    try:
        yield prefix, [linkgress_server.dsn(name) for name in names]
    finally:
        for name in names:
            linkgress_server.drop_database(name)


def test_migrate_all_databases_like_with_a_canary(
    tmp_path: Path, linkgress_server: LinkgressServer, prefixed_databases: tuple[str, list[str]]
) -> None:
    prefix, dsns = prefixed_databases
    write_app(tmp_path)
    flags = ("--dsn", linkgress_server.dsn(), "--context", CONTEXT, "migrate", "--all-databases")
    selection = ("--like", f"{prefix}%", "--canary", "1", "--stop-on-failure")

    created = run_cli(*flags, *selection, "--log-format", "text", cwd=tmp_path)
    assert created.returncode == 0, created
    assert "2 targets: 2 ok, 0 skipped, 0 failed, 0 not-run" in created.stdout
    assert f"{redact_dsn(dsns[0])} ... ok (2 applied" in created.stdout
    for dsn in dsns:
        assert columns(dsn, "notes") == ["id", "title", "body"]

    # Destructive without --yes: the canary fails, so the other target never starts.
    write_app(tmp_path, NOTES_V2)
    refused = run_cli(*flags, *selection, cwd=tmp_path)
    assert refused.returncode == 1, refused
    assert "2 targets: 0 ok, 0 skipped, 1 failed, 1 not-run" in refused.stdout
    assert "DestructiveMigrationError" in refused.stdout
    assert f"Not run (1 target): e.g. {redact_dsn(dsns[1])}" in refused.stdout
    line = one_error_line(refused)
    assert "1 of 2 targets failed and 1 did not run" in line
    assert "destructive changes need --yes" in line
    for dsn in dsns:
        assert columns(dsn, "notes") == ["id", "title", "body"]

    applied = run_cli(*flags, *selection, "--yes", cwd=tmp_path)
    assert applied.returncode == 0, applied
    for dsn in dsns:
        assert columns(dsn, "notes") == ["id", "title"]


def test_fleet_flags_are_checked_before_anything_runs(tmp_path: Path) -> None:
    write_app(tmp_path)
    unreachable = ("--dsn", "postgresql://nobody@127.0.0.1:1/none", "--context", CONTEXT)
    alone = run_cli(*unreachable, "up", "--like", "shop_%", cwd=tmp_path)
    assert alone.returncode == 2, alone
    assert "--like selects databases for --all-databases" in one_error_line(alone)
    missing = run_cli(*unreachable, "up", "--dsn-file", "nowhere.txt", cwd=tmp_path)
    assert missing.returncode == 2, missing
    assert "cannot read --dsn-file nowhere.txt" in one_error_line(missing)


async def test_lock_and_deadline_flags_reach_every_target(
    tmp_path: Path, linkgress_databases: DatabaseFactory
) -> None:
    write_app(tmp_path)
    write_migration(
        tmp_path / "migrations",
        "001_items.py",
        "CREATE TABLE items (id integer)",
        "DROP TABLE items",
    )
    dsns = [await linkgress_databases.create() for _ in range(3)]
    (tmp_path / "targets.txt").write_text("\n".join(dsns) + "\n")
    holder = await asyncpg.connect(dsns[1])
    try:
        # Another runner holds target 2's journal lock for the whole run.
        await holder.execute(
            "SELECT pg_advisory_lock($1)", Journal("public", "__migrations").lock_key
        )
        flags = ("--context", CONTEXT, "up", "--dsn-file", "targets.txt", "--lock-timeout", "0.5")
        bounds = ("--target-timeout", "30", "--deadline", "60", "--per-host", "1")
        tuning = ("--capacity-retries", "1", "--ddl-lock-timeout", "2", "--lock-retries", "0")
        result = await anyio.to_thread.run_sync(
            lambda: run_cli(*flags, *bounds, *tuning, "--network-timeout", "20", cwd=tmp_path)
        )
    finally:
        await holder.close()
    assert result.returncode == 1, result
    assert "3 targets: 2 ok, 0 skipped, 1 failed, 0 not-run" in result.stdout
    assert "MigrationLockTimeoutError" in result.stdout
    assert "lock_timeout=0.5 s" in result.stdout


async def test_a_table_lock_timeout_names_the_flags_that_raise_it(
    tmp_path: Path, linkgress_databases: DatabaseFactory
) -> None:
    write_app(tmp_path)
    migrations = tmp_path / "migrations"
    write_migration(
        migrations, "001_items.py", "CREATE TABLE items (id integer)", "DROP TABLE items"
    )
    write_migration(
        migrations, "002_more.py", "ALTER TABLE items ADD COLUMN more integer", "SELECT 1"
    )
    dsn = await linkgress_databases.create()
    await anyio.to_thread.run_sync(
        lambda: run_cli("--dsn", dsn, "--context", CONTEXT, "up", cwd=tmp_path)
    )
    holder = await asyncpg.connect(dsn)
    try:
        await holder.execute("BEGIN; LOCK TABLE items IN ACCESS SHARE MODE")
        write_migration(
            migrations, "003_again.py", "ALTER TABLE items ADD COLUMN again integer", "SELECT 1"
        )
        flags = ("--dsn", dsn, "--context", CONTEXT, "up")
        result = await anyio.to_thread.run_sync(
            lambda: run_cli(
                *flags, "--ddl-lock-timeout", "0.2", "--lock-retries", "1", cwd=tmp_path
            )
        )
    finally:
        await holder.close()
    assert result.returncode == 1, result
    text = result.stdout + result.stderr
    assert "lock_timeout=0.2 s in 2 attempts" in text, result
    assert "--ddl-lock-timeout SECONDS, --lock-retries N" in text, result


def test_output_at_5000_targets_is_a_few_kilobytes(
    tmp_path: Path, linkgress_databases: DatabaseFactory
) -> None:
    write_app(tmp_path)
    write_migration(
        tmp_path / "migrations",
        "001_items.py",
        "CREATE TABLE items (id integer PRIMARY KEY)",
        "DROP TABLE items",
    )
    dsns = [linkgress_databases.create_sync() for _ in range(2)]
    port = closed_port()
    # sslmode=disable: no SSL context per refused target, which would be most of the time.
    gone = [
        f"postgresql://app:secret@127.0.0.1:{port}/shop_{n:05d}?sslmode=disable"
        for n in range(4998)
    ]
    (tmp_path / "targets.txt").write_text("\n".join([*dsns, *gone]) + "\n")
    flags = ("--context", CONTEXT, "up", "--dsn-file", "targets.txt", "--concurrency", "32")

    result = run_cli(*flags, "--junit-xml", "report.xml", cwd=tmp_path)

    assert result.returncode == 1, result
    size = len(result.stdout.encode()) + len(result.stderr.encode())
    assert size < 4000, result
    assert "5000 targets: 2 ok, 0 skipped, 4998 failed, 0 not-run" in result.stdout
    assert "Failures by cause (4998 targets, 1 cause):" in result.stdout
    assert "4998 targets: ConnectionFailedError: " in result.stdout
    assert "(+4995 more)" in result.stdout
    # Off a terminal: a progress line at each tenth of the targets, not one per target.
    progress = [line for line in result.stdout.splitlines() if "/5000 done:" in line]
    assert len(progress) == 10, result
    assert "secret" not in result.stdout + result.stderr
    junit = (tmp_path / "report.xml").read_text()
    assert junit.count("<testcase ") == 5000
    assert junit.count("<failure ") == 4998
    for dsn in dsns:
        assert columns(dsn, "items") == ["id"]


def test_json_prints_the_whole_result_and_keeps_stdout_parseable(
    tmp_path: Path, linkgress_databases: DatabaseFactory
) -> None:
    write_app(tmp_path)
    write_migration(
        tmp_path / "migrations", "001_items.py", "CREATE TABLE items (id integer)", "SELECT 1"
    )
    dsns = [linkgress_databases.create_sync() for _ in range(2)]
    fetch(dsns[1], "CREATE TABLE items (other text)")
    (tmp_path / "targets.txt").write_text("\n".join(dsns) + "\n")
    flags = ("--context", CONTEXT, "up", "--dsn-file", "targets.txt")

    result = run_cli(*flags, "--json", "--log-format", "text", cwd=tmp_path)

    assert result.returncode == 1, result
    document = json.loads(result.stdout)
    assert [t["status"] for t in document["targets"]] == ["ok", "failed"]
    assert document["failures_by_cause"][0]["error_type"] == "DuplicateTableError"
    assert "target 2 of 2: " in result.stderr
    alone = run_cli("--context", CONTEXT, "--dsn", dsns[0], "up", "--json", cwd=tmp_path)
    assert alone.returncode == 2, alone
    assert "--json only apply to many databases" in one_error_line(alone)
