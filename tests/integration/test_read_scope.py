"""Reading some schemas of a database costs what they hold, not what the database holds.

Two reads ask for a small part of a large catalog: the scratch schema the model is spelled
in (at every first analysis of a process, and at each round of comparing meanings), and an
application's own schemas in a database that holds many others (a tenant's schema among
thousands). The catalog statements run with one generic plan for any schemas, so how the
plan narrows to the requested schemas decides whether such a read costs milliseconds or as
much as the whole database: checked here on the plans the server runs, not on timings.
"""

from __future__ import annotations

import json
from typing import Any

import asyncpg
import pytest

from linkgress_async.canonical._scratch import read_scratch, scratch_transaction
from linkgress_async.introspect._queries import SESSION_SETUP, SPELLING, Family, sql
from linkgress_async.render.quote import render_literal
from linkgress_async.testing import DatabaseFactory

_TABLES = 60


async def _busy(databases: DatabaseFactory) -> str:
    """A database whose schema ``busy`` holds many tables with NOT NULL columns, identity
    columns and keys, and whose schema ``quiet`` holds one table."""
    dsn = await databases.create()
    statements = ["CREATE SCHEMA busy", "CREATE SCHEMA quiet"]
    statements += [
        f"CREATE TABLE busy.t{n} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
        f" name text NOT NULL, kind text NOT NULL CHECK (kind <> ''), ref bigint NOT NULL)"
        for n in range(_TABLES)
    ]
    statements.append("CREATE TABLE quiet.note (id integer PRIMARY KEY, body text NOT NULL)")
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(";\n".join(statements))
    finally:
        await conn.close()
    return dsn


def _subplan_runs(node: dict[str, Any]) -> int:
    """How many times the plan under ``node`` ran a subquery (a SubPlan node), in all."""
    runs = int(node.get("Actual Loops", 0)) if node.get("Parent Relationship") == "SubPlan" else 0
    return runs + sum(_subplan_runs(child) for child in node.get("Plans", ()))


async def _executed_plan(conn: asyncpg.Connection, family: Family, schemas: list[str]) -> Any:
    """The plan the read runs for ``family`` (generic, as the read's session setup makes
    it), as executed for ``schemas``."""
    await conn.execute(SESSION_SETUP)
    major = conn.get_server_version().major
    await conn.execute(f"PREPARE scoped (text[]) AS {sql(family, major)}")
    text = await conn.fetchval(
        "EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE scoped(" + render_literal(schemas, array=True) + ")"
    )
    await conn.execute("DEALLOCATE scoped")
    return json.loads(text)[0]["Plan"]


@pytest.mark.parametrize(
    ("family", "own_runs"),
    [
        # Per constraint of the schema: the NOT NULL name check, the referenced columns.
        (Family.CONSTRAINTS, 4),
        # Per table of the schema: whether it inherits (its one table), nothing to output.
        (Family.TABLE_PROPERTIES, 1),
    ],
)
async def test_a_schema_is_read_without_looking_at_the_others(
    linkgress_databases: DatabaseFactory, family: Family, own_runs: int
) -> None:
    """The per-row subqueries of a family (for constraints, the NOT NULL name check that
    probes pg_attribute) run on the requested schema's rows only: reading ``quiet`` runs
    them for its own table and constraints, not for the 60 tables of ``busy``."""
    dsn = await _busy(linkgress_databases)
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            quiet = _subplan_runs(await _executed_plan(conn, family, ["quiet"]))
            both = _subplan_runs(await _executed_plan(conn, family, ["busy", "quiet"]))
    finally:
        await conn.close()
    assert both >= _TABLES  # where there are rows to look at, they do run
    assert quiet <= own_runs


async def test_the_scratch_schema_is_read_with_the_families_that_spell(
    linkgress_databases: DatabaseFactory,
) -> None:
    """Reading the scratch objects back asks for what spelling uses and nothing else (the
    dependency, privilege and comment queries scan whole catalogs whatever the schema), and
    still reads the scratch table whole."""
    dsn = await _busy(linkgress_databases)
    conn = await asyncpg.connect(dsn)
    statements: list[str] = []
    conn.add_query_logger(lambda record: statements.append(record.query))
    try:
        async with scratch_transaction(conn):
            await conn.execute(
                "CREATE TEMPORARY TABLE scratch_probe (id integer PRIMARY KEY,"
                " body text NOT NULL DEFAULT 'x' CHECK (body <> ''))"
            )
            statements.clear()
            temp_schema, scratch = await read_scratch(conn)
    finally:
        await conn.close()
    read = [s for s in statements if " AS tables_columns" in s]
    assert len(read) == 1
    asked = {family for family in Family if f" AS {family.value}" in read[0]}
    assert asked == set(SPELLING)
    assert {Family.DEPENDENCIES, Family.PRIVILEGES, Family.COMMENTS} & asked == set()
    probe = scratch.table(temp_schema, "scratch_probe")
    assert probe is not None
    assert [c.name for c in probe.columns] == ["id", "body"]
    assert probe.columns[1].default == "'x'::text"
    assert [check.expression for check in probe.checks] == ["(body <> ''::text)"]
