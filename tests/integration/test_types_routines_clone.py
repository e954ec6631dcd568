"""Extensions, domains, composite types, procedures, aggregates, materialized views and view
options round-trip: a database made by diff(empty, introspect(source)) is read back equal,
diffs empty both ways and pg_dumps identically. Objects an extension owns are never read,
by any query. Pagila (PostgreSQL 18) keeps every object of these kinds."""

from __future__ import annotations

import attrs
import pytest

from linkgress_async.catalog import Catalog, CompositeType, Domain, DomainCheck, Extension
from linkgress_async.diff import diff
from linkgress_async.testing import DatabaseFactory
from tests.integration.types_routines_support import (
    apply,
    apply_what_runs,
    clone_plan,
    differing_lines,
    dump_entries,
    execute,
    pagila_sql,
    read,
    schema_dump,
    schema_sql,
    server_version,
)

BIGINT_DOMAIN = "b\u0131g\u0131nt"
"""The name of a domain in both schemas, with dotless i's (a non-ASCII identifier)."""

# Kinds whose pg_dump entries are this work's: they must come out of a clone unchanged.
_OUR_DUMP_TYPES = frozenset(
    {"EXTENSION", "DOMAIN", "TYPE", "FUNCTION", "PROCEDURE", "AGGREGATE", "VIEW"}
    | {"MATERIALIZED VIEW"}
)


def _by_name(items: tuple[object, ...]) -> dict[str, object]:
    return {f"{getattr(i, 'schema', '')}.{getattr(i, 'name', '')}": i for i in items}


async def test_clone_round_trip_keeps_every_feature(
    linkgress_databases: DatabaseFactory,
) -> None:
    source_dsn, copy_dsn = await linkgress_databases.create(), await linkgress_databases.create()
    await execute(source_dsn, await schema_sql(source_dsn))
    source, plan = await clone_plan(source_dsn)
    await apply(copy_dsn, plan)
    copy = await read(copy_dsn)

    assert copy == source
    assert diff(source, copy) == []
    assert diff(copy, source) == []
    assert await schema_dump(copy_dsn) == await schema_dump(source_dsn)

    # What was compared is there: the clone is not equal because both sides are empty.
    extensions = {e.name: e for e in source.extensions}
    assert sorted(extensions) == ["citext", "hstore", "intagg", "pg_stat_statements", "tablefunc"]
    assert extensions["hstore"] == Extension("hstore", "public", "1.7")
    assert extensions["citext"].schema == "ext"
    domains = _by_name(source.domains)
    assert domains["Kinds.Short Text"] == Domain(
        "Kinds",
        "Short Text",
        "text",
        default="'x'::text",
        nullable=False,
        collation='"C"',
        checks=(
            DomainCheck("long enough", "(length(VALUE) > 1)"),
            DomainCheck("not_yy", "(VALUE <> 'yy'::text)", not_valid=True),
            DomainCheck("not_zz", "(VALUE <> 'zz'::text)"),
        ),
    )
    assert isinstance(domains[f"public.{BIGINT_DOMAIN}"], Domain)
    assert isinstance(domains["public.positive_amount"], Domain)
    composites = _by_name(source.composite_types)
    assert composites["public.empty_type"] == CompositeType("public", "empty_type")
    line_item = composites["Kinds.Line Item"]
    assert isinstance(line_item, CompositeType)
    assert [(a.name, a.data_type, a.collation) for a in line_item.attributes] == [
        ("label", "text", '"C"'),
        ("made", "public.year", None),
        ("tags", "text[]", None),
        ("price", "public.money_amount", None),
        ("feeling", "public.good_mood", None),
    ]
    procedures = [f for f in source.functions if f.kind == "procedure"]
    assert sorted(f.name for f in procedures) == ["Record Order", "bump"]
    aggregates = {a.name: a for a in source.aggregates}
    assert sorted(aggregates) == [
        "group_concat",
        "my_avg",
        "my_count",
        "my_max",
        "my_percentile",
        "my_rank",
        "my_sum",
        "shout_concat",
    ]
    assert aggregates["my_rank"].kind == "hypothetical"
    assert aggregates["my_count"].definition.startswith("(*) (")
    assert ("INITCOND", "it's \\ here") in aggregates["shout_concat"].parameters
    views = {v.name: v for v in source.views}
    assert views["recent_films"].options == ("check_option=local", "security_barrier=true")
    assert views["film_titles"].options == ("security_invoker=true",)
    matviews = {v.name: v for v in source.materialized_views}
    assert matviews["titles_by_year"].options == ("fillfactor=70",)
    assert sorted(i.name for i in matviews["titles_by_year"].indexes) == [
        "Titles lower",
        "titles_by_year_many",
        "titles_by_year_year",
    ]
    if await server_version(source_dsn) >= 170000:
        assert domains["public.required"] == Domain(
            "public", "required", "integer", nullable=False, not_null_name="must be there"
        )


