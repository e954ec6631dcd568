"""Drift of extensions, domains, composite types, procedures, aggregates, views' options and
materialized views: each attribute changed by hand on a copy is found, named, and put back
by the diff, in place where PostgreSQL can alter it."""

from __future__ import annotations

import attrs
import pytest

from linkgress_async.diff import diff
from linkgress_async.testing import DatabaseFactory
from tests.integration.types_routines_support import apply, execute, read, server_version

BASE = """
CREATE SCHEMA other;
CREATE EXTENSION hstore WITH SCHEMA public;
CREATE DOMAIN public.qty AS integer DEFAULT 1 NOT NULL
    CONSTRAINT qty_positive CHECK (VALUE > 0)
    CONSTRAINT qty_small CHECK (VALUE < 1000);
CREATE DOMAIN public.label AS text COLLATE "C";
CREATE TYPE public.pair AS (a integer, b text);
CREATE TABLE public.item (id integer PRIMARY KEY, qty public.qty, name public.label);
CREATE VIEW public.items WITH (security_barrier = true) AS SELECT id, qty FROM public.item;
CREATE MATERIALIZED VIEW public.item_counts WITH (fillfactor = 80) AS
    SELECT qty, count(*) AS n FROM public.item GROUP BY qty;
CREATE UNIQUE INDEX item_counts_qty ON public.item_counts (qty);
CREATE FUNCTION public.add_up(integer, integer) RETURNS integer
    LANGUAGE sql IMMUTABLE AS 'SELECT $1 + $2';
CREATE AGGREGATE public.total(integer) (SFUNC = public.add_up, STYPE = integer, INITCOND = '0');
CREATE PROCEDURE public.touch(n integer) LANGUAGE sql AS 'SELECT n';
"""

SCHEMAS = ("public", "other")


@attrs.frozen
class Drift:
    """A change made by hand on the copy, the object it names, and the operations that put
    it back."""

    change: str
    names: str
    expected: tuple[str, ...]
    since: int = 0
    """The server version the change needs (``server_version_num``)."""


