"""Who may connect to the local servers: authentication files, the password and the DSNs.

By default a server listens only on a unix socket in a directory that only the account that
started it (and, under root, the server's own account) may enter; the socket itself is mode
0700. Over the socket the superuser ``postgres`` is reserved to the starting account by
``peer`` authentication and a user-name map. TCP is off unless asked for
(``LINKGRESS_PG_TCP=1`` or ``tcp=True``); then it listens on 127.0.0.1 only and asks for the
cluster's password (``scram-sha-256``). The password is random per cluster, kept in a file in
the data directory that only the starting account may read, and never printed: DSNs that hold
it are :class:`MaskedDsn` strings, whose ``repr`` hides it.
"""

from __future__ import annotations

import os
import pwd
import secrets
import stat
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

from linkgress_async._pg_install import Account
from linkgress_async.dsn import MaskedDsn
from linkgress_async.errors import PostgresServerError

__all__ = [
    "ENV_PG_TCP",
    "PASSWORD_FILE",
    "SUPERUSER",
    "TCP_HOST",
    "hba_conf",
    "ident_conf",
    "initdb_with_password",
    "new_password",
    "output_tail",
    "read_password",
    "set_new_password",
    "socket_dsn",
    "starting_account_name",
    "tcp_dsn",
    "tcp_requested",
    "write_config",
    "write_password",
]

ENV_PG_TCP: Final = "LINKGRESS_PG_TCP"
SUPERUSER: Final = "postgres"
TCP_HOST: Final = "127.0.0.1"
PASSWORD_FILE: Final = "linkgress.password"
_IDENT_MAP: Final = "linkgress"
_TAIL_LINES = 30
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})


