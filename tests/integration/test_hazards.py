"""Dangerous DDL on tables that hold rows, reported by the plan before anything runs."""

from __future__ import annotations

from collections.abc import Callable

import asyncpg
import pytest

from linkgress_async import DbContext, DbModelConfig, PgClient
from linkgress_async.catalog import QualifiedName
from linkgress_async.model import bigint, boolean, integer, text, varchar
from linkgress_async.plan.hazard_facts import rewrite_free_pairs, table_facts
from linkgress_async.plan.hazards import HazardPolicy
from tests.integration.helpers import context, quiet

ROWS = 20_000


class Account:
    id: int


class Event:
    id: int
    account_id: int
    v: str
    n: int
    note: str
    flag: bool


class Fresh:
    id: int
    account_id: int


def _accounts(model: DbModelConfig) -> None:
    with model.entity(Account) as e:
        e.to_table("accounts")
        e.property("id").has_type(integer("id").primary_key())


def v1(model: DbModelConfig) -> None:
    _accounts(model)
    with model.entity(Event) as e:
        e.to_table("events")
        e.property("id").has_type(integer("id").primary_key())
        e.property("account_id").has_type(integer("account_id"))
        e.property("v").has_type(text("v"))
        e.property("n").has_type(integer("n"))
        e.property("note").has_type(varchar("note", 10))


def v2(*, required_flag: bool = True) -> Callable[[DbModelConfig], None]:
    """Every risky change on ``events``, and a new table with its own index and key."""

    def setup(model: DbModelConfig) -> None:
        _accounts(model)
        with model.entity(Event) as e:
            e.to_table("events")
            e.property("id").has_type(integer("id").primary_key())
            e.property("account_id").has_type(integer("account_id"))
            e.property("v").has_type(text("v")).is_required()  # set NOT NULL
            e.property("n").has_type(bigint("n"))  # integer -> bigint rewrites
            e.property("note").has_type(varchar("note", 20))  # longer varchar: no rewrite
            if required_flag:
                e.property("flag").has_type(boolean("flag")).is_required()  # no default
            e.has_index("ix_events_v", ["v"])
            e.has_one("account", Account).with_foreign_key("account_id").with_principal_key("id")
        with model.entity(Fresh) as e:
            e.to_table("fresh")
            e.property("id").has_type(integer("id").primary_key())
            e.property("account_id").has_type(integer("account_id"))
            e.has_index("ix_fresh_account", ["account_id"])
            e.has_one("account", Account).with_foreign_key("account_id").with_principal_key("id")

    return setup


async def fill(db: DbContext, rows: int = ROWS) -> None:
    await db.execute("INSERT INTO accounts SELECT g FROM generate_series(1, 100) g")
    await db.execute(
        "INSERT INTO events SELECT g, g % 100 + 1, 'v' || g, g, 'n' FROM generate_series(1, $1) g",
        rows,
    )
    await db.execute("ANALYZE accounts, events")


async def create_v1(dsn: str, rows: int = ROWS) -> None:
    async with context(v1)(PgClient(dsn=dsn)) as db:
        await db.get_schema_manager(out=quiet).ensure_created()
        await fill(db, rows)


async def test_plan_reports_each_hazard_with_its_safe_alternative(linkgress_dsn: str) -> None:
    await create_v1(linkgress_dsn)
    async with context(v2())(PgClient(dsn=linkgress_dsn)) as db:
        lines: list[str] = []
        manager = db.get_schema_manager(out=lines.append, large_table_rows=5_000)
        plan = await manager.plan()
        found = {(h.code, h.operation.describe()) for h in plan.hazards}
        assert found == {
            ("not-null-without-default", "Add column 'events.flag'"),
            ("set-not-null", "Alter column 'events.v' (set NOT NULL)"),
            ("table-rewrite", "Alter column 'events.n' (type integer -> bigint)"),
            ("index-not-concurrent", "Create index 'ix_events_v' on 'events'"),
            (
                "foreign-key-not-valid",
                "Create foreign key 'FK_events_accounts' 'events' -> 'accounts'",
            ),
        }
        # The longer varchar and everything on the new table 'fresh' are harmless.
        assert all(h.table == QualifiedName("public", "events") for h in plan.hazards)
        assert all(h.operation in plan.operations for h in plan.hazards)
        assert await manager.hazards() == list(plan.hazards)

        manager.print_plan(plan)
        printed = "\n".join(lines)
        numbered = printed.index("Create index 'ix_events_v'")
        warnings = printed.index("Warnings (5 warnings")
        assert numbered < warnings
        assert printed.count("    Safer: ") == 5
        assert "[index-not-concurrent]" in printed
        assert "CREATE INDEX CONCURRENTLY" in printed
        assert "fails: the existing rows would hold NULL" in printed


async def test_threshold_decides_what_is_large(linkgress_dsn: str) -> None:
    await create_v1(linkgress_dsn)
    async with context(v2())(PgClient(dsn=linkgress_dsn)) as db:
        default = await db.get_schema_manager(out=quiet).hazards()
        assert len(default) == 5  # 20,000 rows reach the default 10,000
        high = await db.get_schema_manager(out=quiet, large_table_rows=50_000).hazards()
        # Only the failure remains: it happens on any table with rows.
        assert [h.code for h in high] == ["not-null-without-default"]
        by_size = db.get_schema_manager(
            out=quiet, hazard_policy=HazardPolicy(large_table_rows=10**9, large_table_bytes=1)
        )
        assert len(await by_size.hazards()) == 5


