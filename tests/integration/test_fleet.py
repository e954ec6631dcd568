"""Fleet file migrations (MigrationRunner.up_many) over many databases and tenant schemas."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import anyio
import asyncpg
import pytest

from linkgress_async import DbContext, FleetTarget, MigrationRunner, PgClient
from linkgress_async.fleet import FleetResult
from linkgress_async.render.quote import qualified, quote_ident
from linkgress_async.testing import DatabaseFactory

CREATE = "001_create_items.py"
PRICES = "002_create_prices.py"


class Probe:
    """Shared state of one test's contexts: how many targets run at once, and their clients."""

    def __init__(self) -> None:
        self.active = 0
        self.peak = 0
        self.started = 0
        self.clients: list[PgClient] = []
        self.enough_started = anyio.Event()
        self.block_after = 0


def probed_context(probe: Probe) -> type[DbContext]:
    """A context class whose migrations can report in (``db.track()``) or hang (``db.block()``)."""

    class Probed(DbContext):
        def __init__(self, client: PgClient, **options: Any) -> None:
            super().__init__(client, **options)
            probe.clients.append(client)

        async def track(self) -> None:
            probe.active += 1
            probe.peak = max(probe.peak, probe.active)
            try:
                # Long enough that the targets of one wave overlap.
                await anyio.sleep(0.03)
            finally:
                probe.active -= 1

        async def block(self) -> None:
            probe.started += 1
            if probe.started >= probe.block_after:
                probe.enough_started.set()
            await anyio.sleep_forever()

    return Probed


def write(directory: Path, filename: str, *lines: str) -> None:
    """A migration file whose ``up`` runs ``lines`` (Python statements using ``db``)."""
    directory.mkdir(parents=True, exist_ok=True)
    body = textwrap.indent("\n".join(lines), " " * 8)
    (directory / filename).write_text(
        "from linkgress_async.migrations import Migration\n\n\n"
        "class Step(Migration):\n"
        "    async def up(self, db):\n"
        f"{body}\n\n"
        "    async def down(self, db):\n"
        "        pass\n",
        encoding="utf-8",
    )


def two_files(directory: Path, *, track: bool = False) -> Path:
    first = ["await db.track()"] if track else []
    write(directory, CREATE, *first, "await db.execute('CREATE TABLE items (id int PRIMARY KEY)')")
    write(directory, PRICES, "await db.execute('CREATE TABLE prices (item int, amount numeric)')")
    return directory


async def journal(dsn: str, schema: str = "public") -> list[str] | None:
    """Filenames in the journal of ``schema``, or ``None`` when it has no journal."""
    conn = await asyncpg.connect(dsn)
    try:
        name = qualified(schema, "__migrations")
        if not await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", name):
            return None
        return [r["filename"] for r in await conn.fetch(f"SELECT filename FROM {name} ORDER BY id")]
    finally:
        await conn.close()


