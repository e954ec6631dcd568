"""``linkgress migrate`` shows each statement as it runs on a terminal, and nothing more off one."""

from __future__ import annotations

import io
import os
import pty
import re
import subprocess
import threading
from pathlib import Path

import asyncpg
import pytest

from linkgress_async.cli.output import Output
from linkgress_async.cli.statement_lines import statement_lines
from linkgress_async.errors import SchemaApplyError
from linkgress_async.execute.statements import run_statements
from linkgress_async.testing import DatabaseFactory
from tests.integration.test_cli import (
    _SCRUBBED,
    CONTEXT,
    LINKGRESS,
    NOTES_V1,
    fetch,
    run_cli,
    write_app,
)

# The model with a check whose function sleeps for every row: adding it validates the table,
# so that statement takes longer than a second.
SLOW_CHECK = NOTES_V1.replace(
    '            e.has_index("ix_{table}_title", ["title"])\n',
    '            e.has_index("ix_{table}_title", ["title"])\n'
    '            e.has_check("ck_slow", "slow_ok(id)")\n',
)
SLOW_FUNCTION = (
    "CREATE FUNCTION slow_ok(integer) RETURNS boolean LANGUAGE sql"
    " AS 'SELECT pg_sleep(1.6) IS NOT NULL'"
)


def on_a_terminal(*args: str, cwd: Path) -> tuple[int, str]:
    """Run the script with stdout on a pseudo-terminal; its exit status and what it showed."""
    master, slave = pty.openpty()
    environ = {key: value for key, value in os.environ.items() if key not in _SCRUBBED}
    environ["NO_COLOR"] = "1"
    shown = bytearray()

    def read() -> None:
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the terminal closed
                return
            if not chunk:
                return
            shown.extend(chunk)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        process = subprocess.run(
            [LINKGRESS, *args],
            cwd=cwd,
            env=environ,
            stdin=subprocess.DEVNULL,
            stdout=slave,
            stderr=subprocess.PIPE,
            timeout=120,
            check=False,
        )
    finally:
        os.close(slave)
        reader.join(timeout=10)
        os.close(master)
    return process.returncode, shown.decode()


def prepared(tmp_path: Path, dsn: str) -> None:
    write_app(tmp_path)
    assert run_cli("--dsn", dsn, "--context", CONTEXT, "migrate", cwd=tmp_path).returncode == 0
    fetch(dsn, "INSERT INTO notes (title) VALUES ('one')")
    fetch(dsn, SLOW_FUNCTION)
    write_app(tmp_path, SLOW_CHECK)


def test_migrate_shows_each_statement_and_the_time_of_a_long_one(
    tmp_path: Path, linkgress_databases: DatabaseFactory
) -> None:
    dsn = linkgress_databases.create_sync()
    prepared(tmp_path, dsn)
    status, shown = on_a_terminal("--dsn", dsn, "--context", CONTEXT, "migrate", cwd=tmp_path)
    assert status == 0, shown
    # While it runs, the line is redrawn with the seconds so far ...
    assert re.search(r"\r\x1b\[Kstatement 1 of 1: ALTER TABLE .*ck_slow.* \.\.\. 1 s", shown), shown
    # ... and it ends with the verdict and the statement's time.
    assert re.search(r"statement 1 of 1: ALTER TABLE .*ck_slow.* \.\.\. ok \(1\.\d s\)", shown)
    assert "Migration complete: 1 operation applied." in shown


def test_migrate_without_a_terminal_shows_no_statement_lines(
    tmp_path: Path, linkgress_databases: DatabaseFactory
) -> None:
    dsn = linkgress_databases.create_sync()
    prepared(tmp_path, dsn)
    done = run_cli("--dsn", dsn, "--context", CONTEXT, "migrate", cwd=tmp_path)
    assert done.returncode == 0, done
    assert "Migration complete: 1 operation applied." in done.stdout
    assert "statement 1 of" not in done.stdout
    assert "\r" not in done.stdout


class Terminal(io.StringIO):
    """A stdout that says it is a terminal."""

    def isatty(self) -> bool:
        return True


async def test_a_rejected_statement_is_shown_failed_and_the_rest_not_run(
    linkgress_dsn: str,
) -> None:
    terminal = Terminal()
    lines = statement_lines(Output(terminal, io.StringIO(), {"NO_COLOR": "1"}))
    assert lines is not None
    assert statement_lines(Output(io.StringIO(), io.StringIO(), {})) is None
    conn = await asyncpg.connect(linkgress_dsn)
    try:
        with pytest.raises(SchemaApplyError, match="no_such_table"):
            async with conn.transaction():
                await run_statements(
                    conn,
                    [
                        "CREATE TABLE shown (id int)",
                        "ALTER TABLE no_such_table ADD COLUMN x int",
                        "CREATE TABLE never (id int)",
                    ],
                    progress=lines,
                )
    finally:
        await conn.close()
    assert terminal.getvalue().splitlines() == [
        "statement 1 of 3: CREATE TABLE shown (id int) ... ok",
        "statement 2 of 3: ALTER TABLE no_such_table ADD COLUMN x int ... FAILED",
    ]
