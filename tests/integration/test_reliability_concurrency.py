"""Concurrency: many runner processes on one database, and a runner that waits too long.

Two concurrent ``migrate()`` calls are covered by
``test_manager_behaviour.py::test_concurrent_migrations_apply_the_plan_once``; concurrent
runners in one process by ``test_runner.py::test_concurrent_runners_apply_each_file_once``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import anyio
import asyncpg

from linkgress_async.migrations.journal import Journal

ROOT = Path(__file__).resolve().parents[2]

# Prints the outcome as one line: "ok <applied> <skipped>" or "error <type> <message>".
SCRIPT = """
import sys
import anyio
from linkgress_async import DbContext, LinkgressError, PgClient
from linkgress_async.migrations import MigrationRunner

async def main() -> None:
    async with DbContext(PgClient(dsn=sys.argv[1], min_size=1, max_size=1)) as db:
        runner = MigrationRunner(db, sys.argv[2], verbose=False, lock_timeout=float(sys.argv[3]))
        try:
            result = await runner.up()
        except LinkgressError as error:
            print("error", type(error).__name__, error)
            return
    assert result.failed is None, result.failed
    print("ok", len(result.applied), len(result.skipped))

anyio.run(main)
"""

MIGRATION = """
from linkgress_async.migrations import Migration

class Step(Migration):
    async def up(self, db):
        await db.execute("CREATE TABLE IF NOT EXISTS runs (filename text, pid int)")
        await db.execute("INSERT INTO runs VALUES ('{name}', pg_backend_pid())")
        await db.execute("CREATE TABLE t_{number} (id int)")
        await db.execute("SELECT pg_sleep(0.1)")

    async def down(self, db):
        await db.execute("DROP TABLE t_{number}")
"""


def write_migrations(directory: Path, count: int) -> list[str]:
    directory.mkdir()
    names = [f"2024010{number}_000000_step.py" for number in range(count)]
    for number, name in enumerate(names):
        (directory / name).write_text(MIGRATION.format(name=name, number=number))
    return names


async def run_processes(
    script: Path, dsn: str, directory: Path, lock_timeouts: list[float]
) -> list[str]:
    outputs: list[str] = []

    async def run(lock_timeout: float) -> None:
        done = await anyio.run_process(
            [sys.executable, str(script), dsn, str(directory), str(lock_timeout)],
            cwd=ROOT,
            check=False,
        )
        assert done.returncode == 0, done.stderr.decode()
        outputs.append(done.stdout.decode().strip())

    async with anyio.create_task_group() as group:
        for lock_timeout in lock_timeouts:
            group.start_soon(run, lock_timeout)
    return outputs


async def test_ten_processes_apply_each_migration_exactly_once(
    linkgress_dsn: str, tmp_path: Path
) -> None:
    names = write_migrations(tmp_path / "migrations", 5)
    script = tmp_path / "run.py"
    script.write_text(SCRIPT)
    outputs = await run_processes(script, linkgress_dsn, tmp_path / "migrations", [60.0] * 10)

    assert all(line.startswith("ok ") for line in outputs), outputs
    counts = [tuple(map(int, line.split()[1:])) for line in outputs]
    # Every process saw all five files, as applied by itself or by another process.
    assert {applied + skipped for applied, skipped in counts} == {5}
    assert sum(applied for applied, _ in counts) == 5
    conn = await asyncpg.connect(linkgress_dsn)
    try:
        journal = await conn.fetch("SELECT filename FROM public.__migrations ORDER BY id")
        assert [row["filename"] for row in journal] == names
        runs = await conn.fetch("SELECT filename, count(*) AS n FROM runs GROUP BY 1 ORDER BY 1")
        assert [(row["filename"], row["n"]) for row in runs] == [(name, 1) for name in names]
    finally:
        await conn.close()


async def test_a_process_past_the_lock_timeout_changes_nothing(
    linkgress_dsn: str, tmp_path: Path
) -> None:
    write_migrations(tmp_path / "migrations", 2)
    script = tmp_path / "run.py"
    script.write_text(SCRIPT)
    holder = await asyncpg.connect(linkgress_dsn)
    try:
        # Another runner holds the journal's lock for longer than these processes wait.
        await holder.execute(
            "SELECT pg_advisory_lock($1)", Journal("public", "__migrations").lock_key
        )
        outputs = await run_processes(script, linkgress_dsn, tmp_path / "migrations", [0.3, 0.3])
        for line in outputs:
            assert line.startswith("error MigrationLockTimeoutError "), line
            assert '"public"."__migrations"' in line
            assert "lock_timeout=0.3" in line
            assert "nothing was run" in line
        # Nothing changed: not even the journal was created.
        found = await holder.fetchval(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public'"
        )
        assert found == 0
    finally:
        await holder.close()
