"""Table-level kinds round-trip catalog -> SQL -> catalog: collations, generated columns,
UNLOGGED, storage parameters, partitions, inheritance and sequences owned by a column.

The clone test loads ``tables_schema`` into one database, plans it from nothing into
another, and requires equal catalogs and equal ``pg_dump --schema-only``. The Pagila test
does the same with a real schema (PostgreSQL 18). Drift and drop tests live in
``test_fidelity_tables_drift``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from typing import Any

import asyncpg
import pytest

from linkgress_async import DbContext, DbModelConfig, PgClient
from linkgress_async.catalog import Catalog
from linkgress_async.diff import diff
from linkgress_async.render.sql import plan_sql
from linkgress_async.testing import DatabaseFactory, LinkgressServer

from .helpers import quiet
from .tables_clone import (
    context_of,
    load_tables_source,
    tables_apply,
    tables_dump,
    tables_execute,
    tables_read,
)
from .tables_schema import pagila_sql, prerequisites_sql


@pytest.fixture
async def tables_source(linkgress_server: LinkgressServer, linkgress_dsn: str) -> str:
    """A database holding the edge-case schema of the table kinds."""
    return await load_tables_source(linkgress_server, linkgress_dsn)


# --- the clone round trip ----------------------------------------------------------------------


async def test_clone_round_trip(
    tables_source: str, linkgress_databases: DatabaseFactory, linkgress_server: LinkgressServer
) -> None:
    current = await tables_read(tables_source)
    operations = diff(Catalog(schemas=current.schemas), current, context_of(linkgress_server))
    types = {op.type for op in operations}
    assert {"attach_partition", "set_sequence_owner"} <= types
    clone = await linkgress_databases.create()
    await tables_execute(clone, prerequisites_sql())
    await tables_apply(clone, operations)

    cloned = await tables_read(clone)
    assert cloned == current
    assert diff(current, cloned) == []
    assert diff(cloned, current) == []
    source_dump, clone_dump = await tables_dump(tables_source), await tables_dump(clone)
    assert "\n".join(difflib.unified_diff(source_dump, clone_dump, lineterm="")) == ""


async def test_catalog_reads_every_kind(
    tables_source: str, linkgress_server: LinkgressServer
) -> None:
    catalog = await tables_read(tables_source)

    def table(schema: str, name: str) -> Any:
        found = catalog.table(schema, name)
        assert found is not None
        return found

    people = table("public", "people")
    assert [(c.name, c.collation) for c in people.columns if c.collation] == [
        ("name", '"C"'),
        ("nick", '"POSIX"'),
        ("sortkey", "public.mycoll"),
        ("name_upper", '"C"'),
    ]
    assert people.column("full_name").generated.kind == "stored"
    assert people.options == (
        "autovacuum_enabled=false",
        "fillfactor=70",
        "toast.autovacuum_enabled=false",
    )
    assert table("public", "scratch").unlogged
    old = table("archive", "events_old")
    assert [c.name for c in old.columns] == ["payload", "kind", "person_id", "happened", "id"]
    assert old.partition_bound == "FOR VALUES FROM (MINVALUE) TO ('2023-01-01 00:00:00+00')"
    assert old.checks == ()  # the parent's check is the parent's declaration
    assert [k.name for k in old.foreign_keys] == ["events_old_person_fkey"]
    assert table("public", "events_2025_h2").partition_bound == "DEFAULT"
    assert table("public", "events_2025").partition_by == "RANGE (happened)"
    assert table("public", "words").partition_by == 'LIST (lower(w) COLLATE "C")'
    assert [c.name for c in table("public", "cars").columns] == ["seats"]
    assert [c.name for c in table("public", "trucks").columns] == ["wheels", "payload"]
    assert [p.name for p in table("public", "tagged_cars").inherits] == ["cars", "tagged"]
    assert table("public", "tagged_cars").checks == ()
    owned = {s.name: s.owned_by for s in catalog.sequences}
    assert owned == {
        "plain_seq": None,
        "ticket_seq": (table("public", "tickets").qualified_name, "no"),
    }
    if linkgress_server.server_version_num >= 180000:
        assert people.column("initials").generated.kind == "virtual"


# --- Pagila --------------------------------------------------------------------------------

_HEADER = re.compile(r"^-- Name: (?P<name>.*); Type: (?P<type>[A-Z ]+); Schema: (?P<schema>[^;]*);")
_TABLE_ENTRIES = frozenset(
    {
        "TABLE",
        "TABLE ATTACH",
        "INDEX ATTACH",
        "DEFAULT",
        "SEQUENCE",
        "SEQUENCE OWNED BY",
        "CONSTRAINT",
        "FK CONSTRAINT",
    }
)
"""Entries of a dump that tables, partitions, their keys and sequences make."""


def table_entries(lines: Sequence[str]) -> dict[tuple[str, str, str], list[str]]:
    """The dump's entries of ``_TABLE_ENTRIES`` types, by (schema, type, name)."""
    entries: dict[tuple[str, str, str], list[str]] = {}
    current: list[str] | None = None
    for line in lines:
        header = _HEADER.match(line)
        if header is not None:
            kind = header["type"]
            key = (header["schema"], kind, header["name"])
            current = entries.setdefault(key, []) if kind in _TABLE_ENTRIES else None
        elif current is not None and line and not line.startswith("--"):
            current.append(line)
    return entries


