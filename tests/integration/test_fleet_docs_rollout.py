"""Runs the waves and run-record code of docs/fleet.md (the rest: test_fleet_docs.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from linkgress_async import DbContext
from linkgress_async.dsn import redact_dsn
from linkgress_async.testing import DatabaseFactory
from tests.integration.test_fleet import CREATE, PRICES, execute, journal, statuses, two_files
from tests.integration.test_fleet_docs import doc_namespace


async def test_staged_roll_out(
    linkgress_databases: DatabaseFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dsns = [await linkgress_databases.create() for _ in range(12)]
    # The 1 % wave is target 2: it fails, so the 10 % wave and the rest never start.
    await execute(dsns[1], "CREATE TABLE items (legacy text)")
    staged = doc_namespace("async def staged_roll_out")["staged_roll_out"]

    result = await staged(DbContext, dsns, two_files(tmp_path / "m"))

    assert statuses(result) == ["ok", "failed"] + ["not-run"] * 10
    message = "wave 1 (1%): 1 of 1 failed, over max_failures=0: stopped the run; 10 targets not run"
    assert result.stopped == message
    assert capsys.readouterr().out.strip() == message


async def test_recorded_roll_out(
    linkgress_databases: DatabaseFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dsns = [await linkgress_databases.create() for _ in range(5)]
    await execute(dsns[3], "CREATE TABLE prices (legacy text)")
    fixed: list[tuple[str, str]] = []

    async def fix_failures(failed: tuple[tuple[str, str], ...]) -> None:
        fixed.extend(failed)
        await execute(dsns[3], "DROP TABLE prices")

    recorded = doc_namespace("async def recorded_roll_out", fix_failures=fix_failures)
    result = await recorded["recorded_roll_out"](
        DbContext, dsns, two_files(tmp_path / "m"), tmp_path / "run.jsonl"
    )

    assert [label for label, _ in fixed] == [redact_dsn(dsns[3])]
    assert fixed[0][1].startswith(f"{PRICES}: DuplicateTableError")
    assert [t.target.dsn for t in result.targets] == [dsns[3]]
    assert statuses(result) == ["ok"]
    assert result.resumed_skipped == 4
    out = capsys.readouterr().out
    assert "1 failed, 0 not-run" in out
    assert "DuplicateTableError (42P07)" in out
    for dsn in dsns:
        assert await journal(dsn) == [CREATE, PRICES]
