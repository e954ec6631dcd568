"""``linkgress migrate --online`` and what ``linkgress status`` says about it."""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.test_cli import CONTEXT, fetch, run_cli, write_app
from tests.integration.test_cli_parity import NOTES_INDEXED


def test_migrate_online_builds_concurrently_and_status_reports_it(
    tmp_path: Path, linkgress_dsn: str
) -> None:
    write_app(tmp_path)
    flags = ("--dsn", linkgress_dsn, "--context", CONTEXT)
    assert run_cli(*flags, "migrate", cwd=tmp_path).returncode == 0
    before = run_cli(*flags, "status", cwd=tmp_path)
    assert "Online migration" not in before.stdout, before

    write_app(tmp_path, NOTES_INDEXED)
    scaffolded = run_cli(*flags, "scaffold", "--online", "--name", "body", cwd=tmp_path)
    assert scaffolded.returncode == 0, scaffolded
    (written,) = (tmp_path / "migrations").glob("*_body_online.py")
    source = " ".join(written.read_text().split())
    assert "transactional = False" in source
    assert 'CREATE INDEX CONCURRENTLY "ix_notes_body"' in source
    written.unlink()

    online = run_cli(*flags, "migrate", "--online", cwd=tmp_path)
    assert online.returncode == 0, online
    assert "Phase 1/1: Create index 'ix_notes_body' on 'notes', concurrently" in online.stdout
    assert "Online migration complete: 1 operation applied in 1 phase." in online.stdout
    valid = fetch(
        linkgress_dsn,
        "SELECT indisvalid FROM pg_index WHERE indexrelid = 'ix_notes_body'::regclass",
    )
    assert valid[0]["indisvalid"] is True

    status = run_cli(*flags, "status", cwd=tmp_path)
    assert status.returncode == 0, status
    assert "Online migration #1: finished, 1 of 1 phases done" in status.stdout, status
    document = json.loads(run_cli(*flags, "status", "--json", cwd=tmp_path).stdout)
    assert document["online"]["status"] == "finished"
    assert document["online"]["done"] == 1

    again = run_cli(*flags, "plan", "--check", cwd=tmp_path)
    assert again.returncode == 0, again
