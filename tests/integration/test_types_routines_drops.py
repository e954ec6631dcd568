"""Drops of views, materialized views, functions, procedures, aggregates, triggers' functions,
domains, composite types, extensions and tables run in the database's dependency order
(issue 11: drop_unmanaged= dropped functions before the aggregates and triggers that use
them); and an undeclared view that calls an undeclared function over a declared table is
left alone (issue 11, MusicBrainz's editor_sanitized)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg
import attrs
import pytest

from linkgress_async import DbModelConfig, PgClient, integer, varchar
from linkgress_async.catalog import Catalog
from linkgress_async.diff import diff
from linkgress_async.ops import MigrationOperation
from linkgress_async.testing import DatabaseFactory
from tests.integration.helpers import context, quiet, table
from tests.integration.types_routines_support import (
    SCHEMAS,
    apply,
    execute,
    read,
    schema_sql,
)

# Objects that only a dependency-aware order can drop together: a trigger and a domain's
# check calling functions, an aggregate over its state function, a view over a materialized
# view over a table whose columns use a domain and a composite type.
TANGLE = """
CREATE FUNCTION public.stamp() RETURNS trigger LANGUAGE plpgsql AS
    $$ BEGIN NEW.changed := now(); RETURN NEW; END $$;
CREATE FUNCTION public.is_odd(n integer) RETURNS boolean
    LANGUAGE sql IMMUTABLE AS 'SELECT n % 2 = 1';
CREATE FUNCTION public.add_up(integer, integer) RETURNS integer
    LANGUAGE sql IMMUTABLE AS 'SELECT $1 + $2';
CREATE AGGREGATE public.total(integer) (SFUNC = public.add_up, STYPE = integer);
CREATE DOMAIN public.odd AS integer CHECK (public.is_odd(VALUE));
CREATE TYPE public.pair AS (a public.odd, b text);
CREATE TABLE public.thing (
    id integer PRIMARY KEY, n public.odd, p public.pair, changed timestamptz
);
CREATE TRIGGER thing_stamp BEFORE UPDATE ON public.thing
    FOR EACH ROW EXECUTE FUNCTION public.stamp();
