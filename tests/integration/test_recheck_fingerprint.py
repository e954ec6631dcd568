"""The re-check under the migration lock skips assembling a catalog that reads as the plan's.

A plan made to be applied keeps the fingerprint of the catalog read it came from; the
re-check reads again under the lock and, when every family's text is the same, keeps the
plan's diff instead of decoding, assembling and diffing again. These tests hold the two
halves of that to the real server: an unchanged catalog does read alike (on two connections
sharing a snapshot, then in one statement inside the migration's transaction), so the
saving is real; and every kind of change is a different read, so nothing is ever kept that
should have been planned again.
"""

from __future__ import annotations

from typing import Any

import anyio.lowlevel
import asyncpg
import attrs
import pytest

from linkgress_async import DbContext, DbModelConfig, PgClient, SchemaApplyError
from linkgress_async.catalog import QualifiedName
from linkgress_async.introspect import (
    CatalogFingerprint,
    introspect_connection,
    introspect_connection_if_changed,
    read_catalog,
)
from linkgress_async.introspect._catalog_state import CATALOG_STATE
from linkgress_async.manager import DbSchemaManager, Plan
from linkgress_async.model.types import bigint, integer, text
from linkgress_async.testing import DatabaseFactory, LinkgressServer
from tests.integration.fidelity import load_sql
from tests.integration.helpers import context, quiet, table
from tests.integration.realworld import pagila_schema
from tests.integration.test_fidelity_oracle import (
    HAND_CHANGES,
    HAND_CHANGES_18,
    edge_roles,
    edge_schema,
)

_USER_SCHEMAS = """
SELECT array_agg(nspname ORDER BY nspname) FROM pg_namespace
WHERE nspname !~ '^pg_' AND nspname <> 'information_schema'
"""


async def _loaded(
    server: LinkgressServer, databases: DatabaseFactory, schema: str
) -> tuple[str, list[str]]:
    if schema == "pagila" and server.server_version_num < 180000:
        pytest.skip("Pagila uses PostgreSQL 18 features (uuidv7(), virtual generated columns)")
    dsn = await databases.create()
    if schema == "edge":
        await edge_roles(dsn)
        await load_sql(dsn, edge_schema(server.server_version_num))
    else:
        await load_sql(dsn, pagila_schema())
    conn = await asyncpg.connect(dsn)
    try:
        names: list[str] = await conn.fetchval(_USER_SCHEMAS)
    finally:
        await conn.close()
    return dsn, names


@pytest.mark.parametrize("schema", ["edge", "pagila"])
async def test_an_unchanged_catalog_reads_alike_on_two_connections_and_on_one(
    linkgress_server: LinkgressServer, linkgress_databases: DatabaseFactory, schema: str
) -> None:
    dsn, schemas = await _loaded(linkgress_server, linkgress_databases, schema)
    async with asyncpg.create_pool(dsn, min_size=2, max_size=2) as pool:
        catalog, _, with_state = await read_catalog(pool, schemas, fingerprinted=True)
        # Without the catalog's state, which would answer before any text is read.
        fingerprint = _texts_only(with_state)
        assert catalog.tables
        # As the re-check reads: inside a transaction that holds a lock, in one statement.
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(42)")
            assert await introspect_connection_if_changed(conn, schemas, fingerprint) is None
        # Outside a transaction too, and a read of other schemas or tables is another read.
        async with pool.acquire() as conn:
            assert await introspect_connection_if_changed(conn, schemas, fingerprint) is None
            fewer = schemas[:-1]
            assert await introspect_connection_if_changed(conn, fewer, fingerprint) is not None
            excluded = [QualifiedName(catalog.tables[0].schema, catalog.tables[0].name)]
            reread = await introspect_connection_if_changed(
                conn, schemas, fingerprint, exclude_tables=excluded
            )
            assert reread is not None
            assert reread == await introspect_connection(conn, schemas, exclude_tables=excluded)


async def test_every_kind_changed_by_hand_is_a_new_read(
    linkgress_server: LinkgressServer, linkgress_databases: DatabaseFactory
) -> None:
    dsn, schemas = await _loaded(linkgress_server, linkgress_databases, "edge")
    changes = HAND_CHANGES + (
        HAND_CHANGES_18 if linkgress_server.server_version_num >= 180000 else []
    )
    kept: list[str] = []
    async with asyncpg.create_pool(dsn, min_size=2, max_size=2) as pool:
        original, _, fingerprint = await read_catalog(pool, schemas, fingerprinted=True)
        assert fingerprint is not None
        async with pool.acquire() as conn:
            for kind, statement, _needle in changes:
                transaction = conn.transaction()
                await transaction.start()
                try:
                    await conn.execute(statement)
                    # The catalog's state tells the change before any text is read ...
                    state = await conn.fetchval(f"SELECT {CATALOG_STATE}")
                    assert state != fingerprint.catalog_state, kind
                    # ... and the texts tell it too.
                    changed = await introspect_connection_if_changed(conn, schemas, fingerprint)
                    if changed is None:
                        kept.append(kind)
                    else:
                        assert changed != original, kind
                        assert changed == await introspect_connection(conn, schemas), kind
                finally:
                    await transaction.rollback()
            # Each change was undone: the catalog reads as before again.
            assert await introspect_connection_if_changed(conn, schemas, fingerprint) is None
    assert kept == []


