"""Faults on the wire during ``migrate()`` and ``up()``: cuts, partitions, lost replies.

The trials and their checks are in fault_trials.py; docs/reliability.md ("Faults") lists the
scenarios, the trials of a long run and the bounds. Each test prints its scenario's summary.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import anyio
import anyio.to_thread
import asyncpg
import pytest

from linkgress_async import (
    ConnectionFailedError,
    ConnectionLostError,
    DbContext,
    DbModelConfig,
    MigrationLockTimeoutError,
    PgClient,
    ServerUnresponsiveError,
    bigint,
)
from linkgress_async._server import TemporaryServer
from linkgress_async.manager import _MIGRATE_LOCK_KEY as MIGRATE_LOCK_KEY
from linkgress_async.migrations import MigrationRunner
from linkgress_async.testing import DatabaseFactory
from tests.faultproxy import FaultProxy, Message
from tests.integration.fault_trials import (
    BOUNDS,
    DEADLINES,
    Migrate,
    NewModel,
    Operation,
    Scenario,
    Up,
    locks_held,
    run_scenario,
    write_files,
)
from tests.integration.helpers import context, quiet, table

KINDS = ["cut", "cut-bytes", "partition", "lost-reply"]


async def _scenario(operation: Operation, kind: str, databases: DatabaseFactory) -> Scenario:
    scenario = await run_scenario(operation, kind, databases.create)
    print(scenario.summary())
    problems = [
        f"{outcome.trial} in phase {outcome.phase}: {outcome.violations} (error: {outcome.error!r})"
        for outcome in scenario.outcomes
        if outcome.violations
    ]
    assert problems == []
    if kind != "cut-bytes":
        # Every phase of the call was hit (a fault in the last one may fire after the end).
        hit = {outcome.phase for outcome in scenario.outcomes}
        assert scenario.phases - hit <= {"release"}, scenario.summary()
    return scenario


@pytest.mark.parametrize("kind", KINDS)
async def test_migrate_under_faults_is_all_or_nothing_bounded_and_truthful(
    kind: str, linkgress_databases: DatabaseFactory
) -> None:
    await _scenario(Migrate(), kind, linkgress_databases)


@pytest.mark.parametrize("kind", KINDS)
async def test_up_under_faults_keeps_journal_equal_to_effects_bounded_and_truthful(
    kind: str, linkgress_databases: DatabaseFactory, tmp_path: Path
) -> None:
    await _scenario(Up(tmp_path / "migrations"), kind, linkgress_databases)


# --- single faults, each at one chosen moment -------------------------------------------------


class AfterLock:
    """A proxy predicate: the ``n``-th COMMIT on the connection that took the migration lock."""

    def __init__(self, lock_sql: str, n: int = 1) -> None:
        self.lock_sql = lock_sql
        self.left = n
        self.connection: int | None = None

    def __call__(self, message: Message) -> bool:
        if self.connection is None and self.lock_sql in message.sql:
            self.connection = message.connection
        if message.connection != self.connection or not message.sql.startswith("COMMIT"):
            return False
        self.left -= 1
        return self.left == 0


async def _migrate_failing(
    dsn: str, arm: Callable[[FaultProxy], None], *, pooler: bool = False
) -> ConnectionLostError:
    """``migrate()`` of a new model through a proxy armed by ``arm`` (handing out key data
    of its own with ``pooler``): the error it ends with, within the call's bound."""
    async with (
        FaultProxy.around(dsn) as proxy,
        NewModel(PgClient(dsn=proxy.route(dsn), **DEADLINES)) as db,
    ):
        proxy.pooler_keys = pooler
        arm(proxy)
        started = anyio.current_time()
        with pytest.raises(ConnectionLostError) as info:
            await db.get_schema_manager(out=quiet).migrate()
        assert anyio.current_time() - started < BOUNDS.call_bound
    assert proxy.fired is not None
    return info.value


@pytest.mark.parametrize("pooler", [False, True], ids=["direct", "behind-a-pooler"])
async def test_a_lost_commit_reply_is_reported_as_applied_by_migrate(
    linkgress_dsn: str, pooler: bool
) -> None:
    """Behind a pooler the session is found by the transaction it runs: once committed, it
    runs none, so the silent connection is closed and the outcome read by that id."""
    error = await _migrate_failing(
        linkgress_dsn,
        lambda proxy: proxy.swallow_reply_to(AfterLock("pg_try_advisory_xact_lock")),
        pooler=pooler,
    )
    assert error.outcome == "applied"
    message = str(error)
    assert "its COMMIT reached the server and committed, so it is applied" in message
    if pooler:
        assert "was no longer running on the server" in message
    else:
        assert isinstance(error, ServerUnresponsiveError)
        assert "its server session is gone, and its locks with it" in message
    async with NewModel(PgClient(dsn=linkgress_dsn)) as db:
        assert await db.get_schema_manager(out=quiet).analyze() == []


