"""migrate_many over several databases, and the fleet's targets, options and target files."""

from __future__ import annotations

import uuid
from pathlib import Path

import asyncpg
import pytest

from linkgress_async import (
    DbContext,
    DestructiveMigrationError,
    FleetTarget,
    FleetTargetError,
    MigrationOperation,
    MigrationRunner,
    PgClient,
    migrate_many,
)
from linkgress_async.fleet import databases_on_server, parse_targets, read_targets, redact_dsn
from linkgress_async.testing import DatabaseFactory, LinkgressServer
from tests.integration.models import AppDatabase


async def tables(dsn: str) -> set[str]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT n.nspname || '.' || c.relname AS name FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
        )
        return {r["name"] for r in rows}
    finally:
        await conn.close()


async def test_migrate_many_applies_the_model_to_every_database(
    linkgress_databases: DatabaseFactory,
) -> None:
    dsns = [await linkgress_databases.create() for _ in range(5)]
    # One database holds a column the model does not declare: dropping it would lose data.
    async with AppDatabase(PgClient(dsn=dsns[3])) as db:
        await db.get_schema_manager(out=lambda _line: None).ensure_created()
        await db.execute("ALTER TABLE auth.users ADD COLUMN legacy text")
    lines: list[str] = []
    clients: list[PgClient] = []

    def factory(client: PgClient) -> DbContext:
        clients.append(client)
        return AppDatabase(client)

    result = await migrate_many(factory, dsns, concurrency=3, logger=lines.append)

    assert [t.status for t in result.targets] == ["ok", "ok", "ok", "failed", "ok"]
    good = [t for t in result.targets if t.status == "ok"]
    assert good[0].applied[:2] == ("Create schema 'auth'", "Create enum 'post_status'")
    assert all(t.applied == good[0].applied for t in good)
    failed = result.targets[3]
    assert isinstance(failed.exception, DestructiveMigrationError)
    assert failed.error is not None
    assert failed.error.startswith("DestructiveMigrationError: Migration aborted")
    assert "legacy" in failed.error
    assert await tables(dsns[3]) == {"auth.users", "public.posts"}
    assert not any(client.is_connected for client in clients)
    # The log names each target on every line: the plans of several targets interleave.
    label = FleetTarget(dsns[0]).name
    assert f"[{label}] Migration plan ({len(good[0].applied)} operations):" in lines
    assert any(line.startswith(f"[{label}] ok: {len(good[0].applied)} applied") for line in lines)

    for dsn in (dsns[0], dsns[4]):
        async with AppDatabase(PgClient(dsn=dsn)) as db:
            assert await db.get_schema_manager().analyze() == []

    again = await migrate_many(AppDatabase, dsns, concurrency=3, allow_destructive=True)
    assert [t.status for t in again.targets] == ["skipped"] * 3 + ["ok", "skipped"]
    assert again.targets[3].applied == ("Drop column 'auth.users.legacy'",)
    assert again.ok


async def test_migrate_many_passes_ownership_options(
    linkgress_databases: DatabaseFactory,
) -> None:
    dsns = [await linkgress_databases.create() for _ in range(2)]
    conn = await asyncpg.connect(dsns[1])
    try:
        await conn.execute("CREATE TABLE public.tmp_import (id integer)")
    finally:
        await conn.close()

    kept = await migrate_many(AppDatabase, dsns)
    assert kept.ok
    assert "public.tmp_import" in await tables(dsns[1])  # undeclared: kept by default

    options = {"drop_unmanaged": ["public.tmp_*"]}
    dropped = await migrate_many(AppDatabase, dsns, allow_destructive=True, manager_options=options)
    assert [t.applied for t in dropped.targets] == [(), ("Drop table 'tmp_import'",)]
    assert "public.tmp_import" not in await tables(dsns[1])


async def test_migrate_many_canary_and_confirm(linkgress_databases: DatabaseFactory) -> None:
    dsns = [await linkgress_databases.create() for _ in range(4)]
    conn = await asyncpg.connect(dsns[0])
    try:
        await conn.execute("CREATE TABLE posts (id bigint, legacy text)")
    finally:
        await conn.close()
    asked: list[int] = []

    def refuse(operations: list[MigrationOperation]) -> bool:
        asked.append(len(operations))
        return False

    result = await migrate_many(AppDatabase, dsns, canary=2, confirm=refuse)

    assert [t.status for t in result.targets] == ["failed", "not-run", "not-run", "not-run"]
    assert asked == [1]
    assert [await tables(dsn) for dsn in dsns[1:]] == [set(), set(), set()]


