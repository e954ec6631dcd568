"""The command line does what the API does: the installed ``linkgress`` script, run in a
subprocess (``status --check``, ``up/down --to``, ``--accept-changed``, ``scaffold --safe``,
``check``, ``dev``, ``--json``, colour, the command list, focused help, Ctrl-C)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

from linkgress_async.cli import build_parser
from tests.integration.helpers import interruptible
from tests.integration.test_cli import (
    _SCRUBBED,
    CONTEXT,
    LINKGRESS,
    NOTES_V1,
    NOTES_V2,
    columns,
    fetch,
    one_error_line,
    run_cli,
    write_app,
)

MIGRATION = """
from linkgress_async.migrations import Migration


class {name}(Migration):
    async def up(self, db):
        await db.query("CREATE TABLE {table} (id int)")

    async def down(self, db):
        await db.query("DROP TABLE {table}")
"""

# NOTES_V1 with an index on body: on an existing table, --safe builds it concurrently.
NOTES_INDEXED = NOTES_V1.replace(
    '            e.has_index("ix_{table}_title", ["title"])\n',
    '            e.has_index("ix_{table}_title", ["title"])\n'
    '            e.has_index("ix_{table}_body", ["body"])\n',
)


def _files(folder: Path, *names: str) -> list[str]:
    folder.mkdir(exist_ok=True)
    written = []
    for number, name in enumerate(names, start=1):
        filename = f"2024010{number}_000000_{name}.py"
        (folder / filename).write_text(MIGRATION.format(name=name.title(), table=f"t_{name}"))
        written.append(filename)
    return written


def test_no_arguments_lists_the_commands_and_help_is_focused(tmp_path: Path) -> None:
    listed = run_cli(cwd=tmp_path)
    assert listed.returncode == 0, listed
    for command in ("migrate", "up", "down", "check", "dev", "dev-db", "drift"):
        assert f"\n  {command} " in listed.stdout, listed

    helped = run_cli("up", "--help", cwd=tmp_path)
    assert helped.returncode == 0, helped
    assert "configuration (highest first)" not in helped.stdout
    assert helped.stdout.startswith("usage: linkgress up [-h] [--yes]")
    # The command's own options come before the global ones.
    assert helped.stdout.index("--accept-changed") < helped.stdout.index("global options:")


def test_every_option_and_argument_has_help() -> None:
    parser = build_parser()
    (sub,) = [a for a in parser._actions if a.dest == "command"]
    for name, command in sub.choices.items():  # type: ignore[union-attr]
        for action in command._actions:
            assert action.help, f"linkgress {name}: {action.option_strings or action.dest}"


def test_status_check_json_and_a_missing_folder(tmp_path: Path, linkgress_dsn: str) -> None:
    write_app(tmp_path)
    flags = ("--dsn", linkgress_dsn, "--context", CONTEXT)
    missing = run_cli(*flags, "status", cwd=tmp_path)
    assert missing.returncode == 0, missing
    assert "warning: the migrations folder migrations does not exist" in missing.stderr

    first, _ = _files(tmp_path / "migrations", "one", "two")
    pending = run_cli(*flags, "status", "--check", cwd=tmp_path)
    assert pending.returncode == 1, pending
    assert "2 migrations: 0 applied, 2 pending." in pending.stdout
    assert "2 migration files pending" in one_error_line(pending)

    assert run_cli(*flags, "up", "--to", first, cwd=tmp_path).returncode == 0
    document = json.loads(run_cli(*flags, "status", "--json", cwd=tmp_path).stdout)
    assert (document["applied"], document["pending"]) == (1, 1)
    assert [m["applied"] for m in document["migrations"]] == [True, False]
    assert document["migrations"][0]["filename"] == first

    assert run_cli(*flags, "up", cwd=tmp_path).returncode == 0
    done = run_cli(*flags, "status", "--check", cwd=tmp_path)
    assert done.returncode == 0, done
    assert "2 migrations: 2 applied, 0 pending." in done.stdout
    assert columns(linkgress_dsn, "t_two") == ["id"]


def test_up_to_down_to_and_accept_changed(tmp_path: Path, linkgress_dsn: str) -> None:
    write_app(tmp_path)
    flags = ("--dsn", linkgress_dsn, "--context", CONTEXT)
    first, second, third = _files(tmp_path / "migrations", "one", "two", "three")
    partial = run_cli(*flags, "up", "--to", second, cwd=tmp_path)
    assert partial.returncode == 0, partial
    assert "migration 2 of 2: applying" in partial.stdout
    assert columns(linkgress_dsn, "t_three") == []
    assert run_cli(*flags, "up", cwd=tmp_path).returncode == 0

    back = run_cli(*flags, "down", "--to", first, cwd=tmp_path)
    assert back.returncode == 0, back
    assert f"migration 1 of 2: reverting {third}" in back.stdout
    assert columns(linkgress_dsn, "t_two") == []
    assert columns(linkgress_dsn, "t_one") == ["id"]

    edited = tmp_path / "migrations" / first
    edited.write_text(edited.read_text() + "# reformatted\n")
    refused = run_cli(*flags, "up", cwd=tmp_path)
    assert refused.returncode == 1, refused
    line = one_error_line(refused)
    assert "rerun with --accept-changed" in line
    assert "accept_changed=True" not in line
    accepted = run_cli(*flags, "up", "--accept-changed", cwd=tmp_path)
    assert accepted.returncode == 0, accepted
    assert f"Accepted the changed file {first}" in accepted.stdout


def test_scaffold_safe_and_ownership_flags(tmp_path: Path, linkgress_dsn: str) -> None:
    write_app(tmp_path)
    flags = ("--dsn", linkgress_dsn, "--context", CONTEXT)
    assert run_cli(*flags, "migrate", cwd=tmp_path).returncode == 0
    fetch(linkgress_dsn, "CREATE TABLE legacy_log (id int)")
    write_app(tmp_path, NOTES_INDEXED)

    safe = run_cli(*flags, "scaffold", "--name", "index", "--safe", cwd=tmp_path)
    assert safe.returncode == 0, safe
    assert "_index_concurrently.py (runs outside a transaction, after it)" in safe.stdout
    (follow,) = (tmp_path / "migrations").glob("*_index_concurrently.py")
    assert 'CREATE INDEX CONCURRENTLY "ix_notes_body"' in follow.read_text()
    assert "legacy_log" not in follow.read_text()
    for path in (tmp_path / "migrations").glob("*.py"):
        path.unlink()

    dropping = run_cli(
        *flags, "scaffold", "--name", "tidy", "--drop-unmanaged", "public.legacy_*", cwd=tmp_path
    )
    assert dropping.returncode == 0, dropping
    (tidy,) = (tmp_path / "migrations").glob("*_tidy.py")
    assert 'DROP TABLE "public"."legacy_log"' in tidy.read_text()
    tidy.unlink()
    excluded = run_cli(
        *flags,
        "scaffold",
        "--name",
        "tidy",
        "--drop-unmanaged",
        "--exclude",
        "public.legacy_log",
        cwd=tmp_path,
    )
    assert excluded.returncode == 0, excluded
    (tidy,) = (tmp_path / "migrations").glob("*_tidy.py")
    assert "legacy_log" not in tidy.read_text()


def test_check_replays_the_files_on_an_embedded_server(tmp_path: Path, linkgress_dsn: str) -> None:
    write_app(tmp_path)
    flags = ("--dsn", linkgress_dsn, "--context", CONTEXT)
    assert run_cli(*flags, "scaffold", "--name", "create", cwd=tmp_path).returncode == 0
    # No database at all: check starts its own scratch server.
    offline = ("--dsn", "postgresql://nobody@127.0.0.1:1/none", "--context", CONTEXT)
    matches = run_cli(*offline, "check", cwd=tmp_path)
    assert matches.returncode == 0, matches
    assert "The migration files produce the model (1 file replayed)." in matches.stdout

    write_app(tmp_path, NOTES_V2)
    differs = run_cli(*offline, "check", "--json", cwd=tmp_path)
    assert differs.returncode == 1, differs
    document = json.loads(differs.stdout)
    assert document["matches"] is False
    assert [op["description"] for op in document["operations"]] == ["Drop column 'notes.body'"]
    assert document["operations"][0]["destructive"] is True

    # --scratch-dsn: an empty database of the caller's.
    named = run_cli(*flags, "check", "--scratch-dsn", linkgress_dsn, cwd=tmp_path)
    assert named.returncode == 1, named
    assert "scaffold --name NAME" in one_error_line(named)


def test_dev_scaffolds_and_applies(tmp_path: Path, linkgress_dsn: str) -> None:
    write_app(tmp_path)
    flags = ("--dsn", linkgress_dsn, "--context", CONTEXT)
    created = run_cli(*flags, "dev", "--name", "create notes", cwd=tmp_path)
    assert created.returncode == 0, created
    assert "_create_notes.py (2 operations)" in created.stdout
    assert "migration 1 of 1: applying" in created.stdout
    assert columns(linkgress_dsn, "notes") == ["id", "title", "body"]
    again = run_cli(*flags, "dev", "--name", "nothing", cwd=tmp_path)
    assert again.returncode == 0, again
    assert "The database matches the model: no migration file written." in again.stdout

    write_app(tmp_path, NOTES_V2)
    refused = run_cli(*flags, "dev", "--name", "drop body", cwd=tmp_path)
    assert refused.returncode == 1, refused
    assert "rerun with --yes" in one_error_line(refused)
    assert columns(linkgress_dsn, "notes") == ["id", "title", "body"]
    assert run_cli(*flags, "up", "--yes", cwd=tmp_path).returncode == 0
    assert columns(linkgress_dsn, "notes") == ["id", "title"]


def test_plan_and_drift_json(tmp_path: Path, linkgress_dsn: str) -> None:
    write_app(tmp_path)
    flags = ("--dsn", linkgress_dsn, "--context", CONTEXT)
    planned = run_cli(*flags, "plan", "--json", "--check", cwd=tmp_path)
    assert planned.returncode == 1, planned
    document = json.loads(planned.stdout)
    assert document["up_to_date"] is False
    assert document["operations"][0]["description"] == "Create table 'notes'"
    assert document["sql"][0].startswith('CREATE TABLE "public"."notes"')

    assert run_cli(*flags, "dev", "--name", "create", cwd=tmp_path).returncode == 0
    fetch(linkgress_dsn, "ALTER TABLE notes ADD COLUMN by_hand int")
    drifted = run_cli(*flags, "drift", "--json", cwd=tmp_path)
    assert drifted.returncode == 1, drifted
    document = json.loads(drifted.stdout)
    assert document["drift"] is True
    assert [op["description"] for op in document["operations"]] == ["Drop column 'notes.by_hand'"]


def _environ() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if key not in _SCRUBBED}


def test_plan_in_colour_on_a_terminal(tmp_path: Path, linkgress_dsn: str) -> None:
    import pty

    write_app(tmp_path)
    flags = ("--dsn", linkgress_dsn, "--context", CONTEXT)
    assert run_cli(*flags, "migrate", cwd=tmp_path).returncode == 0
    write_app(
        tmp_path,
        NOTES_V2.replace(
            '            e.has_index("ix_{table}_title", ["title"])\n',
            '            e.has_index("ix_{table}_title", ["title"])\n'
            '            e.has_index("ix_{table}_title_id", ["title", "id"])\n',
        ),
    )
    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [LINKGRESS, *flags, "plan"],
            cwd=tmp_path,
            env=_environ(),
            stdin=subprocess.DEVNULL,
            stdout=follower,
            stderr=subprocess.PIPE,
            timeout=120,
            check=False,
        )
        os.close(follower)
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # EIO: the terminal's other end is closed and drained
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(leader)
    assert done.returncode == 0, done.stderr
    text = shown.decode()
    # Dropped: red, and bold where it deletes data.
    assert "\033[1m\033[31m  1. Drop column 'notes.body'  [DESTRUCTIVE]" in text, text
    # Added: green.
    assert "\033[32m" in text
    assert "Create index 'ix_notes_title_id'" in text
    plain = run_cli(*flags, "plan", cwd=tmp_path)
    assert "\033[" not in plain.stdout


def test_ctrl_c_at_a_prompt_exits_130(tmp_path: Path, linkgress_dsn: str) -> None:
    import pty

    write_app(tmp_path)
    flags = ("--dsn", linkgress_dsn, "--context", CONTEXT)
    assert run_cli(*flags, "migrate", cwd=tmp_path).returncode == 0
    write_app(tmp_path, NOTES_V2)
    leader, follower = pty.openpty()
    try:
        with subprocess.Popen(
            [LINKGRESS, *flags, "migrate"],
            cwd=tmp_path,
            preexec_fn=interruptible,
            env=_environ(),
            stdin=follower,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        ) as process:
            assert process.stdout is not None
            seen = b""
            deadline = time.monotonic() + 60
            while b"Continue?" not in seen and time.monotonic() < deadline:
                seen += os.read(process.stdout.fileno(), 4096)
            assert b"Continue?" in seen, seen
            started = time.monotonic()
            process.send_signal(signal.SIGINT)
            try:
                status = process.wait(timeout=20)
            finally:
                if process.poll() is None:
                    process.kill()
            assert status == 130
            assert time.monotonic() - started < 10
    finally:
        os.close(follower)
        os.close(leader)
    assert columns(linkgress_dsn, "notes") == ["id", "title", "body"]