class FirstAfterLock(AfterLock):
    """A proxy predicate: the first statement containing ``text`` on the connection that
    took the migration lock."""

    def __init__(self, lock_sql: str, text: str) -> None:
        super().__init__(lock_sql)
        self.text = text

    def __call__(self, message: Message) -> bool:
        if self.connection is None and self.lock_sql in message.sql:
            self.connection = message.connection
            return False
        return message.connection == self.connection and self.text in message.sql


@pytest.mark.parametrize("pooler", [False, True], ids=["direct", "behind-a-pooler"])
async def test_a_lost_reply_inside_the_migration_ends_its_session(
    linkgress_dsn: str, pooler: bool
) -> None:
    """The reply to the plan's first DDL is lost: the server session waits for the client
    while the client waits for it. Behind a pooler that session is found by the
    transaction it runs (the connection's pid is the pooler's) and ended all the same."""
    error = await _migrate_failing(
        linkgress_dsn,
        lambda proxy: proxy.swallow_reply_to(
            FirstAfterLock("pg_try_advisory_xact_lock", "CREATE TABLE")
        ),
        pooler=pooler,
    )
    assert isinstance(error, ServerUnresponsiveError)
    assert error.outcome == "not applied"
    message = str(error)
    assert "the request or its reply was lost, so that session (pid" in message
    assert "its server session is gone, and its locks with it" in message
    # The proxy's pooler pids are 2**31 - 1 - n: never the session's.
    assert "2147483" not in message
    async with NewModel(PgClient(dsn=linkgress_dsn)) as db:
        assert await db.get_schema_manager(out=quiet).analyze() != []


async def test_a_lost_commit_reply_is_reported_as_applied_by_up(
    linkgress_dsn: str, tmp_path: Path
) -> None:
    directory = tmp_path / "migrations"
    write_files(directory)
    async with (
        FaultProxy.around(linkgress_dsn) as proxy,
        DbContext(PgClient(dsn=proxy.route(linkgress_dsn), **DEADLINES)) as db,
    ):
        # The second COMMIT of the runner's session: 0002's, with its journal row.
        proxy.swallow_reply_to(AfterLock("pg_try_advisory_lock", 2))
        with pytest.raises(ServerUnresponsiveError) as info:
            await MigrationRunner(db, directory, verbose=False).up()
    assert info.value.outcome == "applied"
    assert "migration 0002_b.py" in str(info.value)
    assert "applied and recorded in" in str(info.value)
    async with DbContext(PgClient(dsn=linkgress_dsn)) as db:
        runner = MigrationRunner(db, directory, verbose=False)
        assert await runner.get_applied() == ["0001_a.py", "0002_b.py"]
        assert (await runner.up()).applied == ["0003_c.py"]


def _write_migration(
    directory: Path, filename: str, statements: list[str], *, transactional: bool = True
) -> None:
    """A migration file whose ``up()`` runs ``statements`` and whose ``down()`` does nothing."""
    directory.mkdir(exist_ok=True)
    flag = "" if transactional else "    transactional = False\n\n"
    body = "".join(f"        await db.execute({statement!r})\n" for statement in statements)
    (directory / filename).write_text(
        "from linkgress_async.migrations import Migration\n\n"
        f"class Step(Migration):\n{flag}"
        f"    async def up(self, db):\n{body}\n"
        "    async def down(self, db):\n"
        "        pass\n"
    )


async def _up_through_proxy(
    dsn: str, directory: Path, *, pooler: bool, latency: float = 0.0
) -> tuple[list[str], int]:
    """The files ``MigrationRunner.up()`` applies through a proxy (handing out key data of
    its own with ``pooler``) with short deadlines, and how many connections the proxy saw."""
    quick = {"connect_timeout": 0.5, "network_timeout": 0.5, "idle_timeout": 1.0}
    async with FaultProxy.around(dsn) as proxy:
        proxy.latency = latency
        proxy.pooler_keys = pooler
        async with DbContext(PgClient(dsn=proxy.route(dsn), **quick)) as db:
            result = await MigrationRunner(db, directory, verbose=False).up()
    return result.applied, proxy.connections


