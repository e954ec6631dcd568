"""``--waves``, ``--record``, ``--resume`` and ``linkgress fleet status``, as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from linkgress_async.testing import DatabaseFactory
from tests.integration.test_cli import CONTEXT, columns, fetch, one_error_line, run_cli, write_app
from tests.integration.test_cli_fleet import write_migration


def test_waves_record_status_and_resume(
    tmp_path: Path, linkgress_databases: DatabaseFactory
) -> None:
    write_app(tmp_path)
    write_migration(
        tmp_path / "migrations",
        "001_items.py",
        "CREATE TABLE items (id integer PRIMARY KEY)",
        "DROP TABLE items",
    )
    dsns = [linkgress_databases.create_sync() for _ in range(6)]
    (tmp_path / "targets.txt").write_text(
        "".join(f"{dsn} label=shop{n}\n" for n, dsn in enumerate(dsns))
    )
    fetch(dsns[2], "CREATE TABLE items (legacy text)")
    flags = ("--context", CONTEXT, "up", "--dsn-file", "targets.txt", "--record", "run.jsonl")

    first = run_cli(*flags, "--canary", "1", "--waves", "2,50%", cwd=tmp_path)
    assert first.returncode == 1, first
    assert (
        "wave 1 (2): 1 of 2 failed, over max_failures=0: stopped the run; 3 targets not run"
        in first.stdout
    ), first
    assert "rerun with --resume" in one_error_line(first)

    status = run_cli("fleet", "status", "--record", "run.jsonl", cwd=tmp_path)
    assert status.returncode == 1, status
    assert "2 ok, 0 skipped, 1 failed, 3 not-run" in status.stdout, status
    assert "1  DuplicateTableError (42P07): 001_items.py: DuplicateTableError" in status.stdout
    assert "shop2: 001_items.py" in status.stdout

    fetch(dsns[2], "DROP TABLE items")
    resumed = run_cli(*flags, "--resume", "--log-format", "text", cwd=tmp_path)
    assert resumed.returncode == 0, resumed
    progress = [line for line in resumed.stdout.splitlines() if line.startswith("target ")]
    assert len(progress) == 4, resumed
    assert all(" of 4: " in line for line in progress)
    assert "(2 finished by the recorded run left out)" in resumed.stdout
    for dsn in dsns:
        assert columns(dsn, "items") == ["id"]

    shown = run_cli("fleet", "status", "--record", "run.jsonl", "--json", cwd=tmp_path)
    assert shown.returncode == 0, shown
    document = json.loads(shown.stdout)
    assert document["counts"] == {"ok": 6, "skipped": 0, "failed": 0, "not-run": 0}
    assert document["carried"] == 2
    assert document["options"]["waves"] is None
    assert document["ok"] is True


def test_migrate_records_in_a_table(
    tmp_path: Path, linkgress_dsn: str, linkgress_databases: DatabaseFactory
) -> None:
    write_app(tmp_path)
    dsns = [linkgress_databases.create_sync() for _ in range(2)]
    (tmp_path / "targets.txt").write_text("".join(f"{dsn}\n" for dsn in dsns))
    record = ("--record", linkgress_dsn, "--record-table", "public.cli_runs")

    result = run_cli(
        "--context", CONTEXT, "migrate", "--dsn-file", "targets.txt", *record, cwd=tmp_path
    )
    assert result.returncode == 0, result
    status = run_cli("fleet", "status", *record, cwd=tmp_path)
    assert status.returncode == 0, status
    assert "migrate_many of 2 targets" in status.stdout
    assert "2 ok, 0 skipped, 0 failed, 0 not-run" in status.stdout
    rows = fetch(linkgress_dsn, "SELECT count(*) AS n FROM public.cli_runs")
    assert rows[0]["n"] == 4


def test_rollout_flags_are_checked_before_anything_runs(tmp_path: Path) -> None:
    write_app(tmp_path)
    base = ("--context", CONTEXT, "up", "--dsn-file", "nowhere.txt")
    cases = {
        ("--resume",): "--resume continues the run recorded by --record",
        ("--wave-max-failures", "1"): "add --waves LIST",
        ("--record", "r.jsonl", "--record-table", "t"): "is a file",
        ("--waves", "0"): "at least 1",
        ("--waves", "1,200%"): "at most 100",
    }
    for extra, message in cases.items():
        result = run_cli(*base, *extra, cwd=tmp_path)
        assert result.returncode == 2, (extra, result)
        assert message in result.stderr, (extra, result)
    alone = run_cli("--context", CONTEXT, "up", "--record", "r.jsonl", cwd=tmp_path)
    assert alone.returncode == 2, alone
    assert "only apply to many databases" in one_error_line(alone)
    missing = run_cli("fleet", "status", "--record", "none.jsonl", cwd=tmp_path)
    assert missing.returncode == 1, missing
    assert "no run is recorded in none.jsonl" in one_error_line(missing)