def _before(model: DbModelConfig) -> None:
    table(model, "t", bigint("id").primary_key(), text("a"))


def _after(model: DbModelConfig) -> None:
    table(model, "t", bigint("id").primary_key(), text("a"), integer("b"))


class MeddledWith(DbSchemaManager):
    """A manager that runs ``statement`` on the database in a session of its own once its
    plan is made, before the migration lock is taken (as another session would), and keeps
    the plans it made."""

    def __init__(self, db: DbContext, dsn: str, statement: str | None) -> None:
        super().__init__(db, out=quiet)
        self.dsn, self.statement = dsn, statement
        self.plans: list[Plan] = []

    async def _plan(self, **options: Any) -> Plan:
        plan = await super()._plan(**options)
        self.plans.append(plan)
        if self.statement is not None:
            other = await asyncpg.connect(self.dsn)
            try:
                await other.execute(self.statement)
            finally:
                await other.close()
            self.statement = None
        return plan


@pytest.mark.parametrize("spelled", [False, True], ids=["first-call", "spelling-kept"])
@pytest.mark.parametrize(
    ("statement", "outcome"),
    [
        pytest.param(None, "applied", id="unchanged"),
        pytest.param("ALTER TABLE t ADD COLUMN b integer", "done", id="same-change-made"),
        pytest.param("ALTER TABLE t ADD COLUMN c integer", "refused", id="column-added"),
        pytest.param("ALTER TABLE t ALTER COLUMN a SET NOT NULL", "refused", id="not-null"),
        pytest.param("ALTER TABLE t ALTER COLUMN a SET DEFAULT 'x'", "refused", id="default"),
    ],
)
async def test_a_change_between_the_plan_and_the_lock_is_never_kept(
    linkgress_dsn: str, spelled: bool, statement: str | None, outcome: str
) -> None:
    async with context(_before)(PgClient(dsn=linkgress_dsn)) as db:
        await db.get_schema_manager(out=quiet).migrate()
    async with context(_after)(PgClient(dsn=linkgress_dsn)) as db:
        if spelled:
            # The model is spelled once per process: the plan below reuses the spelling.
            assert await db.get_schema_manager(out=quiet).analyze() != []
        manager = MeddledWith(db, linkgress_dsn, statement)
        if outcome == "refused":
            with pytest.raises(SchemaApplyError, match="changed while this migration"):
                await manager.migrate()
        else:
            applied = await manager.migrate()
            assert [op.describe() for op in applied] == (
                ["Add column 't.b'"] if outcome == "applied" else []
            )
            assert await db.get_schema_manager(out=quiet).analyze() == []
        # The plan was made to be applied: its read was fingerprinted for the re-check.
        assert [plan.live_read is not None for plan in manager.plans] == [True]


@pytest.mark.parametrize(
    "statement",
    [
        pytest.param(None, id="unchanged"),
        pytest.param("ALTER TABLE t ADD COLUMN b integer", id="same-change-made"),
        pytest.param("ALTER TABLE t ALTER COLUMN a SET DEFAULT 'x'", id="default"),
    ],
)
async def test_an_online_migration_rechecks_through_the_fingerprint(
    linkgress_dsn: str, statement: str | None
) -> None:
    """The online run plans again under its hold of the lock from the database as it is then:
    its plan is fingerprinted like migrate()'s, and a change made meanwhile is still planned
    (the column made already is not added twice, a default set meanwhile is taken off)."""
    async with context(_before)(PgClient(dsn=linkgress_dsn)) as db:
        await db.get_schema_manager(out=quiet).migrate()
    async with context(_after)(PgClient(dsn=linkgress_dsn)) as db:
        manager = MeddledWith(db, linkgress_dsn, statement)
        await manager.migrate(online=True)
        assert [plan.live_read is not None for plan in manager.plans] == [True]
        assert await db.get_schema_manager(out=quiet).analyze() == []


def _renamed(model: DbModelConfig) -> None:
    table(model, "t", bigint("id").primary_key(), text("z"))


@pytest.mark.parametrize("online", [False, True], ids=["migrate", "online"])
async def test_a_plan_with_confirmed_renames_stays_fingerprinted(
    linkgress_dsn: str, monkeypatch: pytest.MonkeyPatch, online: bool
) -> None:
    """Renames confirmed at the prompt plan the diff again; that plan is the one applied, so
    it keeps a fingerprint of its own read for the re-check."""
    monkeypatch.setattr("builtins.input", lambda _question: "yes")
    async with context(_before)(PgClient(dsn=linkgress_dsn)) as db:
        await db.get_schema_manager(out=quiet).migrate()
        await db.client.query("INSERT INTO t VALUES (1, 'kept')")
    async with context(_renamed)(PgClient(dsn=linkgress_dsn)) as db:
        manager = MeddledWith(db, linkgress_dsn, None)
        applied = await manager.migrate(interactive=True, online=online)
        assert [op.describe() for op in applied] == ["Rename column 't.a' to 'z'"]
        assert [plan.live_read is not None for plan in manager.plans] == [True, True]
        assert [row["z"] for row in await db.client.query("SELECT z FROM t")] == ["kept"]
        assert await db.get_schema_manager(out=quiet).analyze() == []


