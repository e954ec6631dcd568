"""Runs the code of docs/fleet.md's sections on reports and fleet-wide checks (issue 18)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from linkgress_async import DbContext, MigrationRunner
from linkgress_async.testing import DatabaseFactory
from tests.integration.test_fleet import PRICES, execute, journal, two_files
from tests.integration.test_fleet_checks import INDEX, broken_rollout
from tests.integration.test_fleet_docs import doc_namespace


async def test_roll_out_for_ci(
    linkgress_databases: DatabaseFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dsns = [await linkgress_databases.create() for _ in range(3)]
    directory = two_files(tmp_path / "migrations")
    await execute(dsns[2], "CREATE TABLE prices (legacy text)")
    roll_out = doc_namespace("async def ci_roll_out")["ci_roll_out"]

    result = await roll_out(DbContext, dsns, directory, tmp_path)

    assert [t.status for t in result.targets] == ["ok", "ok", "failed"]
    out = capsys.readouterr().out
    assert out.startswith("3 targets: 2 ok, 0 skipped, 1 failed, 0 not-run")
    assert f"1 target: {PRICES}: DuplicateTableError" in out
    assert f"1 x DuplicateTableError: e.g. {result.targets[2].label}" in out
    document = json.loads((tmp_path / "fleet.json").read_text())
    assert document["counts"]["failed"] == 1
    suite = ElementTree.parse(tmp_path / "fleet.xml").getroot()
    assert suite.get("name") == "migrations"
    assert suite.get("failures") == "1"


async def test_finish_interrupted_index(
    linkgress_databases: DatabaseFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dsns = [await linkgress_databases.create() for _ in range(4)]
    directory = two_files(tmp_path / "migrations")
    two_files(tmp_path / "two")
    await broken_rollout(dsns, directory)
    for dsn in dsns[1:3]:
        await execute(dsn, "ALTER TABLE prices ADD COLUMN amount numeric")
    finish = doc_namespace("async def finish_interrupted_index")["finish_interrupted_index"]

    before, resolved = await finish(DbContext, dsns, directory, INDEX)

    assert [t.status for t in before.targets] == ["clean", "found", "found", "found"]
    assert [t.label for t in resolved.targets] == [before.targets[i].label for i in (1, 2)]
    assert [t.status for t in resolved.targets] == ["ok", "ok"]
    assert f"2 targets: 1 unresolved ({INDEX})" in capsys.readouterr().out
    again = await MigrationRunner.up_many(DbContext, dsns, migrations_directory=directory)
    assert [t.status for t in again.targets] == ["skipped", "ok", "ok", "ok"]
    assert INDEX in (await journal(dsns[1]) or [])