@pytest.mark.parametrize("pooler", [False, True], ids=["direct", "behind-a-pooler"])
async def test_a_long_statement_is_not_cut_by_the_watchdog(
    linkgress_dsn: str, tmp_path: Path, pooler: bool
) -> None:
    """Behind a pooler the connection's key data names no server session: the watchdog
    found no session by that pid and closed the connection as "gone" after network_timeout,
    ending every statement that ran longer (a real PgBouncer did the same)."""
    directory = tmp_path / "migrations"
    _write_migration(
        directory, "0001_slow.py", ["SELECT pg_sleep(2.5)", "CREATE TABLE slow (id int)"]
    )
    applied, connections = await _up_through_proxy(
        linkgress_dsn, directory, pooler=pooler, latency=0.005
    )
    # Five times network_timeout without a reply: the server said "active" each time.
    assert applied == ["0001_slow.py"]
    assert connections > 1  # the watchdog's own connection asked


async def test_behind_a_pooler_a_long_statement_outside_a_transaction_runs_on(
    linkgress_dsn: str, tmp_path: Path
) -> None:
    """A file run outside a transaction (CREATE INDEX CONCURRENTLY runs transactions of its
    own), after one run inside: the connection's last transaction is over and identifies
    nothing, so the silent connection is left alone, not closed as that transaction gone."""
    directory = tmp_path / "migrations"
    _write_migration(directory, "0001_table.py", ["CREATE TABLE outside (id int)"])
    _write_migration(
        directory,
        "0002_slow.py",
        ["SELECT pg_sleep(2.5)", "CREATE INDEX CONCURRENTLY outside_id ON outside (id)"],
        transactional=False,
    )
    applied, connections = await _up_through_proxy(linkgress_dsn, directory, pooler=True)
    assert applied == ["0001_table.py", "0002_slow.py"]
    assert connections > 1  # the watchdog's own connection asked


@pytest.mark.parametrize("pooler", [False, True], ids=["direct", "behind-a-pooler"])
async def test_a_connection_cut_before_commit_says_only_what_is_known_of_its_session(
    linkgress_dsn: str, pooler: bool
) -> None:
    """The connection is cut as the COMMIT leaves: nothing is applied, read by the
    transaction's id. Connected directly, the watchdog ends the orphaned session by its pid
    and start time and says so; behind a pooler that pid is the pooler's, and the session,
    if still there, is the one running the transaction."""
    error = await _migrate_failing(
        linkgress_dsn,
        lambda proxy: proxy.cut_at_message(AfterLock("pg_try_advisory_xact_lock")),
        pooler=pooler,
    )
    assert error.outcome == "not applied"
    message = str(error)
    assert "nothing of it was applied" in message
    if not pooler:
        assert "its server session is gone, and its locks with it" in message
    async with NewModel(PgClient(dsn=linkgress_dsn)) as db:
        assert await db.get_schema_manager(out=quiet).analyze() != []


async def test_cancelling_a_partitioned_migration_ends_in_bounded_time(linkgress_dsn: str) -> None:
    # network_timeout is long: only the cancellation can end the call.
    patient = {"connect_timeout": 0.5, "network_timeout": 60.0, "idle_timeout": 1.5}
    async with FaultProxy.around(linkgress_dsn) as proxy:
        async with NewModel(PgClient(dsn=proxy.route(linkgress_dsn), **patient)) as db:
            proxy.blackhole_at_message(lambda message: "/* hook */" in message.sql)
            started = anyio.current_time()
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(db.get_schema_manager(out=quiet).migrate(), 1.0)
            # The rollback could not reach the server: the connection was closed after
            # cleanup_timeout instead of waiting for it.
            assert anyio.current_time() - started < 1.0 + patient["connect_timeout"] + 1.0
        ended = anyio.current_time()
        admin = await asyncpg.connect(linkgress_dsn)
        try:
            while await locks_held(admin):  # noqa: ASYNC110 - polling the server
                await anyio.sleep(0.05)
            # The orphaned session, idle in its transaction, ended within idle_timeout.
            assert anyio.current_time() - ended < patient["idle_timeout"] + 1.0
            assert await admin.fetchval("SELECT to_regclass('shop.orders')") is None
        finally:
            await admin.close()


