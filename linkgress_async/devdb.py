"""The development database: a persistent embedded PostgreSQL per project, in ``.linkgress/``.

``linkgress`` commands use it when no database is configured; scripts reach the same one::

    from linkgress_async.devdb import development_database, development_database_url

    with development_database() as dsn:      # running for the block (shared with others)
        ...
    dsn = development_database_url()         # left running in the background
    # linkgress dev-db url / linkgress dev-db stop do the same from a shell

Any number of processes may use it at once: the first starts the server, the others share
it, and the last one to finish stops it, unless :func:`development_database_url` asked for
it to keep running (then :func:`stop_development_database` stops it). Only the account that
starts it can connect (see :mod:`linkgress_async._pg_access`); ``tcp=True`` or
``LINKGRESS_PG_TCP=1`` adds a password-protected listener on 127.0.0.1.

Under root the server runs as the account ``linkgress_pg``; when that account cannot reach
the project (``/root/project``), the data lives in ``/var/lib/linkgress/`` and
``.linkgress/pgdata`` is a symbolic link to it (:func:`delete_development_database` removes
both).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Final, Literal

import attrs

from linkgress_async._pg_access import tcp_requested
from linkgress_async._pg_install import Account, can_traverse, service_account
from linkgress_async._running import RunningServer, find_running, stop_running
from linkgress_async._server import TemporaryServer
from linkgress_async.errors import PostgresServerError

__all__ = [
    "DEV_DIR",
    "RELOCATED_ROOT",
    "DevDatabase",
    "StopOutcome",
    "delete_development_database",
    "development_database",
    "development_database_url",
    "open_development_database",
    "stop_development_database",
]

DEV_DIR: Final = ".linkgress"
RELOCATED_ROOT: Final = Path("/var/lib/linkgress")
_DATA = "pgdata"
_LOCK_TIMEOUT = 300.0

StopOutcome = Literal["stopped", "not running", "in use"]


@attrs.frozen
class DevDatabase:
    """The development database as one use of it sees it."""

    project: Path
    data_dir: Path
    dsn: str
    version: str
    started: bool
    """Whether this use started the server (else it was running already)."""
    background: bool
    """Whether the server keeps running after this use (``development_database_url``)."""

    @property
    def data_location(self) -> str:
        """Where the data is, relative to the project when it is inside it."""
        with contextlib.suppress(ValueError):
            return str(self.data_dir.relative_to(self.project))
        return str(self.data_dir)


def development_database_url(
    project: str | os.PathLike[str] | None = None, *, tcp: bool | None = None
) -> str:
    """The DSN of the development database of ``project`` (default: the working directory),
    started in the background when it is not running. It keeps running until
    :func:`stop_development_database` (``linkgress dev-db stop``)."""
    with open_development_database(project, tcp=tcp, background=True) as dev:
        return dev.dsn


@contextlib.contextmanager
def development_database(
    project: str | os.PathLike[str] | None = None, *, tcp: bool | None = None
) -> Iterator[str]:
    """The DSN of the development database of ``project`` (default: the working directory),
    running for the block: started if needed, stopped after it unless others still use it or
    it runs in the background."""
    with open_development_database(project, tcp=tcp) as dev:
        yield dev.dsn


@contextlib.contextmanager
def open_development_database(
    project: str | os.PathLike[str] | None = None,
    *,
    tcp: bool | None = None,
    background: bool = False,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[DevDatabase]:
    """Like :func:`development_database`, yielding a :class:`DevDatabase`; ``background``
    leaves the server running afterwards; ``on_wait`` is told when another process holds it
    up."""
    paths = _Paths(Path(project or Path.cwd()).absolute())
    paths.prepare()
    account = service_account()
    want_tcp = tcp_requested() if tcp is None else tcp
    # Every use holds a shared lock on users.lock; whoever can then take it exclusively is
    # the last user and stops the server. control.lock orders starting and stopping.
    users = None if background else os.open(paths.users_lock, os.O_RDWR | os.O_CREAT, 0o600)
    data_dir: Path | None = None
    try:
        with _exclusive(paths.control_lock, on_wait):
            if users is not None:
                fcntl.flock(users, fcntl.LOCK_SH)
            data_dir = paths.data_dir(account)
            running, version, started = _running_or_start(data_dir, account, want_tcp)
            if background:
                paths.background_marker.touch()
            elif started:
                # Left by a background server that is gone (a reboot): not this one's wish.
                paths.background_marker.unlink(missing_ok=True)
            keeps_running = paths.background_marker.exists()
        yield DevDatabase(
            project=paths.project,
            data_dir=data_dir,
            dsn=running.dsn(tcp=want_tcp),
            version=version,
            started=started,
            background=keeps_running,
        )
    finally:
        if users is not None:
            try:
                if data_dir is not None:
                    _leave(paths, users, data_dir, account)
            finally:
                os.close(users)


def stop_development_database(project: str | os.PathLike[str] | None = None) -> StopOutcome:
    """Stop the development database of ``project`` now, or, while other processes use it,
    let the last of them stop it."""
    paths = _Paths(Path(project or Path.cwd()).absolute())
    if not paths.dev_dir.is_dir():
        return "not running"
    account = service_account()
    with _exclusive(paths.control_lock, None):
        paths.background_marker.unlink(missing_ok=True)
        running = find_running(paths.data_dir(account, create=False), account)
        if running is None:
            return "not running"
        if not _stop_if_unused(paths, running, account):
            return "in use"
    return "stopped"


def delete_development_database(project: str | os.PathLike[str] | None = None) -> Path | None:
    """Stop the development database of ``project`` and delete its data; return where the
    data was (None when there was none). Refused while another process uses it."""
    paths = _Paths(Path(project or Path.cwd()).absolute())
    if not paths.dev_dir.is_dir():
        return None
    account = service_account()
    with _exclusive(paths.control_lock, None):
        data_dir = paths.data_dir(account, create=False)
        running = find_running(data_dir, account)
        if running is not None and not _stop_if_unused(paths, running, account):
            raise PostgresServerError(
                f"the development database in {paths.dev_dir} is in use by another process; "
                "delete it when that process has finished"
            )
        paths.background_marker.unlink(missing_ok=True)
        link = paths.dev_dir / _DATA
        if not data_dir.exists() and not link.is_symlink():
            return None
        if link.is_symlink():
            link.unlink()
            # Only a directory we placed there is ours to delete; another target is the user's.
            if data_dir.parent != RELOCATED_ROOT:
                return data_dir
        shutil.rmtree(data_dir, ignore_errors=True)
        return data_dir


# -- internals --------------------------------------------------------------------------------


@attrs.frozen
class _Paths:
    project: Path

    @property
    def dev_dir(self) -> Path:
        return self.project / DEV_DIR

    @property
    def control_lock(self) -> Path:
        return self.dev_dir / "control.lock"

    @property
    def users_lock(self) -> Path:
        return self.dev_dir / "users.lock"

    @property
    def background_marker(self) -> Path:
        return self.dev_dir / "background"

    def prepare(self) -> None:
        try:
            self.dev_dir.mkdir(parents=True, exist_ok=True)
            ignore = self.dev_dir / ".gitignore"
            if not ignore.exists():
                # The cluster is a local artefact: keep it out of version control by default.
                ignore.write_text("# created by linkgress: the local development database\n*\n")
        except OSError as error:
            raise PostgresServerError(
                f"cannot create {self.dev_dir} for the development database: {error}"
            ) from error

    def data_dir(self, account: Account | None, *, create: bool = True) -> Path:
        """Where the cluster lives: .linkgress/pgdata, or where its symbolic link points."""
        link = self.dev_dir / _DATA
        if link.is_symlink():
            return (self.dev_dir / os.readlink(link)).absolute()
        if link.exists() or account is None or not create or can_traverse(account, self.dev_dir):
            return link
        # Under root, in a directory the server's account cannot enter (/root/project): keep
        # the data where it can, under a fresh name (a new .linkgress/ starts afresh).
        RELOCATED_ROOT.mkdir(parents=True, exist_ok=True)
        RELOCATED_ROOT.chmod(0o711)  # others may pass through, not list the projects
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", self.project.name).strip("-.") or "project"
        target = RELOCATED_ROOT / f"{slug[:40]}-{secrets.token_hex(4)}"
        os.symlink(target, link)
        return target


def _running_or_start(
    data_dir: Path, account: Account | None, tcp: bool
) -> tuple[RunningServer, str, bool]:
    """The server running on ``data_dir`` (started when there is none), its version, and
    whether this call started it."""
    running = find_running(data_dir, account)
    if running is not None:
        if tcp and not running.tcp:
            raise PostgresServerError(
                f"the development database on {data_dir} is running without TCP; stop it "
                "(`linkgress dev-db stop`) and ask for TCP again"
            )
        return running, (data_dir / "PG_VERSION").read_text().strip(), False
    server = TemporaryServer(data_dir=data_dir, persistent=True, tcp=tcp).start()
    server.detach()
    assert server.version is not None
    running = find_running(data_dir, account)
    if running is None:
        raise PostgresServerError(f"the development database on {data_dir} stopped right away")
    return running, server.version, True


def _leave(paths: _Paths, users: int, data_dir: Path, account: Account | None) -> None:
    with _exclusive(paths.control_lock, None):
        fcntl.flock(users, fcntl.LOCK_UN)
        if paths.background_marker.exists():
            return
        running = find_running(data_dir, account)
        if running is not None:
            _stop_if_unused(paths, running, account, users)


def _stop_if_unused(
    paths: _Paths, running: RunningServer, account: Account | None, users: int | None = None
) -> bool:
    """Stop ``running`` when no process holds users.lock (the caller holds control.lock)."""
    fd = os.open(paths.users_lock, os.O_RDWR | os.O_CREAT, 0o600) if users is None else users
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        try:
            stop_running(running, account)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
        return True
    finally:
        if users is None:
            os.close(fd)


@contextlib.contextmanager
def _exclusive(path: Path, on_wait: Callable[[str], None] | None) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + _LOCK_TIMEOUT
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if on_wait is not None and not told:
                    on_wait(
                        "waiting for another process that is starting or stopping the "
                        "development database"
                    )
                    told = True
                if time.monotonic() > deadline:
                    raise PostgresServerError(
                        f"another process has held {path} for {_LOCK_TIMEOUT:.0f} s while "
                        "starting or stopping the development database; end it, or delete "
                        "the file if no such process is left"
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)
