"""A plan is applied whole or not at all.

A plan that fails part-way, after statements of its own that succeeded (a new schema, a new
table, a new column), must leave the catalog and the data exactly as they were, and the error
must name the statement the server rejected. A hook that raises undoes the plan too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import asyncpg
import pytest
from attrs import frozen

from linkgress_async import (
    Catalog,
    DbContext,
    DbModelConfig,
    PgClient,
    SchemaApplyError,
    bigint,
    enum_column,
    integer,
    text,
    varchar,
)
from linkgress_async.introspect import introspect
from linkgress_async.model import ColumnType, EntityBuilder
from tests.integration.helpers import Setup, context, quiet, table


@frozen
class Snapshot:
    """Everything a failed plan must not change."""

    catalog: Catalog
    objects: list[tuple[Any, ...]]
    data: dict[str, list[tuple[Any, ...]]]


async def snapshot(db: DbContext, schemas: tuple[str, ...] = ("public", "fresh")) -> Snapshot:
    """The catalog of ``schemas``, every user object of the database, and every table's rows."""
    pool = await db.client.connect()
    catalog = await introspect(pool, schemas)
    objects = await db.query(
        "SELECT n.nspname::text, c.relname::text, c.relkind::text, c.relnatts::int,"
        " (SELECT array_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod)"
        "   || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END ORDER BY a.attnum)"
        "  FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0"
        "  AND NOT a.attisdropped) AS columns"
        " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')"
        " AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'"
        " UNION ALL SELECT n.nspname::text, t.typname::text, 'type',"
        "  0, array(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid"
        "  ORDER BY e.enumsortorder)"
        " FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.typtype = 'e'"
        " UNION ALL SELECT nspname::text, '', 'schema', 0, NULL FROM pg_namespace"
        " UNION ALL SELECT conrelid::regclass::text, conname, contype::text, 0,"
        "  ARRAY[pg_get_constraintdef(oid)] FROM pg_constraint"
        "  WHERE connamespace <> 'pg_catalog'::regnamespace"
        " ORDER BY 1, 2, 3"
    )
    data = {}
    for t in catalog.tables:
        name = f'"{t.schema}"."{t.name}"'
        rows = await db.query(f"SELECT * FROM {name} ORDER BY 1")
        data[name] = [tuple(row.values()) for row in rows]
    return Snapshot(catalog, [tuple(r.values()) for r in objects], data)


# --- v1 and the failing v2s ---------------------------------------------------------------


def v1(model: DbModelConfig) -> None:
    table(model, "t", bigint("id").primary_key(), text("a"), integer("n"))


SEED = (
    "INSERT INTO t VALUES (1, 'dup', 1), (2, 'dup', NULL), (3, NULL, 3),"
    " (4, 'abcdefghijklmnopqrstuvwxyz', 4)",
)


def failing(change: Callable[[EntityBuilder[Any]], None], a: ColumnType | None = None) -> Setup:
    """v1 plus a new schema, a new table and a new column, then ``change`` on table t."""

    def setup(model: DbModelConfig) -> None:
        e = table(model, "t", bigint("id").primary_key(), a or text("a"), integer("n"), text("b"))
        e.property("b").has_default_value("new")
        change(e)
        table(model, "created", bigint("id").primary_key(), schema="fresh")
        table(model, "also_created", bigint("id").primary_key(), text("x"))

    return setup


def unique_a(e: EntityBuilder[Any]) -> None:
    e.has_unique("uq_t_a", ["a"])


def required_n(e: EntityBuilder[Any]) -> None:
    e.property("n").is_required()


def check_a(e: EntityBuilder[Any]) -> None:
    e.has_check("ck_t_a", "a <> 'dup'")


def unique_index_a(e: EntityBuilder[Any]) -> None:
    e.has_index("ux_t_a", ["a"], unique=True)


def nothing(_e: EntityBuilder[Any]) -> None:
    pass


FAILURES = [
    pytest.param(failing(unique_a), 'UNIQUE ("a")', asyncpg.UniqueViolationError, id="unique"),
    pytest.param(failing(required_n), "SET NOT NULL", asyncpg.NotNullViolationError, id="not-null"),
    pytest.param(failing(check_a), "CHECK", asyncpg.CheckViolationError, id="check"),
    pytest.param(
        failing(unique_index_a), "CREATE UNIQUE INDEX", asyncpg.UniqueViolationError, id="index"
    ),
    pytest.param(
        failing(nothing, a=integer("a")),
        'TYPE integer USING "a"::integer',
        asyncpg.InvalidTextRepresentationError,
        id="cast",
    ),
    # A narrower varchar must not truncate the long value silently: the plan fails instead.
    pytest.param(
        failing(nothing, a=varchar("a", 5)),
        "TYPE character varying(5)",
        asyncpg.StringDataRightTruncationError,
        id="narrow-varchar",
    ),
]


@pytest.mark.parametrize(("v2", "fragment", "cause"), FAILURES)
async def test_failing_plan_changes_nothing(
    linkgress_dsn: str, v2: Setup, fragment: str, cause: type[Exception]
) -> None:
    async with context(v1)(PgClient(dsn=linkgress_dsn, max_size=4)) as db:
        await db.get_schema_manager(out=quiet).migrate()
        for statement in SEED:
            await db.query(statement)
        before = await snapshot(db)

    async with context(v2)(PgClient(dsn=linkgress_dsn, max_size=4)) as db:
        sm = db.get_schema_manager(out=quiet)
        plan = await sm.analyze()
        statements = sm.to_sql(plan)
        assert not any(op.destructive for op in plan)
        with pytest.raises(SchemaApplyError) as raised:
            await sm.migrate(interactive=False)
        failed = raised.value.statement
        assert failed is not None
        assert failed in statements
        assert fragment in failed
        assert failed in str(raised.value)
        assert isinstance(raised.value.__cause__, cause)
        # Statements before it in the same plan would have succeeded on their own.
        position = statements.index(failed)
        assert any(s.startswith("CREATE TABLE") for s in statements[:position])
        assert any("ADD COLUMN" in s for s in statements[:position])
        assert await snapshot(db) == before
        assert await sm.analyze() == plan