DRIFTS = {
    "extension version": Drift(
        "DROP EXTENSION hstore; CREATE EXTENSION hstore WITH SCHEMA public VERSION '1.7'",
        "hstore",
        ("alter_extension",),
    ),
    "extension schema": Drift(
        "ALTER EXTENSION hstore SET SCHEMA other", "hstore", ("alter_extension",)
    ),
    "domain default changed": Drift(
        "ALTER DOMAIN public.qty SET DEFAULT 5", "qty", ("alter_domain",)
    ),
    "domain default dropped": Drift(
        "ALTER DOMAIN public.qty DROP DEFAULT", "qty", ("alter_domain",)
    ),
    "domain not null": Drift("ALTER DOMAIN public.qty DROP NOT NULL", "qty", ("alter_domain",)),
    "domain check added": Drift(
        "ALTER DOMAIN public.qty ADD CONSTRAINT not_seven CHECK (VALUE <> 7)",
        "not_seven",
        ("drop_domain_constraint",),
    ),
    "domain check dropped": Drift(
        "ALTER DOMAIN public.qty DROP CONSTRAINT qty_small",
        "qty_small",
        ("add_domain_constraint",),
    ),
    "domain check changed": Drift(
        "ALTER DOMAIN public.qty DROP CONSTRAINT qty_small;"
        "ALTER DOMAIN public.qty ADD CONSTRAINT qty_small CHECK (VALUE < 500)",
        "qty_small",
        ("alter_domain_constraint",),
    ),
    "domain check renamed": Drift(
        "ALTER DOMAIN public.qty RENAME CONSTRAINT qty_small TO small",
        "small",
        ("alter_domain_constraint",),
    ),
    "domain check not valid": Drift(
        "ALTER DOMAIN public.qty DROP CONSTRAINT qty_small;"
        "ALTER DOMAIN public.qty ADD CONSTRAINT qty_small CHECK (VALUE < 1000) NOT VALID",
        "qty_small",
        ("alter_domain_constraint",),
    ),
    "domain base type": Drift(
        "DROP VIEW public.items; DROP MATERIALIZED VIEW public.item_counts;"
        "ALTER TABLE public.item ALTER COLUMN qty TYPE integer;"
        "DROP DOMAIN public.qty;"
        "CREATE DOMAIN public.qty AS bigint DEFAULT 1 NOT NULL"
        " CONSTRAINT qty_positive CHECK (VALUE > 0) CONSTRAINT qty_small CHECK (VALUE < 1000);"
        "ALTER TABLE public.item ALTER COLUMN qty TYPE public.qty;"
        "CREATE VIEW public.items WITH (security_barrier = true) AS"
        " SELECT id, qty FROM public.item;"
        "CREATE MATERIALIZED VIEW public.item_counts WITH (fillfactor = 80) AS"
        " SELECT qty, count(*) AS n FROM public.item GROUP BY qty;"
        "CREATE UNIQUE INDEX item_counts_qty ON public.item_counts (qty)",
        "qty",
        ("rebuild_domain", "drop_view", "create_view"),
    ),
    "domain collation": Drift(
        "ALTER TABLE public.item ALTER COLUMN name TYPE text;"
        "DROP DOMAIN public.label; CREATE DOMAIN public.label AS text;"
        "ALTER TABLE public.item ALTER COLUMN name TYPE public.label",
        "label",
        ("rebuild_domain",),
    ),
    "domain not null name": Drift(
        "ALTER DOMAIN public.qty RENAME CONSTRAINT qty_not_null TO required",
        "qty",
        ("alter_domain",),
        since=170000,
    ),
    "composite attribute dropped": Drift(
        "ALTER TYPE public.pair DROP ATTRIBUTE b", "pair", ("add_composite_attribute",)
    ),
    "composite attribute added": Drift(
        "ALTER TYPE public.pair ADD ATTRIBUTE c integer", "pair", ("drop_composite_attribute",)
    ),
    "composite attribute type": Drift(
        "ALTER TYPE public.pair ALTER ATTRIBUTE a TYPE bigint",
        "pair",
        ("alter_composite_attribute",),
    ),
    "composite attribute order": Drift(
        "DROP TYPE public.pair; CREATE TYPE public.pair AS (b text, a integer)",
        "pair",
        ("drop_composite_type", "create_composite_type"),
    ),
    "view option reset": Drift(
        "ALTER VIEW public.items RESET (security_barrier)", "items", ("alter_view_options",)
    ),
    "view option added": Drift(
        "ALTER VIEW public.items SET (security_invoker = true, check_option = local)",
        "items",
        ("alter_view_options",),
    ),
    "view query": Drift(
        "CREATE OR REPLACE VIEW public.items AS SELECT id, qty FROM public.item WHERE id > 0",
        "items",
        ("drop_view", "create_view"),
    ),
    "materialized view option": Drift(
        "ALTER MATERIALIZED VIEW public.item_counts SET (fillfactor = 50)",
        "item_counts",
        ("alter_view_options",),
    ),
    "materialized view index dropped": Drift(
        "DROP INDEX public.item_counts_qty", "item_counts_qty", ("create_index",)
    ),
    "materialized view index added": Drift(
        "CREATE INDEX item_counts_n ON public.item_counts (n)", "item_counts_n", ("drop_index",)
    ),
    "materialized view query": Drift(
        "DROP MATERIALIZED VIEW public.item_counts;"
        "CREATE MATERIALIZED VIEW public.item_counts WITH (fillfactor = 80) AS"
        " SELECT qty, count(*) AS n FROM public.item WHERE id > 0 GROUP BY qty",
        "item_counts",
        ("drop_materialized_view", "create_materialized_view"),
    ),
    "procedure body": Drift(
        "CREATE OR REPLACE PROCEDURE public.touch(n integer) LANGUAGE sql AS 'SELECT n + 1'",
        "touch",
        ("create_function",),
    ),
    "procedure dropped": Drift(
        "DROP PROCEDURE public.touch(integer)", "touch", ("create_function",)
    ),
    "aggregate initial state": Drift(
        "CREATE OR REPLACE AGGREGATE public.total(integer)"
        " (SFUNC = public.add_up, STYPE = integer, INITCOND = '10')",
        "total",
        ("create_aggregate",),
    ),
    "aggregate dropped": Drift(
        "DROP AGGREGATE public.total(integer)", "total", ("create_aggregate",)
    ),
}


@pytest.mark.parametrize("name", list(DRIFTS))
async def test_drift_is_found_and_put_back(linkgress_databases: DatabaseFactory, name: str) -> None:
    drift = DRIFTS[name]
    source_dsn, copy_dsn = await linkgress_databases.create(), await linkgress_databases.create()
    if await server_version(source_dsn) < drift.since:
        pytest.skip(f"{name} needs server_version_num {drift.since}")
    await execute(source_dsn, BASE)
    await execute(copy_dsn, BASE)
    await execute(copy_dsn, drift.change)
    source, copy = await read(source_dsn, SCHEMAS), await read(copy_dsn, SCHEMAS)
    assert copy != source

    operations = diff(copy, source)
    assert {op.type for op in operations} >= set(drift.expected)
    assert any(drift.names in op.describe() for op in operations), [
        op.describe() for op in operations
    ]
    await apply(copy_dsn, operations)
    repaired = await read(copy_dsn, SCHEMAS)
    assert repaired == source
    assert diff(repaired, source) == []