def tcp_requested(environ: Mapping[str, str] | None = None) -> bool:
    """Whether ``LINKGRESS_PG_TCP`` asks for a TCP listener (1/true/yes/on; default off)."""
    value = (os.environ if environ is None else environ).get(ENV_PG_TCP, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise PostgresServerError(
        f"{ENV_PG_TCP}={value!r} is neither on (1, true, yes) nor off (0, false, no); "
        "set it to 1 to let local servers listen on 127.0.0.1 with a password, or unset it"
    )


def starting_account_name() -> str:
    """The name of the account this process runs as, which peer authentication checks."""
    uid = os.geteuid()
    try:
        name = pwd.getpwuid(uid).pw_name
    except KeyError:
        raise PostgresServerError(
            f"this process runs as uid {uid}, which has no name in the password database; "
            "PostgreSQL's initdb and peer authentication need one: add the account to "
            "/etc/passwd (or run as a named user)"
        ) from None
    if not name or any(char in name for char in '"\\') or not name.isprintable():
        raise PostgresServerError(
            f"the account name {name!r} cannot be written to pg_ident.conf; run as an "
            "account with a plain name"
        )
    return name


def hba_conf() -> str:
    """``pg_hba.conf``: the superuser for the starting account only; TCP by password."""
    return (
        "# Written by linkgress_async each time it starts this server: edits are overwritten.\n"
        "# Only processes that can enter the socket's directory reach the socket: the account\n"
        "# that started the server (and, under root, the server's own account). Of them, only\n"
        "# the starting account may be the superuser (peer authentication, pg_ident.conf).\n"
        "# Other roles need no password over the socket: PostgreSQL before 16 cannot map one\n"
        "# account to every role, and the directory already keeps every other account out.\n"
        "# TCP, when enabled, listens on 127.0.0.1 and needs the password.\n"
        "# TYPE  DATABASE  USER      ADDRESS       METHOD\n"
        f"local   all       {SUPERUSER}                peer map={_IDENT_MAP}\n"
        "local   all       all                     trust\n"
        "host    all       all       127.0.0.1/32  scram-sha-256\n"
        "host    all       all       ::1/128       scram-sha-256\n"
    )


def ident_conf(starter: str) -> str:
    """``pg_ident.conf``: the operating-system account ``starter`` may log in as postgres."""
    return (
        "# Written by linkgress_async each time it starts this server: edits are overwritten.\n"
        "# MAPNAME  SYSTEM-USERNAME  DATABASE-USERNAME\n"
        f'{_IDENT_MAP}  "{starter}"  {SUPERUSER}\n'
    )


def new_password() -> str:
    """A random password (URL-safe, so it needs no quoting in a DSN or in SQL)."""
    return secrets.token_urlsafe(24)


def write_config(path: Path, text: str, owner: Account | None) -> None:
    """Replace the server file ``path`` with ``text``, owned by ``owner`` and mode 0600."""
    staging = path.with_name(f".{path.name}.linkgress")
    staging.unlink(missing_ok=True)
    fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        if owner is not None:
            os.fchown(fd, owner.uid, owner.gid)
        os.write(fd, text.encode())
    finally:
        os.close(fd)
    staging.replace(path)


def write_password(path: Path, password: str) -> None:
    """Keep ``password`` in ``path``, readable by this account only (mode 0600)."""
    staging = path.with_name(f".{path.name}.new")
    staging.unlink(missing_ok=True)
    fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        os.write(fd, f"{password}\n".encode())
    finally:
        os.close(fd)
    staging.replace(path)


def read_password(path: Path) -> str | None:
    """The password kept in ``path``; None when there is none. Refuses a file others could
    have written or can read: it must be this account's, a regular file, mode 0600."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise PostgresServerError(
            f"{path} cannot be read ({error.strerror}): it must be a regular file of "
            "yours with mode 0600; delete it and linkgress sets a new password at the next start"
        ) from error
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o077:
            raise PostgresServerError(
                f"{path} must be a regular file owned by uid {os.geteuid()} with mode 0600 "
                f"(it has uid {info.st_uid}, mode {stat.S_IMODE(info.st_mode):04o}): delete it "
                "and linkgress sets a new password at the next start"
            )
        password = os.read(fd, 4096).decode().strip()
    finally:
        os.close(fd)
    return password or None


def socket_dsn(socket_dir: Path, port: int, database: str) -> str:
    """A DSN over the unix socket in ``socket_dir`` (asyncpg, psql and pg_dump accept it)."""
    host = quote(str(socket_dir), safe="/")
    return f"postgresql://{SUPERUSER}@/{quote(database, safe='')}?host={host}&port={port}"


def tcp_dsn(port: int, password: str, database: str) -> MaskedDsn:
    """A DSN over TCP on 127.0.0.1 with the password; its ``repr`` hides the password."""
    return MaskedDsn(
        f"postgresql://{SUPERUSER}:{quote(password, safe='')}@{TCP_HOST}:{port}/"
        f"{quote(database, safe='')}"
    )


def initdb_with_password(
    initdb: Path, data_dir: Path, owner: Account | None, run_as: Mapping[str, Any]
) -> str:
    """Create a cluster in ``data_dir`` whose superuser has a new password; keep and return it.

    ``run_as`` are subprocess arguments that run initdb as the server's account (``owner``),
    with a private working directory: the password goes through a file of that account
    there, never through the command line.
    """
    password = new_password()
    pwfile = Path(run_as["cwd"]) / "initdb.pw"
    write_config(pwfile, password, owner)
    # The authentication options only matter if pg_hba.conf is not replaced afterwards.
    options = ["--auth-local", "peer", "--auth-host", "scram-sha-256", "--pwfile", str(pwfile)]
    try:
        result = subprocess.run(
            [
                str(initdb),
                "--pgdata",
                str(data_dir),
                "--username",
                SUPERUSER,
                *options,
                "--encoding",
                "UTF8",
                "--locale",
                "C",
                "--no-sync",
                "--no-instructions",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            check=False,
            timeout=300,
            **run_as,
        )
    finally:
        pwfile.unlink(missing_ok=True)
    if result.returncode != 0:
        output = output_tail(result.stdout.decode(errors="replace"))
        raise PostgresServerError(
            f"initdb failed (exit {result.returncode}) for {data_dir}:\n{output}"
        )
    write_password(data_dir / PASSWORD_FILE, password)
    return password


def set_new_password(postgres: Path, data_dir: Path, run_as: Mapping[str, Any]) -> str:
    """Give the stopped cluster in ``data_dir`` (one made without a kept password, by an
    earlier version) a new superuser password, in single-user mode; keep and return it."""
    password = new_password()
    # The statement travels on stdin, and log_min_error_statement keeps it out of the
    # output even if it failed.
    quiet = ["-c", "log_min_error_statement=panic", "-c", "log_statement=none"]
    result = subprocess.run(
        [str(postgres), "--single", "-D", str(data_dir), *quiet, "postgres"],
        input=f"ALTER ROLE {SUPERUSER} PASSWORD '{password}'\n".encode(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        check=False,
        timeout=120,
        **run_as,
    )
    if result.returncode != 0:
        output = output_tail(result.stdout.decode(errors="replace").replace(password, "***"))
        raise PostgresServerError(
            f"setting a password on the cluster in {data_dir} failed "
            f"(exit {result.returncode}):\n{output}"
        )
    write_password(data_dir / PASSWORD_FILE, password)
    return password


def output_tail(text: str) -> str:
    """The last lines of a server's or initdb's output, indented, to quote in an error."""
    lines = text.rstrip().splitlines()[-_TAIL_LINES:]
    return "\n".join("    " + line for line in lines) or "    (empty)"