# --- hooks --------------------------------------------------------------------------------


class HookFailed(Exception):
    pass


async def failing_hook(db: DbContext) -> None:
    await db.query("CREATE TABLE hook_made (x int)")
    raise HookFailed("the hook gave up")


def hooked_model(model: DbModelConfig) -> None:
    status = model.enum("status", ["a", "b"], schema="fresh")
    table(model, "first", bigint("id").primary_key(), enum_column("s", status), schema="fresh")
    table(model, "second", bigint("id").primary_key(), text("x"))


@pytest.mark.parametrize("how", ["migrate", "ensure_created"])
async def test_failing_hook_rolls_back_everything(linkgress_dsn: str, how: str) -> None:
    async with context(hooked_model, failing_hook)(PgClient(dsn=linkgress_dsn)) as db:
        sm = db.get_schema_manager(out=quiet)
        before = await snapshot(db)
        plan = await sm.analyze()
        assert {op.type for op in plan} >= {"create_schema", "create_enum", "create_table"}
        with pytest.raises(HookFailed):
            await (sm.migrate() if how == "migrate" else sm.ensure_created())
        assert await snapshot(db) == before
        rows = await db.query(
            "SELECT to_regclass('fresh.first') AS a, to_regclass('public.second') AS b,"
            " to_regclass('public.hook_made') AS c,"
            " (SELECT count(*) FROM pg_namespace WHERE nspname = 'fresh') AS d"
        )
        assert tuple(rows[0].values()) == (None, None, None, 0)
        assert await sm.analyze() == plan


async def test_hook_sees_the_plan_and_commits_with_it(linkgress_dsn: str) -> None:
    seen: list[int] = []

    async def hook(db: DbContext) -> None:
        rows = await db.query("SELECT count(*) AS n FROM fresh.first")
        seen.append(rows[0]["n"])
        await db.query("INSERT INTO second (id, x) VALUES (1, 'from the hook')")

    async with context(hooked_model, hook)(PgClient(dsn=linkgress_dsn)) as db:
        await db.get_schema_manager(out=quiet).migrate()
        assert seen == [0]
        rows = await db.query("SELECT x FROM second")
        assert [r["x"] for r in rows] == ["from the hook"]


# --- enum values used in the plan that adds them ------------------------------------------


def status_model(
    *values: str, default: str = "a", extra: bool = False, unique_s: bool = False
) -> Setup:
    def setup(model: DbModelConfig) -> None:
        status = model.enum("status", list(values))
        columns = [bigint("id").primary_key(), enum_column("s", status)]
        if extra:
            columns.append(enum_column("s2", status))
        e = table(model, "t", *columns)
        e.property("s").is_required().has_default_value(default)
        if extra:
            e.property("s2").is_required().has_default_value("c")
            e.has_index("ix_t_c", ["id"], where="s2 = 'c'")
            e.has_check("ck_t_s2", "s2 <> 'b'")
        if unique_s:
            e.has_unique("uq_t_s", ["s"])

    return setup


async def test_new_enum_value_used_as_default_in_the_same_plan(linkgress_dsn: str) -> None:
    async with context(status_model("a", "b"))(PgClient(dsn=linkgress_dsn)) as db:
        await db.get_schema_manager(out=quiet).migrate()
        await db.query("INSERT INTO t (id) VALUES (1)")
        await db.query("INSERT INTO t (id, s) VALUES (2, 'b')")

    v2 = status_model("a", "c", "b", default="c", extra=True)
    async with context(v2)(PgClient(dsn=linkgress_dsn)) as db:
        sm = db.get_schema_manager(out=quiet)
        plan = await sm.analyze()
        types = [op.type for op in plan]
        # The new value is used in the same plan, so the enum is rebuilt transactionally.
        assert types[0] == "rebuild_enum"
        assert {"alter_column", "add_column", "create_index", "create_check_constraint"} <= set(
            types
        )
        await sm.migrate(interactive=False)
        assert await sm.analyze() == []
        await db.query("INSERT INTO t (id) VALUES (3)")
        rows = await db.query("SELECT id, s::text, s2::text FROM t ORDER BY t.s, t.id")
        assert [tuple(r.values()) for r in rows] == [(1, "a", "c"), (3, "c", "c"), (2, "b", "c")]


async def test_failing_plan_with_an_enum_value_used_later(linkgress_dsn: str) -> None:
    """The plan adds an enum value a later statement uses, then fails: nothing is left."""
    async with context(status_model("a", "b"))(PgClient(dsn=linkgress_dsn)) as db:
        await db.get_schema_manager(out=quiet).migrate()
        await db.query("INSERT INTO t (id, s) VALUES (1, 'a'), (2, 'a')")
        before = await snapshot(db)

    v2 = status_model("a", "c", "b", default="c", extra=True, unique_s=True)  # duplicates
    async with context(v2)(PgClient(dsn=linkgress_dsn)) as db:
        sm = db.get_schema_manager(out=quiet)
        with pytest.raises(SchemaApplyError, match="uq_t_s"):
            await sm.migrate(interactive=False)
        assert await snapshot(db) == before