async def execute(dsn: str, statement: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


async def databases(factory: DatabaseFactory, count: int) -> list[str]:
    return [await factory.create() for _ in range(count)]


def statuses(result: FleetResult) -> list[str]:
    return [target.status for target in result.targets]


async def test_fifty_databases_with_bounded_concurrency(
    linkgress_databases: DatabaseFactory, tmp_path: Path
) -> None:
    dsns = await databases(linkgress_databases, 50)
    directory = two_files(tmp_path / "migrations", track=True)
    probe = Probe()
    context = probed_context(probe)

    result = await MigrationRunner.up_many(
        context, dsns, migrations_directory=directory, concurrency=8
    )

    assert result.ok, result.render()
    assert statuses(result) == ["ok"] * 50
    assert [t.target.dsn for t in result.targets] == dsns
    assert all(t.applied == (CREATE, PRICES) for t in result.targets)
    assert 2 <= probe.peak <= 8
    assert len(probe.clients) == 50
    assert not any(client.is_connected for client in probe.clients)
    journals = [await journal(dsn) for dsn in dsns]
    assert journals == [[CREATE, PRICES]] * 50

    again = await MigrationRunner.up_many(
        context, dsns, migrations_directory=directory, concurrency=8
    )
    assert again.ok
    assert statuses(again) == ["skipped"] * 50
    assert all(t.applied == () and t.error is None for t in again.targets)
    assert again.counts() == {"ok": 0, "skipped": 50, "failed": 0, "not-run": 0}


async def test_concurrency_one_runs_targets_one_at_a_time(
    linkgress_databases: DatabaseFactory, tmp_path: Path
) -> None:
    dsns = await databases(linkgress_databases, 4)
    probe = Probe()
    result = await MigrationRunner.up_many(
        probed_context(probe),
        dsns,
        migrations_directory=two_files(tmp_path / "m", track=True),
        concurrency=1,
    )
    assert statuses(result) == ["ok"] * 4
    assert probe.peak == 1


async def test_a_failing_canary_stops_the_fleet(
    linkgress_databases: DatabaseFactory, tmp_path: Path
) -> None:
    dsns = await databases(linkgress_databases, 6)
    directory = two_files(tmp_path / "migrations")
    # Canary #2 already has a table the first migration creates.
    await execute(dsns[1], "CREATE TABLE items (legacy text)")

    result = await MigrationRunner.up_many(
        DbContext, dsns, migrations_directory=directory, canary=3, concurrency=4
    )

    assert statuses(result) == ["ok", "failed", "not-run", "not-run", "not-run", "not-run"]
    assert not result.ok
    failed = result.failed
    assert [t.index for t in failed] == [2]
    assert failed[0].error is not None
    assert failed[0].error.startswith(f"{CREATE}: DuplicateTableError: ")
    assert isinstance(failed[0].exception, asyncpg.DuplicateTableError)
    assert failed[0].applied == ()
    assert [t.index for t in result.not_run] == [3, 4, 5, 6]
    assert await journal(dsns[0]) == [CREATE, PRICES]
    assert await journal(dsns[1]) == []
    for dsn in dsns[2:]:
        assert await journal(dsn) is None

    # Fixed, the same call goes through: canaries first, then the rest.
    await execute(dsns[1], "DROP TABLE items")
    again = await MigrationRunner.up_many(
        DbContext, dsns, migrations_directory=directory, canary=3, concurrency=4
    )
    assert statuses(again) == ["skipped"] + ["ok"] * 5
    assert [t.applied for t in again.targets] == [()] + [(CREATE, PRICES)] * 5


async def test_stop_on_failure_then_a_rerun_resumes(
    linkgress_databases: DatabaseFactory, tmp_path: Path
) -> None:
    dsns = await databases(linkgress_databases, 8)
    directory = two_files(tmp_path / "migrations")
    # Target #4 fails at its second file, after applying the first.
    await execute(dsns[3], "CREATE TABLE prices (legacy text)")

    first = await MigrationRunner.up_many(
        DbContext, dsns, migrations_directory=directory, concurrency=1, stop_on_failure=True
    )

    assert statuses(first) == ["ok"] * 3 + ["failed"] + ["not-run"] * 4
    broken = first.targets[3]
    assert broken.applied == (CREATE,)
    assert broken.error is not None
    assert broken.error.startswith(f"{PRICES}: DuplicateTableError")
    assert await journal(dsns[3]) == [CREATE]
    assert [await journal(dsn) for dsn in dsns[4:]] == [None] * 4

    await execute(dsns[3], "DROP TABLE prices")
    second = await MigrationRunner.up_many(
        DbContext, dsns, migrations_directory=directory, concurrency=3, stop_on_failure=True
    )

    assert second.ok, second.render()
    assert statuses(second) == ["skipped"] * 3 + ["ok"] * 5
    assert [t.applied for t in second.targets] == ([()] * 3 + [(PRICES,)] + [(CREATE, PRICES)] * 4)
    assert [await journal(dsn) for dsn in dsns] == [[CREATE, PRICES]] * 8


async def test_failures_are_isolated_and_reported_in_the_table(
    linkgress_server: Any, linkgress_databases: DatabaseFactory, tmp_path: Path
) -> None:
    dsns = await databases(linkgress_databases, 5)
    await execute(dsns[2], "CREATE TABLE items (legacy text)")
    missing = linkgress_server.dsn("lk_no_such_database_fleet")
    # A password in the DSN must never reach the table (the server ignores it here).
    parts = urlsplit(missing)
    netloc = f"{parts.username or 'postgres'}:s3cret-pw@{parts.netloc.rpartition('@')[2]}"
    with_password = urlunsplit(parts._replace(netloc=netloc))
    targets = [*dsns[:3], with_password, FleetTarget(dsns[3], label="shop-eu"), dsns[4]]

    result = await MigrationRunner.up_many(
        DbContext, targets, migrations_directory=two_files(tmp_path / "m"), concurrency=3
    )

    assert statuses(result) == ["ok", "ok", "failed", "failed", "ok", "ok"]
    assert [t.index for t in result.failed] == [3, 4]
    assert result.targets[3].error is not None
    assert "lk_no_such_database_fleet" in result.targets[3].error
    assert "does not exist" in result.targets[3].error
    table = result.table()
    lines = table.splitlines()
    assert lines[0].split() == ["#", "target", "status", "applied", "time", "error"]
    assert set(lines[1]) <= {"-", " "}
    assert len(lines) == 2 + 6
    assert "s3cret-pw" not in result.render()
    assert ":***@" in lines[2 + 3]
    assert lines[2 + 4].split()[:4] == ["5", "shop-eu", "ok", "2"]
    assert f"{CREATE}: DuplicateTableError" in lines[2 + 2]
    assert result.summary().startswith("6 targets: 4 ok, 0 skipped, 2 failed, 0 not-run in ")
    assert result.render() == f"{table}\n{result.summary()}" == str(result)


async def test_tenant_schemas_each_get_tables_and_a_journal(
    linkgress_dsn: str, tmp_path: Path
) -> None:
    schemas = [f"tenant_{n:02}" for n in range(9)] + ['Acme "Corp"']
    targets = [FleetTarget(linkgress_dsn, schema=name) for name in schemas]
    directory = two_files(tmp_path / "migrations")

    result = await MigrationRunner.up_many(
        DbContext, targets, migrations_directory=directory, concurrency=4
    )

    assert result.ok, result.render()
    assert statuses(result) == ["ok"] * 10
    assert result.targets[9].label.endswith(' schema=Acme "Corp"')
    for name in schemas:
        assert await journal(linkgress_dsn, name) == [CREATE, PRICES]
    assert await journal(linkgress_dsn) is None
    conn = await asyncpg.connect(linkgress_dsn)
    try:
        rows = await conn.fetch(
            "SELECT n.nspname, count(*) AS tables FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relname IN ('items', 'prices') AND c.relkind = 'r' GROUP BY 1"
        )
        assert {r["nspname"]: r["tables"] for r in rows} == dict.fromkeys(schemas, 2)
        # Rows written through one tenant's search_path stay in that tenant.
        await conn.execute(f"INSERT INTO {qualified('tenant_03', 'items')} VALUES (1)")
        assert await conn.fetchval(f"SELECT count(*) FROM {quote_ident('tenant_04')}.items") == 0
    finally:
        await conn.close()

    again = await MigrationRunner.up_many(
        DbContext, targets, migrations_directory=directory, concurrency=4
    )
    assert statuses(again) == ["skipped"] * 10


async def test_cancelling_the_run_closes_every_pool(
    linkgress_databases: DatabaseFactory, tmp_path: Path
) -> None:
    dsns = await databases(linkgress_databases, 6)
    directory = tmp_path / "migrations"
    write(directory, "001_hang.py", "await db.block()")
    probe = Probe()
    probe.block_after = 3
    outcome: list[FleetResult] = []

    async def run() -> None:
        outcome.append(
            await MigrationRunner.up_many(
                probed_context(probe), dsns, migrations_directory=directory, concurrency=3
            )
        )

    with anyio.fail_after(30):
        async with anyio.create_task_group() as group:
            group.start_soon(run)
            await probe.enough_started.wait()
            group.cancel_scope.cancel()

    assert outcome == []
    assert len(probe.clients) == 3
    assert not any(client.is_connected for client in probe.clients)
    for dsn in dsns:
        assert await journal(dsn) in (None, [])


async def test_a_broken_file_is_reported_before_any_target_runs(
    linkgress_databases: DatabaseFactory, tmp_path: Path
) -> None:
    from linkgress_async import MigrationFileError

    dsns = await databases(linkgress_databases, 2)
    directory = tmp_path / "migrations"
    directory.mkdir()
    (directory / "001_broken.py").write_text("this is not python\n")
    with pytest.raises(MigrationFileError, match=r"001_broken\.py"):
        await MigrationRunner.up_many(DbContext, dsns, migrations_directory=directory)
    assert [await journal(dsn) for dsn in dsns] == [None, None]