CREATE MATERIALIZED VIEW public.thing_totals AS SELECT public.total(n) AS t FROM public.thing;
CREATE VIEW public.thing_report AS SELECT t FROM public.thing_totals;
CREATE PROCEDURE public.reset_things() LANGUAGE sql AS 'DELETE FROM public.thing';
"""


def _positions(operations: list[MigrationOperation]) -> dict[str, int]:
    return {op.describe(): number for number, op in enumerate(operations)}


async def test_dropping_everything_runs_in_dependency_order(
    linkgress_databases: DatabaseFactory,
) -> None:
    dsn = await linkgress_databases.create()
    await execute(dsn, await schema_sql(dsn) + TANGLE)
    live = await read(dsn)
    operations = diff(live, Catalog(schemas=SCHEMAS))
    where = _positions(operations)
    # The phases alone put every function first; the database's dependencies say otherwise.
    assert (
        where["Drop aggregate 'total(integer)'"] < where["Drop function 'add_up(integer, integer)'"]
    )
    assert where["Drop table 'thing'"] < where["Drop function 'stamp()'"]
    assert where["Drop domain 'odd'"] < where["Drop function 'is_odd(n integer)'"]
    assert where["Drop table 'thing'"] < where["Drop type 'pair'"] < where["Drop domain 'odd'"]
    assert where["Drop view 'thing_report'"] < where["Drop materialized view 'thing_totals'"]
    assert where["Drop materialized view 'thing_totals'"] < where["Drop aggregate 'total(integer)'"]
    assert where["Drop table 'film'"] < where["Drop extension 'citext'"]
    await apply(dsn, operations)  # one transaction: any refused DROP fails the test
    assert await read(dsn) == Catalog(schemas=SCHEMAS)


@attrs.frozen
class Removal:
    """Objects taken out of the target, and drops that must come in this order."""

    remove: Mapping[str, tuple[str, ...]]
    order: tuple[str, ...]


_USERS_OF_THING = {"materialized_views": ("thing_totals",), "views": ("thing_report",)}

REMOVALS = {
    "aggregate and its state function": Removal(
        {"aggregates": ("total",), "functions": ("add_up",), **_USERS_OF_THING},
        ("Drop aggregate 'total(integer)'", "Drop function 'add_up(integer, integer)'"),
    ),
    "domain and the function its check calls": Removal(
        {
            "domains": ("odd",),
            "functions": ("is_odd", "reset_things"),
            "tables": ("thing",),
            "composite_types": ("pair",),
            **_USERS_OF_THING,
        },
        ("Drop table 'thing'", "Drop domain 'odd'", "Drop function 'is_odd(n integer)'"),
    ),
    "trigger's table and function": Removal(
        {"tables": ("thing",), "functions": ("stamp", "reset_things"), **_USERS_OF_THING},
        ("Drop table 'thing'", "Drop function 'stamp()'"),
    ),
    "composite type and the table using it": Removal(
        {
            "composite_types": ("pair",),
            "tables": ("thing",),
            "functions": ("reset_things",),
            **_USERS_OF_THING,
        },
        ("Drop table 'thing'", "Drop type 'pair'"),
    ),
    "materialized view and the view over it": Removal(
        _USERS_OF_THING,
        ("Drop view 'thing_report'", "Drop materialized view 'thing_totals'"),
    ),
    "procedure": Removal({"functions": ("reset_things",)}, ("Drop procedure 'reset_things()'",)),
}


@pytest.mark.parametrize("name", list(REMOVALS))
async def test_removing_objects_drops_them_in_order(linkgress_dsn: str, name: str) -> None:
    removal = REMOVALS[name]
    await execute(linkgress_dsn, TANGLE)
    live = await read(linkgress_dsn, ["public"])
    changes: dict[str, Any] = {
        field: [o for o in getattr(live, field) if o.name not in names]
        for field, names in removal.remove.items()
    }
    target = attrs.evolve(live, dependencies=(), **changes)
    operations = diff(live, target)
    where = _positions(operations)
    assert [where[drop] for drop in removal.order] == sorted(where[d] for d in removal.order)
    await apply(linkgress_dsn, operations)
    assert await read(linkgress_dsn, ["public"]) == target


def _keep(model: DbModelConfig) -> None:
    table(model, "keep", integer("id").primary_key())


async def test_drop_unmanaged_drops_undeclared_objects_in_dependency_order(
    linkgress_dsn: str,
) -> None:
    await execute(linkgress_dsn, TANGLE)
    async with context(_keep)(PgClient(dsn=linkgress_dsn)) as db:
        sm = db.get_schema_manager(out=quiet, drop_unmanaged=True)
        applied = await sm.migrate(allow_destructive=True)
        assert {op.type for op in applied} >= {
            "drop_aggregate",
            "drop_function",
            "drop_domain",
            "drop_composite_type",
            "drop_materialized_view",
            "drop_view",
            "drop_table",
        }
        assert await sm.analyze() == []
    left = await read(linkgress_dsn, ["public"])
    assert [t.name for t in left.tables] == ["keep"]
    assert (left.functions, left.aggregates, left.domains, left.views) == ((), (), (), ())


# --- issue 11: MusicBrainz's editor_sanitized ---------------------------------------------

BY_HAND = """
CREATE FUNCTION public.mask(text) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT left($1, 1)';
CREATE VIEW public.editor_sanitized AS SELECT id, public.mask(name) AS name FROM public.editor;
COMMENT ON VIEW public.editor_sanitized IS 'editors without their private data';
GRANT SELECT ON public.editor_sanitized TO PUBLIC;
"""


def _editor(length: int) -> Any:
    def setup(model: DbModelConfig) -> None:
        table(model, "editor", integer("id").primary_key(), varchar("name", length))

    return setup


async def _view_definition(dsn: str) -> list[Any]:
    conn = await asyncpg.connect(dsn)
    try:
        return [
            tuple(row.values())
            for row in await conn.fetch(
                "SELECT pg_catalog.pg_get_viewdef('public.editor_sanitized'::regclass, true),"
                " pg_catalog.obj_description('public.editor_sanitized'::regclass, 'pg_class'),"
                " (SELECT relacl::text FROM pg_catalog.pg_class"
                "  WHERE oid = 'public.editor_sanitized'::regclass)"
            )
        ]
    finally:
        await conn.close()


async def test_undeclared_view_calling_undeclared_function_is_left_alone(
    linkgress_dsn: str,
) -> None:
    async with context(_editor(50))(PgClient(dsn=linkgress_dsn)) as db:
        await db.get_schema_manager(out=quiet).migrate()
    await execute(linkgress_dsn, BY_HAND)
    before = await _view_definition(linkgress_dsn)

    async with context(_editor(50))(PgClient(dsn=linkgress_dsn)) as db:
        sm = db.get_schema_manager(out=quiet)
        plan = await sm.plan()
        # Neither dropped nor made way for: both are reported as kept, nothing runs.
        assert plan.operations == ()
        assert sorted(item.describe() for item in plan.unmanaged) == [
            "function 'public.mask'",
            "view 'public.editor_sanitized'",
        ]
        assert await sm.migrate() == []
        assert await sm.migrate() == []
        assert await sm.analyze() == []
    assert await _view_definition(linkgress_dsn) == before


async def test_a_change_under_the_view_says_it_recreates_it(linkgress_dsn: str) -> None:
    async with context(_editor(50))(PgClient(dsn=linkgress_dsn)) as db:
        await db.get_schema_manager(out=quiet).migrate()
    await execute(linkgress_dsn, BY_HAND)
    before = await _view_definition(linkgress_dsn)

    lines: list[str] = []
    async with context(_editor(200))(PgClient(dsn=linkgress_dsn)) as db:
        sm = db.get_schema_manager(out=lines.append)
        applied = await sm.migrate()
        described = [op.describe() for op in applied]
        assert described[:3] == [
            "Drop view 'editor_sanitized' (recreated below)",
            "Alter column 'editor.name' (type character varying(50) -> character varying(200))",
            "Create view 'editor_sanitized' again as it was (not declared by the model)",
        ]
        # What attached to the view comes back with it: its comment and its privileges.
        rest = " | ".join(described[3:])
        assert "comment on view 'editor_sanitized'" in rest.lower()
        assert "editor_sanitized" in rest
        assert any(op.type == "grant_privileges" for op in applied[3:])
        assert (
            "  3. Create view 'editor_sanitized' again as it was (not declared by the model)"
            in (lines)
        )
        assert await sm.analyze() == []
    # The view is back as it was, with its comment and its privileges.
    assert await _view_definition(linkgress_dsn) == before
