"""Waves, the run record and resuming, on real databases (MigrationRunner.up_many)."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import asyncpg
import pytest

from linkgress_async import DbContext, MigrationRunner
from linkgress_async.fleet import (
    FleetTarget,
    RunRecordError,
    TableRecord,
    Wave,
    last_run,
    migrate_many,
)
from linkgress_async.testing import DatabaseFactory
from tests.integration.test_fleet import (
    CREATE,
    PRICES,
    Probe,
    databases,
    execute,
    journal,
    probed_context,
    statuses,
    two_files,
    write,
)


def entries(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


async def test_a_wave_that_breaks_its_rule_stops_the_run_and_says_which(
    linkgress_databases: DatabaseFactory, tmp_path: Path
) -> None:
    dsns = await databases(linkgress_databases, 10)
    directory = two_files(tmp_path / "m")
    await execute(dsns[3], "CREATE TABLE items (legacy text)")

    result = await MigrationRunner.up_many(
        DbContext, dsns, migrations_directory=directory, canary=1, waves=[3, "50%"], concurrency=4
    )

    assert statuses(result) == ["ok"] * 3 + ["failed"] + ["not-run"] * 6
    assert result.stopped == (
        "wave 1 (3): 1 of 3 failed, over max_failures=0: stopped the run; 6 targets not run"
    )
    assert result.summary().endswith(result.stopped)
    for dsn in dsns[4:]:
        assert await journal(dsn) is None


async def test_a_wave_tolerates_what_its_rule_allows(
    linkgress_databases: DatabaseFactory, tmp_path: Path
) -> None:
    dsns = await databases(linkgress_databases, 8)
    directory = two_files(tmp_path / "m")
    await execute(dsns[0], "CREATE TABLE items (legacy text)")
    await execute(dsns[5], "CREATE TABLE items (legacy text)")

    # Wave 1 allows one failure of four; wave 2 allows none, and its target 6 fails.
    result = await MigrationRunner.up_many(
        DbContext,
        dsns,
        migrations_directory=directory,
        waves=[Wave(4, max_failures=1), Wave(2, name="second wave")],
        concurrency=2,
    )

    assert statuses(result) == ["failed", "ok", "ok", "ok", "ok", "failed", "not-run", "not-run"]
    assert result.stopped == (
        "second wave: 1 of 2 failed, over max_failures=0: stopped the run; 2 targets not run"
    )


async def test_a_failing_canary_says_it_stopped_the_run(
    linkgress_databases: DatabaseFactory, tmp_path: Path
) -> None:
    dsns = await databases(linkgress_databases, 4)
    await execute(dsns[0], "CREATE TABLE items (legacy text)")
    result = await MigrationRunner.up_many(
        DbContext, dsns, migrations_directory=two_files(tmp_path / "m"), canary=1
    )
    assert statuses(result) == ["failed"] + ["not-run"] * 3
    assert result.stopped == "canary failed: stopped the run; 3 targets not run"


async def test_stop_on_failure_names_the_target_that_stopped_the_run(
    linkgress_databases: DatabaseFactory, tmp_path: Path
) -> None:
    dsns = await databases(linkgress_databases, 3)
    await execute(dsns[1], "CREATE TABLE items (legacy text)")
    targets = [FleetTarget(dsn, label=f"t{n}") for n, dsn in enumerate(dsns)]
    result = await MigrationRunner.up_many(
        DbContext,
        targets,
        migrations_directory=two_files(tmp_path / "m"),
        concurrency=1,
        stop_on_failure=True,
    )
    assert result.stopped == (
        "target 2 (t1) failed with stop_on_failure: stopped the run; 1 target not run"
    )


async def test_a_file_record_then_resume_runs_only_the_unfinished_targets(
    linkgress_databases: DatabaseFactory, tmp_path: Path
) -> None:
    dsns = await databases(linkgress_databases, 6)
    directory = two_files(tmp_path / "m")
    record = tmp_path / "rollout.jsonl"
    await execute(dsns[2], "CREATE TABLE prices (legacy text)")

    first = await MigrationRunner.up_many(
        DbContext,
        dsns,
        migrations_directory=directory,
        concurrency=1,
        stop_on_failure=True,
        record=record,
        lock_timeout=20,
    )
    assert statuses(first) == ["ok", "ok", "failed", "not-run", "not-run", "not-run"]

    written = entries(record)
    assert [e["entry"] for e in written] == ["run"] + ["target"] * 6 + ["end"]
    run = written[0]
    assert run["operation"] == "up_many"
    assert run["targets"] == 6
    assert isinstance(run["options"], dict)
    assert run["options"]["lock_timeout"] == 20
    assert run["options"]["stop_on_failure"] is True
    failed = written[3]
    assert failed["status"] == "failed"
    assert failed["applied"] == 1
    assert failed["cause"] == "DuplicateTableError (42P07)"
    assert str(failed["error"]).startswith(f"{PRICES}: DuplicateTableError")
    assert [e["status"] for e in written[4:7]] == ["not-run"] * 3
    assert written[-1]["counts"] == {"ok": 2, "skipped": 0, "failed": 1, "not-run": 3}
    assert "secret" not in record.read_text()

    shown = await last_run(record)
    assert shown is not None
    assert not shown.ok
    assert shown.counts == {"ok": 2, "skipped": 0, "failed": 1, "not-run": 3}
    assert shown.causes == ((failed["cause"], 1, failed["error"]),)
    assert "--resume" in shown.render()

    await execute(dsns[2], "DROP TABLE prices")
    probe = Probe()
    resumed = await MigrationRunner.up_many(
        probed_context(probe), dsns, migrations_directory=directory, record=record, resume=True
    )
    # Only the failed and the not-run targets were touched: four contexts, four results.
    assert len(probe.clients) == 4
    assert [t.target.dsn for t in resumed.targets] == dsns[2:]
    assert statuses(resumed) == ["ok"] * 4
    assert resumed.targets[0].applied == (PRICES,)
    assert resumed.resumed_skipped == 2
    assert "(2 finished by the recorded run left out)" in resumed.summary()
    for dsn in dsns:
        assert await journal(dsn) == [CREATE, PRICES]

    again = await last_run(record)
    assert again is not None
    assert again.ok
    assert again.targets == 6
    assert again.carried == 2
    assert again.resumed_from == shown.run_id
    assert again.counts == {"ok": 6, "skipped": 0, "failed": 0, "not-run": 0}

    # Nothing left: a second resume runs nothing.
    nothing = await MigrationRunner.up_many(
        DbContext, dsns, migrations_directory=directory, record=record, resume=True
    )
    assert nothing.targets == ()
    assert nothing.ok
    assert nothing.resumed_skipped == 6


async def test_a_record_cut_short_by_a_crash_is_readable_and_resumable(
    linkgress_databases: DatabaseFactory, tmp_path: Path
) -> None:
    dsns = await databases(linkgress_databases, 4)
    directory = two_files(tmp_path / "m")
    record = tmp_path / "rollout.jsonl"
    await MigrationRunner.up_many(
        DbContext, dsns, migrations_directory=directory, concurrency=1, record=record
    )
    # As a SIGKILL leaves it: two targets written, a third torn mid-line, no end.
    lines = record.read_text(encoding="utf-8").splitlines(keepends=True)
    record.write_text("".join(lines[:3]) + lines[3][:25], encoding="utf-8")

    shown = await last_run(record)
    assert shown is not None
    assert not shown.ended
    assert not shown.ok
    assert shown.unrecorded == 2
    assert shown.counts == {"ok": 2, "skipped": 0, "failed": 0, "not-run": 2}
    assert "did not end" in shown.render()

    probe = Probe()
    resumed = await MigrationRunner.up_many(
        probed_context(probe), dsns, migrations_directory=directory, record=record, resume=True
    )
    assert [t.target.dsn for t in resumed.targets] == dsns[2:]
    assert statuses(resumed) == ["skipped", "skipped"]
    assert len(probe.clients) == 2


async def test_a_table_record_groups_failures_by_cause_and_resumes(
    linkgress_dsn: str, linkgress_databases: DatabaseFactory, tmp_path: Path
) -> None:
    dsns = await databases(linkgress_databases, 4)
    directory = two_files(tmp_path / "m")
    await execute(dsns[1], "CREATE TABLE items (legacy text)")
    await execute(dsns[3], "CREATE TABLE items (legacy text)")
    record = TableRecord(linkgress_dsn, table="fleet_runs")
    assert "fleet_runs" in record.describe()

    first = await MigrationRunner.up_many(
        DbContext, dsns, migrations_directory=directory, record=record
    )
    assert statuses(first) == ["ok", "failed", "ok", "failed"]
    shown = await last_run(record)
    assert shown is not None
    assert shown.causes[0][:2] == ("DuplicateTableError (42P07)", 2)
    assert len(shown.failed_examples) == 2

    conn = await asyncpg.connect(linkgress_dsn)
    try:
        kinds = await conn.fetch("SELECT entry->>'entry' AS kind FROM fleet_runs ORDER BY seq")
    finally:
        await conn.close()
    assert [row["kind"] for row in kinds] == ["run"] + ["target"] * 4 + ["end"]

    await execute(dsns[1], "DROP TABLE items")
    resumed = await MigrationRunner.up_many(
        DbContext, dsns, migrations_directory=directory, record=record, resume=True
    )
    assert [t.target.dsn for t in resumed.targets] == [dsns[1], dsns[3]]
    assert statuses(resumed) == ["ok", "failed"]
    again = await last_run(record)
    assert again is not None
    assert again.counts == {"ok": 3, "skipped": 0, "failed": 1, "not-run": 0}
    assert again.carried == 2


async def test_resume_needs_a_recorded_run_of_the_same_operation(
    linkgress_databases: DatabaseFactory, tmp_path: Path
) -> None:
    dsns = await databases(linkgress_databases, 1)
    directory = two_files(tmp_path / "m")
    record = tmp_path / "r.jsonl"
    with pytest.raises(ValueError, match="resume=True continues the run recorded in record="):
        await MigrationRunner.up_many(DbContext, dsns, migrations_directory=directory, resume=True)
    with pytest.raises(RunRecordError, match=r"no run is recorded in .*r\.jsonl to resume"):
        await MigrationRunner.up_many(
            DbContext, dsns, migrations_directory=directory, record=record, resume=True
        )
    await MigrationRunner.up_many(DbContext, dsns, migrations_directory=directory, record=record)
    with pytest.raises(RunRecordError, match="was up_many, not migrate_many"):
        await migrate_many(DbContext, dsns, record=record, resume=True)
    with pytest.raises(RunRecordError, match="cannot write the run record"):
        await MigrationRunner.up_many(
            DbContext, dsns, migrations_directory=directory, record=tmp_path / "no" / "r.jsonl"
        )


async def test_a_cancelled_run_leaves_a_record_that_resume_finishes(
    linkgress_databases: DatabaseFactory, tmp_path: Path
) -> None:
    dsns = await databases(linkgress_databases, 5)
    record = tmp_path / "run.jsonl"
    hanging = tmp_path / "hanging"
    write(hanging, CREATE, "await db.gate()")
    reached = anyio.Event()

    class Gated(DbContext):
        async def gate(self) -> None:
            # The third target hangs until the caller gives up on the run.
            if self.client.dsn == dsns[2]:
                reached.set()
                await anyio.sleep_forever()

    async def run() -> None:
        await MigrationRunner.up_many(
            Gated, dsns, migrations_directory=hanging, concurrency=1, record=record
        )

    with anyio.fail_after(30):
        async with anyio.create_task_group() as group:
            group.start_soon(run)
            await reached.wait()
            group.cancel_scope.cancel()

    shown = await last_run(record)
    assert shown is not None
    assert not shown.ended
    assert shown.counts == {"ok": 2, "skipped": 0, "failed": 0, "not-run": 3}
    assert shown.unrecorded == 3

    resumed = await MigrationRunner.up_many(
        DbContext, dsns, migrations_directory=two_files(tmp_path / "m"), record=record, resume=True
    )
    assert [t.target.dsn for t in resumed.targets] == dsns[2:]
    assert statuses(resumed) == ["ok"] * 3
    assert await journal(dsns[2]) == [CREATE, PRICES]