async def test_pagila_clone_keeps_every_table_kind(
    linkgress_server: LinkgressServer, linkgress_dsn: str, linkgress_databases: DatabaseFactory
) -> None:
    if linkgress_server.server_version_num < 180000:
        pytest.skip("Pagila needs PostgreSQL 18 (uuidv7(), a VIRTUAL column)")
    source = pagila_sql()
    await tables_execute(linkgress_dsn, source)
    current = await tables_read(linkgress_dsn, ["public"])
    payment = [t for t in current.tables if t.partition_of is not None]
    assert len(payment) == 55
    assert all(t.partition_of is not None and t.partition_of.name == "payment" for t in payment)
    operations = diff(Catalog(schemas=current.schemas), current, context_of(linkgress_server))

    clone = await linkgress_databases.create()
    # What other groups' kinds create (the extension, domains): made by hand here.
    domains = re.findall(r"^CREATE DOMAIN .*?;", source, re.MULTILINE | re.DOTALL)
    await tables_execute(
        clone, "\n".join(["CREATE EXTENSION vector WITH SCHEMA public;", *domains])
    )
    failed: list[str] = []
    conn = await asyncpg.connect(clone)
    try:
        async with conn.transaction():
            for statement in plan_sql(operations):
                try:
                    async with conn.transaction():
                        await conn.execute(statement)
                except asyncpg.PostgresError:
                    failed.append(statement)
    finally:
        await conn.close()
    # Only statements of other kinds may fail (an operator class, functions and views that
    # need an aggregate): none of the tables, partitions or their keys.
    assert not [s for s in failed if s.startswith(("CREATE TABLE", "ALTER TABLE"))]

    cloned = await tables_read(clone, ["public"])
    cloned_tables = {t.qualified_name: t for t in cloned.tables}
    for table in current.tables:
        twin = cloned_tables[table.qualified_name]
        assert (twin.columns, twin.partition_by, twin.partition_of, twin.partition_bound) == (
            table.columns,
            table.partition_by,
            table.partition_of,
            table.partition_bound,
        )
        assert (twin.primary_key, twin.checks, twin.foreign_keys) == (
            table.primary_key,
            table.checks,
            table.foreign_keys,
        )
        if table.partition_of is not None:
            assert twin.indexes == table.indexes
    source_entries = table_entries(await tables_dump(linkgress_dsn))
    assert any(kind == "TABLE ATTACH" for _schema, kind, _name in source_entries)
    assert table_entries(await tables_dump(clone)) == source_entries


# --- the manager over a model of every kind ----------------------------------------------------


class TablesApp(DbContext):
    """A context whose model the test sets: the builder cannot declare these kinds yet."""

    def setup_model(self, model: DbModelConfig) -> None:
        pass


async def test_a_model_of_every_kind_is_created_analyzed_and_deleted(
    tables_source: str, linkgress_databases: DatabaseFactory
) -> None:
    model = await tables_read(tables_source)
    source = TablesApp(PgClient(dsn=tables_source))
    source.model = model
    async with source:
        assert await source.get_schema_manager(out=quiet).analyze() == []

    target = await linkgress_databases.create()
    await tables_execute(target, prerequisites_sql())
    db = TablesApp(PgClient(dsn=target))
    db.model = model
    async with db:
        manager = db.get_schema_manager(out=quiet)
        created = await manager.ensure_created()
        assert {"attach_partition", "set_sequence_owner"} <= {op.type for op in created}
        assert await tables_read(target) == model
        assert await manager.analyze() == []
        # Partitions and children before their parents, sequences released from their owners.
        await manager.ensure_deleted()
        assert (await tables_read(target)).tables == ()
        assert (await tables_read(target)).sequences == ()
