"""The command line under bad settings, unreachable servers and Ctrl-C: one line, the right
exit status, and never a wait that says nothing or outlasts the user's wish to stop."""

from __future__ import annotations

import os
import pty
import select
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.integration.helpers import interruptible
from tests.integration.test_cli import (
    CONTEXT,
    LINKGRESS,
    NOTES_V2,
    one_error_line,
    run_cli,
    write_app,
)


def test_a_dsn_that_is_not_postgresql_exits_2(tmp_path: Path) -> None:
    write_app(tmp_path)
    for dsn, problem in (
        ("mysql://app@localhost/app", "must start with postgresql://"),
        ("postgresql://app:pw-secret@localhost:notaport/app", "port 'notaport' is not a number"),
    ):
        result = run_cli("--dsn", dsn, "--context", CONTEXT, "plan", cwd=tmp_path)
        assert result.returncode == 2, result
        line = one_error_line(result)
        assert problem in line
        assert "from --dsn" in line
        assert "pw-secret" not in line
    result = run_cli(
        "--context", CONTEXT, "plan", cwd=tmp_path, env={"DATABASE_URL": "mysql://a@b/c"}
    )
    assert result.returncode == 2, result
    assert "from DATABASE_URL" in one_error_line(result)


def test_a_context_module_with_a_missing_import_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "appdb.py").write_text("import no_such_dependency_here\n")
    result = run_cli("--context", CONTEXT, "sql", cwd=tmp_path)
    assert result.returncode == 1, result
    line = one_error_line(result)
    assert "importing 'appdb'" in line
    assert "no_such_dependency_here" in line


@contextmanager
def silent_server() -> Iterator[int]:
    """A port where connections are accepted by the kernel and then nothing is ever said."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield int(sock.getsockname()[1])


def test_a_silent_server_is_noted_and_connect_timeout_is_honoured(tmp_path: Path) -> None:
    write_app(tmp_path)
    with silent_server() as port:
        dsn = f"postgresql://app@127.0.0.1:{port}/app"
        for args in (
            ("--dsn", dsn, "--connect-timeout", "1.5"),
            ("--dsn", f"{dsn}?connect_timeout=1.5"),
        ):
            started = time.monotonic()
            result = run_cli(*args, "--context", CONTEXT, "plan", cwd=tmp_path)
            assert time.monotonic() - started < 10
            assert result.returncode == 1, result
            # Said within about a second, before giving up.
            assert f"linkgress: connecting to 127.0.0.1:{port}" in result.stderr, result
            assert "giving up after 1.5 s" in result.stderr
            assert "did not answer within connect_timeout=1.5 s" in result.stderr


def _read_until(fd: int, text: str, seconds: float) -> str:
    seen = b""
    deadline = time.monotonic() + seconds
    while text.encode() not in seen:
        left = deadline - time.monotonic()
        assert left > 0, seen.decode(errors="replace")
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            chunk = os.read(fd, 4096)
            assert chunk, seen.decode(errors="replace")
            seen += chunk
    return seen.decode(errors="replace")


def test_ctrl_c_at_the_prompt_ends_the_command_at_once(tmp_path: Path, linkgress_dsn: str) -> None:
    write_app(tmp_path)
    assert (
        run_cli("--dsn", linkgress_dsn, "--context", CONTEXT, "migrate", cwd=tmp_path).returncode
        == 0
    )
    write_app(tmp_path, NOTES_V2)
    # A terminal, so migrate asks before dropping the column.
    controller, terminal = pty.openpty()
    environ = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    process = subprocess.Popen(
        [LINKGRESS, "--dsn", linkgress_dsn, "--context", CONTEXT, "migrate"],
        cwd=tmp_path,
        env=environ,
        preexec_fn=interruptible,
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        start_new_session=True,
    )
    os.close(terminal)
    try:
        _read_until(controller, "Continue? (yes/no):", 60)
        started = time.monotonic()
        process.send_signal(signal.SIGINT)
        # Without pressing Enter: the prompt's reader does not hold the process open.
        assert process.wait(timeout=10) == 130
        assert time.monotonic() - started < 5
        assert "interrupted" in _read_until(controller, "interrupted", 5)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(controller)