# Planner settings that make the server choose other joins, aggregations and scans.
_OTHER_PLANS = [
    "SET enable_hashjoin = off; SET enable_mergejoin = off",
    "SET enable_nestloop = off",
    "SET enable_hashagg = off",
    "SET enable_sort = off",
    "SET enable_seqscan = off",
    "SET enable_indexscan = off; SET enable_bitmapscan = off; SET enable_indexonlyscan = off",
]


@pytest.mark.parametrize("schema", ["edge", "pagila"])
async def test_a_read_does_not_depend_on_the_plan_the_server_chose(
    linkgress_server: LinkgressServer, linkgress_databases: DatabaseFactory, schema: str
) -> None:
    """Every family orders its rows completely, so an unchanged catalog reads as the same
    text whatever plan the server picks (it plans again when autovacuum analyzes a catalog
    table, say): a read on connections made to plan otherwise is still the same read."""
    dsn, schemas = await _loaded(linkgress_server, linkgress_databases, schema)
    async with asyncpg.create_pool(dsn, min_size=2, max_size=2) as pool:
        _, _, with_state = await read_catalog(pool, schemas, fingerprinted=True)
    fingerprint = _texts_only(with_state)
    differs: list[str] = []
    for settings in _OTHER_PLANS:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(settings)
            if await introspect_connection_if_changed(conn, schemas, fingerprint) is not None:
                differs.append(settings)
        finally:
            await conn.close()
    assert differs == []


def _texts_only(fingerprint: CatalogFingerprint | None) -> CatalogFingerprint:
    """``fingerprint`` without the catalog's state: a re-check against it reads the texts."""
    assert fingerprint is not None
    assert fingerprint.catalog_state is not None
    return attrs.evolve(fingerprint, catalog_state=None)


@pytest.mark.parametrize("concurrent", [True, False], ids=["two-connections", "one"])
async def test_an_unchanged_catalog_is_not_read_again_under_the_lock(
    linkgress_server: LinkgressServer, linkgress_databases: DatabaseFactory, concurrent: bool
) -> None:
    """A fingerprinted read keeps the catalog's state of its snapshot; the re-check compares
    it with the state now in one short statement, and reads the catalog again only when it
    differs."""
    dsn, schemas = await _loaded(linkgress_server, linkgress_databases, "edge")
    async with asyncpg.create_pool(dsn, min_size=2, max_size=2) as pool:
        catalog, _, fingerprint = await read_catalog(
            pool, schemas, fingerprinted=True, concurrent=concurrent
        )
        assert fingerprint is not None
        async with pool.acquire() as conn, conn.transaction():
            assert fingerprint.catalog_state == await conn.fetchval(f"SELECT {CATALOG_STATE}")
            await conn.execute("SELECT pg_advisory_xact_lock(42)")
            statements: list[str] = []
            conn.add_query_logger(lambda record: statements.append(record.query))
            reread = await introspect_connection_if_changed(conn, schemas, fingerprint)
            await anyio.lowlevel.checkpoint()  # asyncpg hands records over on the next turn
            assert reread is None
            assert statements == [f"SELECT {CATALOG_STATE}"]
            await conn.execute("COMMENT ON TABLE edge.rooms IS 'written meanwhile'")
            await anyio.lowlevel.checkpoint()
            statements.clear()
            reread = await introspect_connection_if_changed(conn, schemas, fingerprint)
            await anyio.lowlevel.checkpoint()
            assert reread is not None
            assert reread != catalog
            assert statements[0] == f"SELECT {CATALOG_STATE}"
            assert len(statements) > 1  # the catalog, read again


async def test_a_renamed_role_is_a_new_state_and_a_new_read(
    linkgress_server: LinkgressServer, linkgress_databases: DatabaseFactory
) -> None:
    """Grants and owners print role names, which live in a catalog nobody but a superuser
    reads (pg_authid): the state sums roles up by name, through pg_roles."""
    dsn, schemas = await _loaded(linkgress_server, linkgress_databases, "edge")
    async with asyncpg.create_pool(dsn, min_size=2, max_size=2) as pool:
        catalog, _, fingerprint = await read_catalog(pool, schemas, fingerprinted=True)
        assert fingerprint is not None
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute("ALTER ROLE lk_edge_writer RENAME TO lk_edge_author")
            assert await conn.fetchval(f"SELECT {CATALOG_STATE}") != fingerprint.catalog_state
            reread = await introspect_connection_if_changed(conn, schemas, fingerprint)
            assert reread is not None
            assert reread != catalog
