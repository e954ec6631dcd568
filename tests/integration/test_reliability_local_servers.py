"""The local servers (the pytest plugin's and the development database) let no other account in.

Another account is ``nobody``, which needs root to switch to; those tests run under root
(as this suite does) and say so when skipped. Everything else holds for any account.
"""

from __future__ import annotations

import os
import pwd
import re
import secrets
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest

from linkgress_async._pg_access import PASSWORD_FILE
from linkgress_async._pg_install import Account, can_traverse, resolve_bin_dir, service_account
from linkgress_async._server import TemporaryServer, start_server
from tests.integration.test_cli import CONTEXT, fetch, run_cli, write_app

as_root = pytest.mark.skipif(os.geteuid() != 0, reason="switching to another account needs root")
OTHER = "nobody"


def psql_as(
    user: str | None, dsn: str, sql: str = "SELECT 1", *, password: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``sql`` with psql as ``user`` (None: this account); never prompts for a password."""
    env = {"PATH": "/usr/bin:/bin", "PGCONNECT_TIMEOUT": "10", "LC_ALL": "C"}
    if password is not None:
        env["PGPASSWORD"] = password
    return subprocess.run(
        [str(psql_binary(user)), "-w", "-X", "-At", "-d", dsn, "-c", sql],
        user=user,
        cwd="/",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def psql_binary(user: str | None) -> Path:
    """A psql that ``user`` may run: the server's own, else the system's."""
    candidates = [resolve_bin_dir() / "psql"]
    if found := shutil.which("psql"):
        candidates.append(Path(found))
    for candidate in candidates:
        if not candidate.is_file():
            continue
        if user is None or can_traverse(account(user), candidate.parent):
            return candidate
    pytest.fail(f"no psql that {user or 'this account'} can run: install postgresql-client")


def account(name: str) -> Account:
    entry = pwd.getpwnam(name)
    return Account(name, entry.pw_uid, entry.pw_gid)


def without_password(dsn: str) -> tuple[str, str]:
    """``dsn`` without its password, and the password."""
    parts = urlsplit(dsn)
    assert parts.password, "a TCP DSN carries the password"
    netloc = f"{parts.username}@{parts.hostname}:{parts.port}"
    return parts._replace(netloc=netloc).geturl(), unquote(parts.password)


def refused_everything(dsn: str, *, password: str | None = None) -> None:
    """``nobody`` can neither query through ``dsn`` nor run a program through the server."""
    marker = Path(tempfile.gettempdir()) / f"linkgress-copy-{secrets.token_hex(6)}"
    for sql in ("SELECT current_user", f"COPY (SELECT 1) TO PROGRAM 'touch {marker}'"):
        result = psql_as(OTHER, dsn, sql, password=password)
        assert result.returncode != 0, result
        assert result.stdout == ""
    assert not marker.exists()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.fixture
def tcp_server() -> Iterator[TemporaryServer]:
    with TemporaryServer(tcp=True) as server:
        yield server


# -- nobody else gets in ----------------------------------------------------------------------


@as_root
@pytest.mark.parametrize("tcp", [False, True], ids=["socket-only", "with-tcp"])
def test_the_test_server_lets_no_other_account_in(tcp: bool) -> None:
    with TemporaryServer(tcp=tcp) as server:
        socket_dsn = server.socket_dsn()
        refused_everything(socket_dsn)
        socket_failure = psql_as(OTHER, socket_dsn)
        assert "Permission denied" in socket_failure.stderr, socket_failure
        # The server's own account reaches the socket but is not the starting account.
        server_account = service_account()
        if server_account is not None:
            peer = psql_as(server_account.name, socket_dsn)
            assert "Peer authentication failed" in peer.stderr, peer
        if tcp:
            bare, password = without_password(server.dsn())
            refused_everything(bare)
            refused_everything(bare, password="wrong-" + password)
            assert "password authentication failed" in psql_as(OTHER, bare, password="x").stderr
            reading = subprocess.run(
                ["cat", str(server.password_file)], user=OTHER, capture_output=True, check=False
            )
            assert reading.returncode != 0
            assert reading.stdout == b""
        else:
            # Nothing listens on TCP at all.
            assert fetch(server.dsn(), "SHOW listen_addresses")[0][0] == ""
        # What the starting account is handed works, over both ways.
        assert psql_as(None, socket_dsn, "SELECT current_user").stdout.strip() == "postgres"
        assert fetch(server.dsn(), "SELECT current_user AS who")[0]["who"] == "postgres"


@as_root
def test_the_development_database_lets_no_other_account_in(project: Path) -> None:
    tcp = run_cli("dev-db", "url", "--tcp", cwd=project)
    assert tcp.returncode == 0, tcp
    tcp_dsn = tcp.stdout.strip()
    socket = run_cli("dev-db", "url", cwd=project)
    socket_dsn = socket.stdout.strip()
    assert "?host=/" in socket_dsn
    try:
        refused_everything(socket_dsn)
        bare, password = without_password(tcp_dsn)
        refused_everything(bare)
        refused_everything(bare, password=password[::-1])
        password_file = project / ".linkgress" / "pgdata" / PASSWORD_FILE
        reading = subprocess.run(
            ["cat", str(password_file)], user=OTHER, capture_output=True, check=False
        )
        assert reading.returncode != 0
        assert reading.stdout == b""
        # The starting account uses both URLs, and so do the commands.
        assert psql_as(None, socket_dsn, "SELECT current_user").stdout.strip() == "postgres"
        assert fetch(tcp_dsn, "SELECT current_user AS who")[0]["who"] == "postgres"
        write_app(project)
        assert run_cli("--context", CONTEXT, "migrate", "--yes", cwd=project).returncode == 0
    finally:
        assert run_cli("dev-db", "stop", cwd=project).returncode == 0


# -- private files ----------------------------------------------------------------------------


def test_data_directories_sockets_and_password_files_are_private(
    tcp_server: TemporaryServer, project: Path
) -> None:
    server_uid = (service_account() or account(pwd.getpwuid(os.geteuid()).pw_name)).uid
    url = run_cli("dev-db", "url", cwd=project)
    assert url.returncode == 0, url
    try:
        dev_data = project / ".linkgress" / "pgdata"
        dev_socket = Path(dict(parse_qsl(urlsplit(url.stdout.strip()).query))["host"])
        assert tcp_server.data_dir is not None
        for data_dir, socket_dir in [
            (tcp_server.data_dir, tcp_server.socket_dir),
            (dev_data, dev_socket),
        ]:
            assert (mode(data_dir), data_dir.stat().st_uid) == (0o700, server_uid)
            assert (mode(socket_dir), socket_dir.stat().st_uid) == (0o700, server_uid)
            (socket,) = socket_dir.glob(".s.PGSQL.*[0-9]")
            assert mode(socket) == 0o700
            password_file = data_dir / PASSWORD_FILE
            assert (mode(password_file), password_file.stat().st_uid) == (0o600, os.geteuid())
            assert password_file.stat().st_size > 20
    finally:
        run_cli("dev-db", "stop", cwd=project)


# -- the password is never shown --------------------------------------------------------------

INNER = """
import pathlib
from urllib.parse import parse_qsl, unquote, urlsplit


class TestInner:
    def test_shows_the_dsn(self, linkgress_server, linkgress_dsn):
        pathlib.Path("password.txt").write_text(unquote(urlsplit(linkgress_dsn).password))
        print(repr(linkgress_server), repr(linkgress_server.admin_dsn), repr(linkgress_dsn))
        assert not linkgress_dsn, ("the DSN", linkgress_dsn, linkgress_server.dsn())
"""


def test_the_test_servers_password_stays_out_of_reprs_logs_listings_and_summary(
    tcp_server: TemporaryServer, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    dsn = tcp_server.dsn()
    _, password = without_password(dsn)
    assert "***" in repr(dsn)
    assert password not in repr(dsn)
    assert password not in repr(tcp_server)
    assert password not in tcp_server.log_path.read_text()
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            assert password.encode() not in cmdline.read_bytes()
        except OSError:
            continue

    # The plugin's own session server, with TCP asked for: the failure report, the locals
    # (-l) and the summary line show no password.
    monkeypatch.setenv("LINKGRESS_PG_TCP", "1")
    monkeypatch.delenv("LINKGRESS_TEST_DSN", raising=False)
    pytester.makeini(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\nfilterwarnings = error\n"
    )
    pytester.makepyfile(test_inner=INNER)
    result = pytester.runpytest("-p", "no:cacheprovider", "-l", "-rA", "-s")
    result.assert_outcomes(failed=1)
    inner_password = (pytester.path / "password.txt").read_text()
    output = result.stdout.str() + result.stderr.str()
    assert len(inner_password) > 20
    assert inner_password not in output
    assert "postgres:***@127.0.0.1:" in output
    # The version as users know it (18.1), not server_version_num (180001).
    summary = re.search(r"linkgress: PostgreSQL (\d+\.\d+), a temporary server run from", output)
    assert summary is not None, output
    assert "(TCP 127.0.0.1:" in output


def test_the_development_databases_password_stays_out_of_its_messages(project: Path) -> None:
    write_app(project)
    tcp = {"LINKGRESS_PG_TCP": "1"}
    try:
        migrated = run_cli("--context", CONTEXT, "migrate", "--yes", cwd=project, env=tcp)
        assert migrated.returncode == 0, migrated
        assert "at postgresql://postgres:***@127.0.0.1:" in migrated.stderr
        url = run_cli("dev-db", "url", cwd=project, env=tcp)
        _, password = without_password(url.stdout.strip())
        for result in (migrated, url):
            assert password not in result.stderr
        failed = run_cli("--context", "appdb:Missing", "plan", cwd=project, env=tcp)
        assert failed.returncode == 2
        assert password not in failed.stderr
    finally:
        run_cli("dev-db", "stop", cwd=project)


# -- clusters made before ---------------------------------------------------------------------


def test_a_cluster_that_trusted_everyone_is_closed_at_its_next_start() -> None:
    # What earlier versions made: trust for every connection, TCP on, no password.
    ram = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    parent = Path(tempfile.mkdtemp(prefix="linkgress-old-", dir=ram))
    parent.chmod(0o755)
    data_dir = parent / "pgdata"
    try:
        with start_server(data_dir=data_dir, persistent=True) as server:
            bin_dir = server.bin_dir
        (data_dir / PASSWORD_FILE).unlink()
        (data_dir / "pg_hba.conf").write_text("local all all trust\nhost all all all trust\n")

        with start_server(data_dir=data_dir, persistent=True, tcp=True) as server:
            assert server.bin_dir == bin_dir
            rules = fetch(
                server.socket_dsn(),
                "SELECT type, user_name, auth_method FROM pg_hba_file_rules ORDER BY line_number",
            )
            assert [(r["type"], r["user_name"], r["auth_method"]) for r in rules] == [
                ("local", ["postgres"], "peer"),
                ("local", ["all"], "trust"),
                ("host", ["all"], "scram-sha-256"),
                ("host", ["all"], "scram-sha-256"),
            ]
            # A new password was set and kept, and it is the one the server asks for.
            assert mode(server.password_file) == 0o600
            assert fetch(server.dsn(), "SELECT 1 AS one")[0]["one"] == 1
            bare, _ = without_password(server.dsn())
            if os.geteuid() == 0:
                refused_everything(bare)
                refused_everything(server.socket_dsn())
    finally:
        shutil.rmtree(parent, ignore_errors=True)
