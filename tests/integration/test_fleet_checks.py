"""Fleet-wide status, resolve and drift: the API (status_many, resolve_many, drift_many) and
``linkgress status/resolve/drift --dsn-file`` (issue 18, item 6)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import anyio
import anyio.to_thread
import pytest

from linkgress_async import DbContext, FleetTarget, MigrationRunner
from linkgress_async.errors import MigrationFileError
from linkgress_async.fleet import (
    FleetTargetError,
    drift_many,
    resolve_many,
    status_many,
)
from linkgress_async.testing import DatabaseFactory
from tests.integration.test_cli import CONTEXT, one_error_line, run_cli, write_app
from tests.integration.test_fleet import (
    CREATE,
    PRICES,
    databases,
    execute,
    journal,
    statuses,
    two_files,
)
from tests.integration.test_fleet_report import closed_port

INDEX = "003_index_prices.py"


def index_file(directory: Path) -> None:
    """A non-transactional file: it fails part-way where ``prices.amount`` is missing,
    leaving its journal row ``failed`` for resolve to settle."""
    (directory / INDEX).write_text(
        "from linkgress_async.migrations import Migration\n\n\n"
        "class Step(Migration):\n"
        "    transactional = False\n\n"
        "    async def up(self, db):\n"
        "        await db.execute('CREATE INDEX CONCURRENTLY prices_amount ON prices (amount)')\n\n"
        "    async def down(self, db):\n"
        "        await db.execute('DROP INDEX prices_amount')\n",
        encoding="utf-8",
    )


async def broken_rollout(dsns: list[str], directory: Path) -> None:
    """Three files everywhere, except that the index file fails part-way on dsns[1] and
    dsns[2] (their prices table has no amount) and dsns[3] is one file behind."""
    await MigrationRunner.up_many(DbContext, dsns[:3], migrations_directory=directory)
    for dsn in dsns[1:3]:
        await execute(dsn, "ALTER TABLE prices DROP COLUMN amount")
    index_file(directory)
    result = await MigrationRunner.up_many(DbContext, dsns[:3], migrations_directory=directory)
    assert statuses(result) == ["ok", "failed", "failed"], result.render()
    await MigrationRunner.up_many(
        DbContext, dsns[3:], migrations_directory=directory.parent / "two"
    )


async def test_status_many_groups_pending_and_unresolved_files(
    linkgress_databases: DatabaseFactory, tmp_path: Path
) -> None:
    dsns = await databases(linkgress_databases, 4)
    directory = two_files(tmp_path / "migrations")
    two_files(tmp_path / "two")
    await broken_rollout(dsns, directory)
    gone = FleetTarget(f"postgresql://app:secret@127.0.0.1:{closed_port()}/gone", label="gone")
    seen: list[str] = []

    check = await status_many(
        DbContext,
        [*dsns, gone],
        migrations_directory=directory,
        connect_timeout=2,
        on_result=lambda target: seen.append(target.status),
    )

    assert [t.status for t in check.targets] == ["clean", "found", "found", "found", "failed"]
    assert sorted(seen) == sorted(t.status for t in check.targets)
    assert check.targets[1].unresolved == (INDEX,)
    assert check.targets[1].findings == ()
    assert check.targets[3].findings == (INDEX,)
    assert not check.ok
    groups = check.groups()
    assert [(g.count, g.findings, g.unresolved) for g in groups] == [
        (2, (), (INDEX,)),
        (1, (INDEX,), ()),
    ]
    assert groups[0].examples == (check.targets[1].label, check.targets[2].label)
    report = check.report()
    assert report.startswith("5 targets: 1 up to date, 3 behind, 1 failed, 0 not-run")
    assert f"2 targets: 1 unresolved ({INDEX})" in report
    assert f"1 target: 1 pending ({INDEX})" in report
    assert "1 target: ConnectionFailedError" in report
    assert "secret" not in json.dumps(check.as_document())
    # A read: nothing was created or changed on the target without a journal.
    assert await journal(dsns[0]) == [CREATE, PRICES, INDEX]


async def test_resolve_many_settles_only_where_the_file_is_unresolved(
    linkgress_databases: DatabaseFactory, tmp_path: Path
) -> None:
    dsns = await databases(linkgress_databases, 4)
    directory = two_files(tmp_path / "migrations")
    two_files(tmp_path / "two")
    await broken_rollout(dsns, directory)
    with pytest.raises(MigrationFileError, match=r"nope\.py is not in"):
        await resolve_many(DbContext, dsns, "nope.py", applied=True, migrations_directory=directory)

    # The operator restored the column by hand on both; the index is redone by the next up.
    for dsn in dsns[1:3]:
        await execute(dsn, "ALTER TABLE prices ADD COLUMN amount numeric")
    result = await resolve_many(
        DbContext, dsns, INDEX, applied=False, migrations_directory=directory
    )

    assert statuses(result) == ["skipped", "ok", "ok", "skipped"]
    assert result.targets[1].applied == (INDEX,)
    check = await status_many(DbContext, dsns, migrations_directory=directory)
    assert [t.findings for t in check.targets] == [(), (INDEX,), (INDEX,), (INDEX,)]
    assert not check.unresolved
    finished = await MigrationRunner.up_many(DbContext, dsns, migrations_directory=directory)
    assert statuses(finished) == ["skipped", "ok", "ok", "ok"]


async def test_drift_many_groups_targets_by_their_differences(
    linkgress_databases: DatabaseFactory, tmp_path: Path
) -> None:
    dsns = await databases(linkgress_databases, 3)
    directory = two_files(tmp_path / "migrations")
    await MigrationRunner.up_many(DbContext, dsns, migrations_directory=directory)
    # Someone added a column by hand on two of them.
    for dsn in dsns[1:]:
        await execute(dsn, "ALTER TABLE items ADD COLUMN note text")
    with pytest.raises(FleetTargetError, match="tenant schema"):
        await drift_many(
            DbContext, [FleetTarget(dsns[0], schema="t1")], migrations_directory=directory
        )

    check = await drift_many(DbContext, dsns, migrations_directory=directory)

    assert [t.status for t in check.targets] == ["clean", "found", "found"]
    (group,) = check.groups()
    assert group.count == 2
    assert len(group.findings) == 1
    assert "note" in group.findings[0]
    assert check.report().startswith("3 targets: 1 without drift, 2 with drift, 0 failed")


def test_cli_status_resolve_and_drift_over_a_dsn_file(
    tmp_path: Path, linkgress_databases: DatabaseFactory
) -> None:
    dsns = [linkgress_databases.create_sync() for _ in range(4)]
    directory = two_files(tmp_path / "migrations")
    two_files(tmp_path / "two")
    anyio.run(broken_rollout, dsns, directory)
    write_app(tmp_path)
    (tmp_path / "targets.txt").write_text("\n".join(dsns) + "\n")
    flags = ("--context", CONTEXT)
    many = ("--dsn-file", "targets.txt")

    status = run_cli(*flags, "status", *many, cwd=tmp_path)
    assert status.returncode == 1, status
    assert "4 targets: 1 up to date, 3 behind, 0 failed, 0 not-run" in status.stdout
    assert f"2 targets: 1 unresolved ({INDEX})" in status.stdout
    assert "linkgress resolve FILE --applied" in one_error_line(status)

    as_json = run_cli(*flags, "status", *many, "--json", "--log-format", "json", cwd=tmp_path)
    document = json.loads(as_json.stdout)
    assert document["counts"] == {"clean": 1, "found": 3, "failed": 0, "not-run": 0}
    lines = [json.loads(line) for line in as_json.stderr.splitlines() if line.startswith("{")]
    assert sorted(line["index"] for line in lines) == [1, 2, 3, 4]

    for dsn in dsns[1:3]:
        anyio.run(execute, dsn, "ALTER TABLE prices ADD COLUMN amount numeric")
    resolve = run_cli(
        *flags, "resolve", INDEX, "--not-applied", *many, "--junit-xml", "out.xml", cwd=tmp_path
    )
    assert resolve.returncode == 0, resolve
    assert f"Resolved {INDEX} on 2 targets" in resolve.stdout
    suite = ElementTree.parse(tmp_path / "out.xml").getroot()
    assert suite.get("tests") == "4"
    assert suite.get("failures") == "0"
    again = run_cli(*flags, "resolve", INDEX, "--not-applied", *many, cwd=tmp_path)
    assert again.returncode == 1, again
    assert "is failed or running on none of the 4 targets" in one_error_line(again)

    behind = run_cli(*flags, "status", "--check", *many, cwd=tmp_path)
    assert behind.returncode == 1, behind
    assert f"3 targets: 1 pending ({INDEX})" in behind.stdout
    assert run_cli(*flags, "up", *many, cwd=tmp_path).returncode == 0
    assert run_cli(*flags, "status", "--check", *many, cwd=tmp_path).returncode == 0

    anyio.run(execute, dsns[2], "ALTER TABLE items ADD COLUMN note text")
    drift = run_cli(*flags, "drift", *many, cwd=tmp_path)
    assert drift.returncode == 1, drift
    assert "4 targets: 3 without drift, 1 with drift, 0 failed, 0 not-run" in drift.stdout
    assert "1 of 4 targets have drift" in one_error_line(drift)
    scratch = run_cli(*flags, "drift", *many, "--scratch-dsn", dsns[0], cwd=tmp_path)
    assert scratch.returncode == 2, scratch
    assert "--scratch-dsn names one empty database" in one_error_line(scratch)


async def test_status_many_bounds_apply(tmp_path: Path) -> None:
    directory = two_files(tmp_path / "migrations")
    port = closed_port()
    targets = [f"postgresql://app@127.0.0.1:{port}/db{n}" for n in range(30)]
    with anyio.fail_after(30):
        check = await status_many(
            DbContext, targets, migrations_directory=directory, concurrency=8, per_host=2
        )
    assert check.counts()["failed"] == 30
    assert [group.count for group in check.failures_by_cause()] == [30]
