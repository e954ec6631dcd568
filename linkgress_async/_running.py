"""A server found through its data directory: whether it runs, where it listens, stopping it.

PostgreSQL records a running server in ``postmaster.pid``: its pid, port, first socket
directory, first TCP address and whether it accepts connections. That file belongs to the
server's account, so everything read from it is checked before it is used to signal a
process or delete a directory: the pid must run as the server's account, the socket
directory must be one of our private ones.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import stat
import time
from pathlib import Path
from typing import Final

import attrs

from linkgress_async._pg_access import PASSWORD_FILE, read_password, socket_dsn, tcp_dsn
from linkgress_async._pg_install import Account
from linkgress_async.errors import PostgresServerError

__all__ = ["WORKDIR_PREFIX", "RunningServer", "find_running", "stop_running"]

WORKDIR_PREFIX: Final = "linkgress-pg-"
_STATUS_READY = "ready"


@attrs.frozen
class RunningServer:
    """A server running on a data directory, as its ``postmaster.pid`` describes it."""

    data_dir: Path
    pid: int
    port: int
    socket_dir: Path
    tcp: bool

    def dsn(self, database: str = "postgres", *, tcp: bool = False) -> str:
        """A DSN for ``database``: over the socket, or over TCP with the cluster's password."""
        if not tcp:
            return socket_dsn(self.socket_dir, self.port, database)
        if not self.tcp:
            raise PostgresServerError(
                f"the server on {self.data_dir} is running without TCP; stop it, then start "
                "it with TCP enabled"
            )
        password = read_password(self.data_dir / PASSWORD_FILE)
        if password is None:
            raise PostgresServerError(
                f"{self.data_dir / PASSWORD_FILE} is missing, so the TCP password of the "
                "running server is unknown; stop the server and start it again"
            )
        return tcp_dsn(self.port, password, database)


def find_running(
    data_dir: Path, account: Account | None, *, timeout: float = 60.0
) -> RunningServer | None:
    """The server running on ``data_dir`` (waiting while it starts), or None."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            lines = (data_dir / "postmaster.pid").read_text().splitlines()
            pid = int(lines[0])
        except (FileNotFoundError, IndexError, ValueError):
            return None
        if not _runs_as(pid, account):
            return None  # a stale file: PostgreSQL itself replaces it at the next start
        if len(lines) >= 8 and lines[7].strip() == _STATUS_READY:
            socket_dir = Path(lines[4].strip())
            _check_workdir(socket_dir, account, data_dir)
            return RunningServer(
                data_dir=data_dir,
                pid=pid,
                port=int(lines[3]),
                socket_dir=socket_dir,
                tcp=bool(lines[5].strip()),
            )
        if time.monotonic() > deadline:
            raise PostgresServerError(
                f"the server on {data_dir} (pid {pid}) did not accept connections within "
                f"{timeout:.0f} s; see its log, or stop it (kill -INT {pid})"
            )
        time.sleep(0.05)


def stop_running(server: RunningServer, account: Account | None, timeout: float = 60.0) -> None:
    """Stop ``server`` (fast shutdown, then harder) and delete its socket directory."""
    for sig, wait in ((signal.SIGINT, timeout), (signal.SIGQUIT, 10.0), (signal.SIGKILL, 10.0)):
        if not _runs_as(server.pid, account):
            break
        with contextlib.suppress(ProcessLookupError):
            os.kill(server.pid, sig)
        deadline = time.monotonic() + wait
        while _runs_as(server.pid, account) and time.monotonic() < deadline:
            time.sleep(0.02)
    shutil.rmtree(server.socket_dir, ignore_errors=True)


def _runs_as(pid: int, account: Account | None) -> bool:
    """Whether ``pid`` is a live (not zombie) process of the server's account."""
    uid = os.geteuid() if account is None else account.uid
    proc = Path(f"/proc/{pid}")
    if Path("/proc/self").is_dir():
        try:
            if proc.stat().st_uid != uid:
                return False
            state = (proc / "stat").read_text().rpartition(")")[2].split()[0]
        except (OSError, IndexError):
            return False
        if state in ("Z", "X"):
            return False  # a zombie: exited, not yet reaped by its parent
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _check_workdir(path: Path, account: Account | None, data_dir: Path) -> None:
    """Refuse a socket directory that is not one of ours (we delete it at stop)."""
    uid = os.geteuid() if account is None else account.uid
    try:
        info = path.lstat()
    except OSError:
        info = None
    if (
        info is None
        or not stat.S_ISDIR(info.st_mode)
        or info.st_uid != uid
        or info.st_mode & 0o077
        or not path.name.startswith(WORKDIR_PREFIX)
    ):
        raise PostgresServerError(
            f"{data_dir / 'postmaster.pid'} names {path} as the server's socket directory, "
            "which is not a private directory of the server's account; stop that server by "
            "hand (kill -INT with the pid in that file)"
        )