async def test_empty_tables_have_no_hazards(linkgress_dsn: str) -> None:
    await create_v1(linkgress_dsn, rows=0)
    async with context(v2())(PgClient(dsn=linkgress_dsn)) as db:
        assert await db.get_schema_manager(out=quiet, large_table_rows=0).hazards() == []


async def test_migrate_prints_warnings_first_and_still_runs(linkgress_dsn: str) -> None:
    await create_v1(linkgress_dsn)
    async with context(v2(required_flag=False))(PgClient(dsn=linkgress_dsn)) as db:
        lines: list[str] = []
        manager = db.get_schema_manager(out=lines.append, large_table_rows=1_000)
        applied = await manager.migrate()
        assert applied
        printed = "\n".join(lines)
        assert printed.index("Warnings (4 warnings") < printed.index("Migration complete")
        assert await manager.analyze() == []
        # The type change happened in place and the rows survived.
        rows = await db.query("SELECT count(*) AS c, max(n) AS m FROM events")
        assert (rows[0]["c"], rows[0]["m"]) == (ROWS, ROWS)


async def test_adding_not_null_without_default_fails_as_warned(linkgress_dsn: str) -> None:
    await create_v1(linkgress_dsn, rows=10)
    async with context(v2())(PgClient(dsn=linkgress_dsn)) as db:
        lines: list[str] = []
        manager = db.get_schema_manager(out=lines.append)
        with pytest.raises(Exception, match="flag"):
            await manager.migrate()
        # Small table: only the certain failure was reported, before running.
        assert "[not-null-without-default]" in "\n".join(lines)
        assert "[index-not-concurrent]" not in "\n".join(lines)
        assert (await db.query("SELECT count(*) AS c FROM events"))[0]["c"] == 10


async def test_table_facts(linkgress_dsn: str) -> None:
    async with PgClient(dsn=linkgress_dsn) as client:
        await client.query(
            "CREATE TABLE full_t AS SELECT g AS id, repeat('x', 100) AS pad "
            "FROM generate_series(1, 5000) g"
        )
        await client.query("CREATE TABLE empty_t (id int)")
        await client.query("CREATE TABLE parts (id int) PARTITION BY RANGE (id)")
        await client.query("CREATE TABLE parts_a PARTITION OF parts FOR VALUES FROM (0) TO (10)")
        await client.query(
            "CREATE TABLE parts_b PARTITION OF parts FOR VALUES FROM (10) TO (100000)"
        )
        await client.query("INSERT INTO parts SELECT g FROM generate_series(1, 3000) g")
        names = [QualifiedName("public", n) for n in ("full_t", "empty_t", "parts", "missing")]
        pool = await client.connect()
        async with pool.acquire() as conn:
            facts = await table_facts(conn, names)
            assert set(facts) == set(names[:3])
            # Never analysed: the estimate is unknown, the row check is exact.
            assert facts[names[0]].estimated_rows == -1
            assert facts[names[0]].has_rows is True
            assert facts[names[0]].total_bytes > 500_000
            assert facts[names[1]].has_rows is False
            assert facts[names[2]].has_rows is True
            assert facts[names[2]].total_bytes > 0

            await client.query("ANALYZE full_t, parts")
            facts = await table_facts(conn, names)
            assert facts[names[0]].estimated_rows == 5000
            assert facts[names[2]].estimated_rows == 3000  # summed over partitions


async def test_a_locked_table_gives_estimates_instead_of_waiting(linkgress_dsn: str) -> None:
    async with PgClient(dsn=linkgress_dsn) as client:
        await client.query("CREATE TABLE busy AS SELECT g AS id FROM generate_series(1, 3000) g")
        await client.query("VACUUM ANALYZE busy")
        name = QualifiedName("public", "busy")
        holder = await asyncpg.connect(linkgress_dsn)
        try:
            async with holder.transaction():
                await holder.execute("LOCK TABLE busy IN ACCESS EXCLUSIVE MODE")
                pool = await client.connect()
                async with pool.acquire() as conn:
                    facts = await table_facts(conn, [name], lock_timeout=0.05)
        finally:
            await holder.close()
        assert facts[name].has_rows is None
        assert facts[name].estimated_rows == 3000
        assert facts[name].total_bytes > 0  # from relpages
        assert HazardPolicy(large_table_rows=1000).is_large(facts[name])


async def test_rewrite_probe_asks_the_server(linkgress_dsn: str) -> None:
    pairs = {
        ("integer", "bigint"): False,
        ("bigint", "integer"): False,
        ("text", "character varying(5)"): False,
        ("character varying(10)", "character varying(20)"): True,
        ("character varying(10)", "text"): True,
        ("character varying(20)", "character varying(10)"): False,
        ("numeric(10,2)", "numeric(12,2)"): True,
        ("numeric(10,2)", "numeric(10,4)"): False,
        ("text", "public.no_such_type"): False,
    }
    async with PgClient(dsn=linkgress_dsn) as client:
        pool = await client.connect()
        async with pool.acquire() as conn:
            free = await rewrite_free_pairs(conn, pairs)
            # Nothing of the probe is left behind.
            assert (
                await conn.fetchval("SELECT to_regclass('pg_temp.__linkgress_rewrite_probe')")
                is None
            )
    assert free == {pair for pair, no_rewrite in pairs.items() if no_rewrite}
