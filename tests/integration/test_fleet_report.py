"""Fleet reports that scale: failures grouped by cause, the whole result as JSON and JUnit XML,
and a report of a few lines at 5,000 targets (issue 18, item 7)."""

from __future__ import annotations

import json
import socket
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from linkgress_async import DbContext, FleetTarget, MigrationRunner
from linkgress_async.fleet import FleetResult, TargetResult
from linkgress_async.fleet.report import cause_of
from linkgress_async.testing import DatabaseFactory
from tests.integration.test_fleet import PRICES, databases, execute, statuses, two_files


def closed_port() -> int:
    """A local TCP port nothing listens on (connections to it are refused at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_failures_are_grouped_by_cause_with_examples(
    linkgress_databases: DatabaseFactory, tmp_path: Path
) -> None:
    dsns = await databases(linkgress_databases, 4)
    directory = two_files(tmp_path / "migrations")
    # Two targets fail on the same conflicting table; a third names a server that is not there.
    for dsn in dsns[1:3]:
        await execute(dsn, "CREATE TABLE prices (legacy text)")
    nowhere = f"postgresql://app:secret@127.0.0.1:{closed_port()}/shop_gone"
    targets = [*dsns, FleetTarget(nowhere, label="gone")]

    result = await MigrationRunner.up_many(DbContext, targets, migrations_directory=directory)

    assert statuses(result) == ["ok", "failed", "failed", "ok", "failed"]
    groups = result.failures_by_cause()
    assert [(group.count, group.error_type) for group in groups] == [
        (2, "DuplicateTableError"),
        (1, "ConnectionFailedError"),
    ]
    conflict, gone = groups
    assert conflict.cause == f'{PRICES}: DuplicateTableError: relation "" already exists'
    assert conflict.examples == (result.targets[1].label, result.targets[2].label)
    assert conflict.sample == result.targets[1].error
    # What names the target (port, database, user) is out of the cause; the class stays.
    assert "secret" not in gone.cause
    assert "shop_gone" not in gone.cause
    assert gone.cause.startswith("ConnectionFailedError: ")
    assert gone.examples == ("gone",)

    report = result.report()
    assert report.splitlines()[0].startswith("5 targets: 2 ok, 0 skipped, 3 failed, 0 not-run")
    assert "Failures by cause (3 targets, 2 causes):" in report
    assert f"2 targets: {conflict.cause}" in report
    assert "1 target: ConnectionFailedError: " in report


async def test_the_whole_result_as_json_and_junit_xml(
    linkgress_databases: DatabaseFactory, tmp_path: Path
) -> None:
    dsns = await databases(linkgress_databases, 3)
    directory = two_files(tmp_path / "migrations")
    await execute(dsns[1], "CREATE TABLE prices (legacy text)")
    result = await MigrationRunner.up_many(
        DbContext, dsns, migrations_directory=directory, canary=2, concurrency=1
    )
    assert statuses(result) == ["ok", "failed", "not-run"]

    document = json.loads(json.dumps(result.as_document()))
    assert document["ok"] is False
    assert document["counts"] == {"ok": 1, "skipped": 0, "failed": 1, "not-run": 1}
    assert document["stopped"] == result.stopped
    assert document["stopped"] is not None
    assert "canary" in document["stopped"]
    assert document["resumed_skipped"] == 0
    assert [t["status"] for t in document["targets"]] == ["ok", "failed", "not-run"]
    assert document["targets"][0]["applied"] == ["001_create_items.py", PRICES]
    failed = document["targets"][1]
    assert failed["error_type"] == "DuplicateTableError"
    assert failed["cause"] == document["failures_by_cause"][0]["cause"]
    assert document["failures_by_cause"][0]["examples"] == [result.targets[1].label]

    suite = ElementTree.fromstring(result.junit_xml(suite="rollout"))
    assert suite.tag == "testsuite"
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("3", "1", "1")
    cases = suite.findall("testcase")
    assert [case.get("name") for case in cases] == [t.label for t in result.targets]
    assert cases[0].find("failure") is None
    assert cases[0].find("skipped") is None
    failure = cases[1].find("failure")
    assert failure is not None
    assert failure.get("type") == "DuplicateTableError"
    assert failure.get("message") == cause_of(result.targets[1])
    assert failure.text == result.targets[1].error
    assert cases[2].find("skipped") is not None


def test_a_report_of_5000_targets_is_a_few_kilobytes() -> None:
    # Targets of 40 servers, failing in three ways that each name the target differently.
    ports = [5432 + n for n in range(40)]
    results = []
    for n in range(5000):
        target = FleetTarget(f"postgresql://app:secret@db{n % 40}:{ports[n % 40]}/shop_{n:05d}")
        if n % 10 == 1:
            error = (
                f"ConnectionFailedError: Cannot connect to PostgreSQL at db{n % 40}:"
                f"{ports[n % 40]}, database 'shop_{n:05d}': timed out after 5 s"
            )
        elif n % 10 == 2:
            error = (
                "MigrationLockTimeoutError: another migration holds the lock of "
                f'"shop_{n:05d}"."public"."__migrations" (pid {30000 + n}); waited lock_timeout=5 s'
            )
        elif n % 50 == 3:
            error = f'{PRICES}: DuplicateTableError: relation "prices_{n}" already exists'
        else:
            error = None
        status = "ok" if error is None else "failed"
        results.append(TargetResult(n + 1, target, status, ("001_a.py",), 0.05, error))
    result = FleetResult(tuple(results), 100.0)

    report = result.report()
    groups = result.failures_by_cause()
    assert [group.count for group in groups] == [500, 500, 100]
    assert "waited lock_timeout=5 s" in groups[1].cause
    assert len(report.encode()) < 3000, report
    # The table of every target is what it replaces.
    assert len(result.render().encode()) > 400_000


async def test_a_report_never_shows_a_password(tmp_path: Path) -> None:
    directory = two_files(tmp_path / "migrations")
    target = f"postgresql://app:hunter2@127.0.0.1:{closed_port()}/shop"
    result = await MigrationRunner.up_many(DbContext, [target], migrations_directory=directory)
    assert statuses(result) == ["failed"]
    for text in (result.report(), json.dumps(result.as_document()), result.junit_xml()):
        assert "hunter2" not in text
        assert "127.0.0.1" in text