async def test_migrate_many_refuses_tenant_schemas_before_running(linkgress_dsn: str) -> None:
    targets: list[str | FleetTarget] = [
        linkgress_dsn,
        FleetTarget(linkgress_dsn, schema="tenant_a"),
    ]
    with pytest.raises(FleetTargetError, match=r"tenant schema.*MigrationRunner\.up_many"):
        await migrate_many(AppDatabase, targets)
    assert await tables(linkgress_dsn) == set()


async def test_databases_on_server_and_target_files(
    linkgress_server: LinkgressServer, tmp_path: Path
) -> None:
    prefix = f"lk_test_fleet_{uuid.uuid4().hex[:8]}_"
    names = [f"{prefix}{n}" for n in range(3)]
    for name in reversed(names):
        await linkgress_server.create_database_async(name)
    try:
        found = await databases_on_server(linkgress_server.dsn(), like=prefix + "%")
        assert found == [linkgress_server.dsn(name) for name in names]
        skipping = await databases_on_server(
            linkgress_server.dsn(), like=prefix + "%", exclude=[names[1]]
        )
        assert skipping == [found[0], found[2]]
    finally:
        for name in names:
            await linkgress_server.drop_database_async(name)

    listing = tmp_path / "targets.txt"
    listing.write_text(
        f"# production shards\n{found[0]}\n\n{found[1]} schema=tenant_a label=acme\n",
        encoding="utf-8",
    )
    assert await read_targets(listing) == [
        FleetTarget(found[0]),
        FleetTarget(found[1], schema="tenant_a", label="acme"),
    ]


def test_target_text_errors_name_the_line() -> None:
    with pytest.raises(FleetTargetError, match="line 2: unexpected 'scheme=x'"):
        parse_targets("postgresql://h/a\npostgresql://h/b scheme=x\n", "fleet.txt")
    with pytest.raises(FleetTargetError, match=r"Target #3 \(postgresql://h/a\) repeats target #1"):
        parse_targets("postgresql://h/a\npostgresql://h/a schema=s\npostgresql://h/a\n")
    assert parse_targets("# nothing yet\n\n") == []


async def test_bad_arguments_fail_before_anything_runs(tmp_path: Path) -> None:
    dsn = "postgresql://nobody@127.0.0.1:1/none"
    with pytest.raises(FleetTargetError, match="one string"):
        await migrate_many(AppDatabase, dsn)
    with pytest.raises(ValueError, match="concurrency must be"):
        await migrate_many(AppDatabase, [dsn], concurrency=0)
    with pytest.raises(ValueError, match="canary must be"):
        await MigrationRunner.up_many(DbContext, [dsn], migrations_directory=tmp_path, canary=-1)
    with pytest.raises(FleetTargetError, match="63"):
        FleetTarget(dsn, schema="x" * 64)
    with pytest.raises(FleetTargetError, match="DSN string"):
        FleetTarget("")


REDACTIONS = [
    ("postgresql://app:pa%40ss@db:5432/shop", "postgresql://app:***@db:5432/shop"),
    (
        "postgresql://app@db/shop?password=x&sslmode=require",
        "postgresql://app@db/shop?password=***&sslmode=require",
    ),
    (
        "host=db user=app password='s e c' dbname=shop",
        "host=db user=app password=*** dbname=shop",
    ),
    ("postgres://db/shop", "postgres://db/shop"),
]


@pytest.mark.parametrize(("dsn", "shown"), REDACTIONS)
def test_labels_never_show_a_password(dsn: str, shown: str) -> None:
    assert redact_dsn(dsn) == shown
    target = FleetTarget(dsn, schema="t")
    assert target.name == f"{shown} schema=t"
    assert "pa%40ss" not in repr(target)
    assert FleetTarget(dsn, label="eu-1").name == "eu-1"