async def test_a_second_migrate_gives_up_after_migration_lock_timeout(linkgress_dsn: str) -> None:
    holder = await asyncpg.connect(linkgress_dsn)
    try:
        async with holder.transaction():
            await holder.execute("SELECT pg_advisory_xact_lock($1)", MIGRATE_LOCK_KEY)
            async with NewModel(PgClient(dsn=linkgress_dsn)) as db:
                manager = db.get_schema_manager(out=quiet, migration_lock_timeout=0.5)
                started = anyio.current_time()
                with pytest.raises(MigrationLockTimeoutError, match=r"migration_lock_timeout=0\.5"):
                    await manager.migrate()
                assert anyio.current_time() - started < 3.0
        assert await holder.fetchval("SELECT to_regclass('shop.orders')") is None
    finally:
        await holder.close()


_BOUNDS = [
    "idle_in_transaction_session_timeout",
    "idle_session_timeout",
    "tcp_keepalives_idle",
    "tcp_keepalives_interval",
    "tcp_keepalives_count",
    "tcp_user_timeout",
    "client_connection_check_interval",
]


async def _settings(db: DbContext) -> dict[str, str]:
    rows = await db.query(
        "SELECT name, setting FROM pg_catalog.pg_settings WHERE name = ANY($1::text[])", _BOUNDS
    )
    return {row["name"]: row["setting"] for row in rows}


async def test_migration_sessions_carry_the_server_side_bounds(
    linkgress_dsn: str, tmp_path: Path
) -> None:
    seen: dict[str, dict[str, str]] = {}

    async def hook(db: DbContext) -> None:
        seen["migrate"] = await _settings(db)

    directory = tmp_path / "migrations"
    directory.mkdir()
    (directory / "0001_look.py").write_text(
        "from linkgress_async.migrations import Migration\n"
        "from tests.integration.test_reliability_faults import _settings, SEEN\n\n"
        "class Look(Migration):\n"
        "    async def up(self, db):\n"
        "        SEEN['up'] = await _settings(db)\n\n"
        "    async def down(self, db):\n"
        "        pass\n"
    )
    # Over TCP, to a server of its own: on a unix socket, where the suite's server listens,
    # PostgreSQL ignores the keepalive settings.
    server = TemporaryServer(tcp=True)
    await anyio.to_thread.run_sync(server.start)
    try:
        async with context(_new_model_for_bounds, hook)(PgClient(dsn=server.dsn())) as db:
            await db.get_schema_manager(out=quiet).migrate()
            await MigrationRunner(db, directory, verbose=False).up()
            version = (await db.query("SHOW server_version_num"))[0][0]
    finally:
        await anyio.to_thread.run_sync(server.stop)
    major = int(version) // 10000
    deadlines = db.client.deadlines
    for name, session in (("migrate", False), ("up", True)):
        expected = deadlines.server_settings((major, 0), session=session)
        observed = (seen | SEEN)[name]
        assert {key: observed[key] for key in expected} == expected, name
    # Outside a migration the session is as the user left it.
    async with DbContext(PgClient(dsn=linkgress_dsn)) as db:
        assert (await _settings(db))["idle_in_transaction_session_timeout"] == "0"


SEEN: dict[str, dict[str, str]] = {}


def _new_model_for_bounds(model: DbModelConfig) -> None:
    table(model, "bounded", bigint("id").primary_key())


async def test_an_unreachable_server_fails_within_connect_timeout(linkgress_dsn: str) -> None:
    async with FaultProxy.around(linkgress_dsn) as proxy:
        proxy.blackhole()
        for client in (
            PgClient(dsn=proxy.route(linkgress_dsn), connect_timeout=0.5),
            # libpq's spelling in the DSN is honoured (and not sent to the server).
            PgClient(dsn=proxy.route(linkgress_dsn) + "?connect_timeout=0.5"),
        ):
            started = anyio.current_time()
            with pytest.raises(ConnectionFailedError, match=r"connect_timeout=0\.5 s"):
                await client.connect()
            assert anyio.current_time() - started < 1.5
    joiner = "&" if "?" in linkgress_dsn else "?"
    async with PgClient(dsn=f"{linkgress_dsn}{joiner}connect_timeout=3") as client:
        assert client.deadlines.connect_timeout == 3
        assert await client.query("SELECT 1 AS one") == [(1,)]