async def test_what_an_extension_owns_is_never_read(linkgress_dsn: str) -> None:
    # Objects of every kind, then handed to an extension, as an extension script makes them
    # (a table's serial sequence too).
    members = [
        ("TABLE", "public.their_table"),
        ("SEQUENCE", "public.their_table_id_seq"),
        ("SEQUENCE", "public.their_seq"),
        ("TYPE", "public.their_enum"),
        ("TYPE", "public.their_composite"),
        ("DOMAIN", "public.their_domain"),
        ("VIEW", "public.their_view"),
        ("MATERIALIZED VIEW", "public.their_matview"),
        ("FUNCTION", "public.their_function(integer)"),
        ("PROCEDURE", "public.their_procedure()"),
        ("AGGREGATE", "public.their_aggregate(integer)"),
    ]
    await execute(
        linkgress_dsn,
        """
        CREATE EXTENSION citext;
        CREATE TABLE public.mine (name public.citext);
        CREATE TABLE public.their_table (id serial PRIMARY KEY);
        CREATE SEQUENCE public.their_seq;
        CREATE TYPE public.their_enum AS ENUM ('x');
        CREATE TYPE public.their_composite AS (a integer);
        CREATE DOMAIN public.their_domain AS integer CHECK (VALUE > 0);
        CREATE VIEW public.their_view AS SELECT 1 AS one;
        CREATE MATERIALIZED VIEW public.their_matview AS SELECT 1 AS one;
        CREATE FUNCTION public.their_function(integer) RETURNS integer
            LANGUAGE sql AS 'SELECT $1';
        CREATE PROCEDURE public.their_procedure() LANGUAGE sql AS 'SELECT 1';
        CREATE AGGREGATE public.their_aggregate(integer) (SFUNC = int4larger, STYPE = integer);
        """
        + "".join(f"ALTER EXTENSION citext ADD {kind} {name};\n" for kind, name in members),
    )
    catalog = await read(linkgress_dsn, ["public"])
    assert [e.name for e in catalog.extensions] == ["citext"]
    assert [t.name for t in catalog.tables] == ["mine"]
    assert attrs.evolve(catalog, extensions=(), tables=(), dependencies=()) == Catalog(
        schemas=("public",)
    )
    # Nothing of the extension's is named in the dependencies but the extension itself.
    named = {d.referenced.name for d in catalog.dependencies}
    named |= {d.dependent.name for d in catalog.dependencies}
    assert not any(name.startswith("their_") for name in named)
    # A target that keeps the extension drops none of its members.
    assert diff(catalog, attrs.evolve(catalog, dependencies=())) == []


async def test_pagila_keeps_every_object_of_these_kinds(
    linkgress_databases: DatabaseFactory,
) -> None:
    source_dsn, copy_dsn = await linkgress_databases.create(), await linkgress_databases.create()
    if await server_version(source_dsn) < 180000:
        pytest.skip("the Pagila schema needs PostgreSQL 18 (uuidv7(), virtual columns)")
    await execute(source_dsn, pagila_sql())
    source, plan = await clone_plan(source_dsn, ["public"])
    failed = await apply_what_runs(copy_dsn, plan)
    copy = await read(copy_dsn, ["public"])

    # What this work reads: the vector extension, two domains, an aggregate, a materialized
    # view with a unique index, 7 views and 9 functions, all created again exactly.
    assert [e.name for e in source.extensions] == ["vector"]
    assert sorted(d.name for d in source.domains) == [BIGINT_DOMAIN, "year"]
    assert [(a.name, a.identity_args) for a in source.aggregates] == [("group_concat", "text")]
    assert [(v.name, [i.name for i in v.indexes]) for v in source.materialized_views] == [
        ("rental_by_category", ["rental_category"])
    ]
    assert len(source.views) == 7
    assert len(source.functions) == 9
    for kind in ("extensions", "domains", "aggregates", "materialized_views", "views"):
        assert getattr(copy, kind) == getattr(source, kind), kind
    assert copy.functions == source.functions
    failed_types = {op.type for op, _error in failed}
    assert not failed_types & {
        "create_extension",
        "create_domain",
        "create_function",
        "create_aggregate",
        "create_view",
        "create_materialized_view",
    }

    # pg_dump differs only where other kinds are not created yet (partitions, triggers,
    # operator classes...): never in an entry of these kinds.
    source_dump, copy_dump = await schema_dump(source_dsn), await schema_dump(copy_dsn)
    assert differing_lines(source_dump, copy_dump)  # the other kinds are still missing
    source_entries, copy_entries = dump_entries(source_dump), dump_entries(copy_dump)
    ours_in_dump = {key for key in source_entries if key[0] in _OUR_DUMP_TYPES}
    assert len(ours_in_dump) >= 1 + 2 + 1 + 1 + 7 + 9
    for key in sorted(ours_in_dump):
        assert copy_entries.get(key) == source_entries[key], key
    matview_index = ("INDEX", "public", "rental_category")
    assert copy_entries[matview_index] == source_entries[matview_index]
