"""Drift and drops of the table-level kinds, against a real server.

Each drift case loads the edge-case schema into a copy, changes one attribute there by hand,
and requires ``diff(copy, original)`` to be non-empty, to name the object, to take the path
PostgreSQL has for it (an alter in place where there is one), and, applied to the copy, to
make the copy's catalog the original's again. Drop cases remove an object from the target and
run the plan.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs
import pytest
from attrs import frozen

from linkgress_async.catalog import Catalog, Column, QualifiedName, Table
from linkgress_async.diff import DiffContext, diff
from linkgress_async.ops import DropColumn, MigrationOperation
from linkgress_async.testing import DatabaseFactory, LinkgressServer

from .tables_clone import (
    context_of,
    load_tables_source,
    tables_apply,
    tables_execute,
    tables_read,
)
from .tables_schema import prerequisites_sql, schema_sql


@pytest.fixture
async def tables_source(linkgress_server: LinkgressServer, linkgress_dsn: str) -> str:
    """A database holding the edge-case schema of the table kinds."""
    return await load_tables_source(linkgress_server, linkgress_dsn)


@frozen
class Drift:
    """A change made by hand on the copy, and what the repairing plan must be."""

    name: str
    sql: str
    types: tuple[str, ...]
    """The operation types of the repair, in plan order."""
    mentions: str
    """Text every repair operation's description shares (the object's name)."""
    since: int = 0
    """The server version the change needs (0: every supported one)."""
    before: int = 1_000_000
    """The server version from which the repair takes another way (``types`` are older
    servers'); the repair must still work there."""
    exact: bool = True
    """Whether the copy's catalog comes back exactly (False: documented limits)."""


DRIFTS = [
    # --- collations ---
    Drift(
        "collation changed",
        'ALTER TABLE public.people ALTER COLUMN nick TYPE varchar(40) COLLATE "C"',
        ("alter_column",),
        "people.nick",
    ),
    Drift(
        "collation back to the default",
        "ALTER TABLE public.people ALTER COLUMN sortkey TYPE text",
        ("alter_column",),
        "people.sortkey",
    ),
    Drift(
        "collation where the type's default was",
        'ALTER TABLE public.people ALTER COLUMN bio TYPE text COLLATE "C"',
        ("alter_column",),
        "people.bio",
    ),
    # --- generated columns ---
    Drift(
        "generation expression, in place",
        "ALTER TABLE public.people ALTER COLUMN full_name SET EXPRESSION AS (first_name)",
        ("alter_column",),
        "people.full_name",
        since=170000,
    ),
    Drift(
        "generation expression, re-created before 17",
        "ALTER TABLE public.lengths DROP COLUMN inches;"
        " ALTER TABLE public.lengths ADD COLUMN inches numeric"
        " GENERATED ALWAYS AS (cm / 2.5) STORED",
        ("replace_generated_column",),
        "lengths.inches",
        before=170000,
    ),
    Drift(
        "a generated column made regular",
        "ALTER TABLE public.lengths ALTER COLUMN inches DROP EXPRESSION",
        ("replace_generated_column",),
        "lengths.inches",
    ),
    Drift(
        "a regular column made generated",
        "ALTER TABLE public.plain DROP COLUMN label;"
        " ALTER TABLE public.plain ADD COLUMN label text GENERATED ALWAYS AS (id::text) STORED",
        ("alter_column",),
        "plain.label",
    ),
    Drift(
        "virtual made stored",
        "ALTER TABLE public.virtual_lengths DROP COLUMN feet;"
        " ALTER TABLE public.virtual_lengths ADD COLUMN feet numeric"
        " GENERATED ALWAYS AS (cm / 30.48) STORED",
        ("replace_generated_column",),
        "virtual_lengths.feet",
        since=180000,
    ),
    # --- UNLOGGED and storage parameters ---
    Drift(
        "unlogged made logged",
        "ALTER TABLE public.scratch SET LOGGED",
        ("set_table_logged",),
        "scratch",
    ),
    Drift(
        "logged made unlogged",
        "ALTER TABLE public.tickets SET UNLOGGED",
        ("set_table_logged",),
        "tickets",
    ),
    Drift(
        "a storage parameter's value",
        "ALTER TABLE public.people SET (fillfactor = 50)",
        ("set_table_options",),
        "people",
    ),
    Drift(
        "storage parameters reset and set",
        "ALTER TABLE public.people RESET (autovacuum_enabled, toast.autovacuum_enabled);"
        " ALTER TABLE public.plain SET (fillfactor = 10)",
        ("set_table_options", "set_table_options"),
        "Storage parameters",
    ),
    # --- partitions ---
    Drift(
        "a partition's bound",
        "ALTER TABLE public.events DETACH PARTITION public.events_2024;"
        " ALTER TABLE public.events ATTACH PARTITION public.events_2024"
        " FOR VALUES FROM ('2024-01-01') TO ('2024-12-31')",
        ("detach_partition", "attach_partition"),
        "events_2024",
    ),
    Drift(
        "a sub-partition's bound",
        "ALTER TABLE public.events_2025 DETACH PARTITION public.events_2025_h1;"
        " ALTER TABLE public.events_2025 ATTACH PARTITION public.events_2025_h1"
        " FOR VALUES FROM ('2025-01-01') TO ('2025-06-01')",
        ("detach_partition", "attach_partition"),
        "events_2025_h1",
    ),
    Drift(
        "a partition detached (what it had from its parent is reused when attached again)",
        "ALTER TABLE public.events DETACH PARTITION archive.events_old",
        ("attach_partition",),
        "events_old",
    ),
    Drift(
        "a table attached as a partition (its copies of the parent's keys and index go)",
        "ALTER TABLE public.events ATTACH PARTITION public.events_archive"
        " FOR VALUES FROM ('2030-01-01') TO ('2031-01-01')",
        ("detach_partition", "drop_foreign_key", "drop_index", "drop_primary_key"),
        "events_archive",
    ),
    Drift(
        "a partition missing",
        "DROP TABLE public.events_2024",
        ("create_table", "attach_partition", "create_index"),
        "events_2024",
    ),
    Drift(
        "a partition too many",
        "CREATE TABLE public.events_2026 PARTITION OF public.events"
        " FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')",
        ("drop_table",),
        "events_2026",
    ),
    Drift(
        "a partition key",
        "ALTER TABLE public.words DETACH PARTITION public.words_a; DROP TABLE public.words;"
        " CREATE TABLE public.words (w text) PARTITION BY LIST (w);"
        " ALTER TABLE public.words ATTACH PARTITION public.words_a FOR VALUES IN ('a')",
        ("detach_partition", "drop_table", "create_table", "attach_partition"),
        "words",
    ),
    Drift(
        "a column the parent has too many",
        "ALTER TABLE public.events ADD COLUMN note text",
        ("drop_column",),
        "events.note",
    ),
    Drift(
        "a column the parent lacks",
        "ALTER TABLE public.buckets DROP COLUMN v",
        ("add_column",),
        "buckets.v",
    ),
    Drift(
        "a parent's column type",
        "ALTER TABLE public.buckets ALTER COLUMN v TYPE varchar(10)",
        ("alter_column",),
        "buckets.v",
    ),
    Drift(
        "a partition's own default",
        "ALTER TABLE public.events_default ALTER COLUMN kind DROP DEFAULT",
        ("alter_column",),
        "events_default.kind",
    ),
    Drift(
        "a parent's default, passed down over a partition's own",
        "ALTER TABLE public.events ALTER COLUMN kind SET DEFAULT 'x'",
        ("alter_column", "alter_column"),
        ".kind",
    ),
    Drift(
        "a partition's own index, check and foreign key",
        "DROP INDEX public.events_2024_payload_idx;"
        " ALTER TABLE public.events_2024 DROP CONSTRAINT events_2024_kind_check;"
        " ALTER TABLE archive.events_old DROP CONSTRAINT events_old_person_fkey",
        ("create_check_constraint", "create_foreign_key", "create_index"),
        "events_",
    ),
    # --- classic inheritance ---
    Drift(
        "a child table missing",
        "DROP TABLE public.trucks",
        ("create_table",),
        "trucks",
    ),
    Drift(
        "a child table too many",
        "CREATE TABLE public.bikes (bells int) INHERITS (public.vehicles)",
        ("drop_table",),
        "bikes",
    ),
    Drift(
        "a parent's default, passed down over a child's merged column",
        "ALTER TABLE public.vehicles ALTER COLUMN wheels SET DEFAULT 5",
        ("alter_column", "alter_column"),
        ".wheels",
    ),
    Drift(
        "inheritance removed (the columns it made the child's own stay its own)",
        "ALTER TABLE public.tagged_cars NO INHERIT public.tagged",
        ("inherit_table",),
        "tagged_cars",
        exact=False,
    ),
    # --- sequences owned by a column ---
    Drift(
        "a sequence's owner removed",
        "ALTER SEQUENCE public.ticket_seq OWNED BY NONE",
        ("set_sequence_owner",),
        "ticket_seq",
    ),
    Drift(
        "a sequence owned that was not",
        "ALTER SEQUENCE public.plain_seq OWNED BY public.tickets.title",
        ("disown_sequence",),
        "plain_seq",
    ),
    Drift(
        "a sequence's owner changed",
        "ALTER SEQUENCE public.ticket_seq OWNED BY public.tickets.title",
        ("disown_sequence", "set_sequence_owner"),
        "ticket_seq",
    ),
]


async def _copy(databases: DatabaseFactory, server: LinkgressServer, change: str) -> str:
    copy = await databases.create()
    await tables_execute(copy, prerequisites_sql())
    await tables_execute(copy, schema_sql(server.server_version_num))
    await tables_execute(copy, change)
    return copy


@pytest.mark.parametrize("case", DRIFTS, ids=[d.name for d in DRIFTS])
async def test_drift_is_found_and_repaired(
    case: Drift,
    tables_source: str,
    linkgress_databases: DatabaseFactory,
    linkgress_server: LinkgressServer,
) -> None:
    version = linkgress_server.server_version_num
    if version < case.since:
        pytest.skip(f"the change needs PostgreSQL {case.since // 10000}+")
    original = await tables_read(tables_source)
    copy = await _copy(linkgress_databases, linkgress_server, case.sql)
    drifted = await tables_read(copy)
    operations = diff(drifted, original, context_of(linkgress_server))
    if version >= case.before:
        assert operations  # the newer server's way; it must repair all the same
    else:
        assert tuple(op.type for op in operations) == case.types
        assert all(case.mentions in op.describe() for op in operations), operations
    await tables_apply(copy, operations)
    repaired = await tables_read(copy)
    assert diff(repaired, original, context_of(linkgress_server)) == []
    if case.exact:
        assert repaired == original


async def test_drift_without_a_known_version_recreates_generated_columns(
    tables_source: str,
    linkgress_databases: DatabaseFactory,
    linkgress_server: LinkgressServer,
) -> None:
    """Without the server's version the diff takes the way every version has."""
    original = await tables_read(tables_source)
    change = (
        "ALTER TABLE public.lengths DROP COLUMN inches; ALTER TABLE public.lengths ADD COLUMN"
        " inches numeric GENERATED ALWAYS AS (cm / 2.5) STORED"
    )
    copy = await _copy(linkgress_databases, linkgress_server, change)
    operations = diff(await tables_read(copy), original)
    assert [op.type for op in operations] == ["replace_generated_column"]
    assert not operations[0].destructive  # the values are computed again
    await tables_apply(copy, operations)
    assert await tables_read(copy) == original


# --- drops ----------------------------------------------------------------------------------


def _without(catalog: Catalog, *names: str) -> Catalog:
    tables = [t for t in catalog.tables if f"{t.schema}.{t.name}" not in names]
    sequences = [s for s in catalog.sequences if f"{s.schema}.{s.name}" not in names]
    return attrs.evolve(catalog, tables=tables, sequences=sequences)


def _table(catalog: Catalog, schema: str, name: str) -> Table:
    found = catalog.table(schema, name)
    assert found is not None
    return found


def _edit(catalog: Catalog, schema: str, name: str, change: Callable[[Table], Table]) -> Catalog:
    tables = [change(t) if (t.schema, t.name) == (schema, name) else t for t in catalog.tables]
    return attrs.evolve(catalog, tables=tables)


async def _run_drop(
    tables_source: str, target: Catalog, server: LinkgressServer
) -> list[MigrationOperation]:
    current = await tables_read(tables_source)
    operations = diff(current, target, context_of(server))
    await tables_apply(tables_source, operations)
    assert await tables_read(tables_source) == target
    return operations


async def test_dropping_a_partitioned_tree_drops_partitions_first(
    tables_source: str, linkgress_server: LinkgressServer
) -> None:
    current = await tables_read(tables_source)
    tree = {QualifiedName("public", "events")}
    for _ in range(3):
        tree |= {t.qualified_name for t in current.tables if t.partition_of in tree}
    names = [str(name) for name in tree]
    operations = await _run_drop(tables_source, _without(current, *names), linkgress_server)
    dropped = [op.describe() for op in operations]
    assert dropped[-1] == "Drop table 'events'"
    assert dropped.index("Drop table 'events_2025_h1'") < dropped.index("Drop table 'events_2025'")


async def test_dropping_a_parent_keeps_the_children_it_no_longer_has(
    tables_source: str, linkgress_server: LinkgressServer
) -> None:
    current = await tables_read(tables_source)
    # cars stays, with what it inherited from vehicles now its own.
    vehicles = _table(current, "public", "vehicles")
    cars = _table(current, "public", "cars")
    target = _edit(
        _without(current, "public.vehicles", "public.trucks"),
        "public",
        "cars",
        lambda t: attrs.evolve(
            t, columns=(*vehicles.columns, *cars.columns), checks=vehicles.checks, inherits=()
        ),
    )
    async_ops = await _run_drop(tables_source, target, linkgress_server)
    assert [op.type for op in async_ops][:1] == ["no_inherit_table"]


async def test_dropping_an_owned_sequence_with_its_table(
    tables_source: str, linkgress_server: LinkgressServer
) -> None:
    current = await tables_read(tables_source)
    target = _without(current, "public.tickets", "public.ticket_seq", "public.plain_seq")
    operations = await _run_drop(tables_source, target, linkgress_server)
    assert [op.type for op in operations] == [
        "disown_sequence",
        "drop_table",
        "drop_sequence",
        "drop_sequence",
    ]


async def test_dropping_a_partition_key_parent_keeps_a_partition_as_a_table(
    tables_source: str, linkgress_server: LinkgressServer
) -> None:
    current = await tables_read(tables_source)
    target = _edit(
        _without(current, "public.words"),
        "public",
        "words_a",
        lambda t: attrs.evolve(t, partition_of=None, partition_bound=None),
    )
    operations = await _run_drop(tables_source, target, linkgress_server)
    assert [op.type for op in operations] == ["detach_partition", "drop_table"]


# --- issue 11: a parent's column drop and the children ----------------------------------------


async def test_a_parent_column_dropped_stays_on_a_child_that_keeps_it(
    tables_source: str, linkgress_server: LinkgressServer
) -> None:
    current = await tables_read(tables_source)
    await tables_execute(
        tables_source,
        "INSERT INTO public.cars (id, wheels, seats) VALUES (1, 3, 2);"
        " INSERT INTO public.tagged_cars (id, wheels, seats, tag) VALUES (2, 5, 4, 't')",
    )
    vehicles = _table(current, "public", "vehicles")
    wheels = vehicles.column("wheels")
    assert wheels is not None
    target = _edit(
        current,
        "public",
        "vehicles",
        lambda t: attrs.evolve(t, columns=(t.columns[0],), checks=()),
    )
    if linkgress_server.server_version_num >= 180000:
        # PostgreSQL 18 leaves the child's NOT NULL constraint inherited, under the parent's
        # name, and refuses to rename it: the table keeps it.
        wheels = attrs.evolve(wheels, not_null_name="vehicles_wheels_not_null")
    target = _edit(
        target, "public", "cars", lambda t: attrs.evolve(t, columns=(wheels, *t.columns))
    )
    operations = diff(current, target, context_of(linkgress_server))
    drop = next(op for op in operations if isinstance(op, DropColumn))
    assert drop.only
    assert "inheriting tables keep theirs" in drop.describe()
    await tables_apply(tables_source, operations)
    after = await tables_read(tables_source)
    assert diff(after, target, context_of(linkgress_server)) == []
    conn_rows = await _rows(tables_source, "SELECT id, wheels FROM public.cars ORDER BY id")
    assert conn_rows == [(1, 3), (2, 5)]  # the values stayed, in cars and in its child


async def test_a_parent_column_dropped_names_the_children_that_lose_it(
    tables_source: str, linkgress_server: LinkgressServer
) -> None:
    current = await tables_read(tables_source)
    target = _edit(
        current,
        "public",
        "vehicles",
        lambda t: attrs.evolve(t, columns=(t.columns[0],), checks=()),
    )
    operations = diff(current, target, context_of(linkgress_server))
    drop = next(op for op in operations if isinstance(op, DropColumn))
    assert not drop.only
    assert drop.inheritors == (
        QualifiedName("public", "cars"),
        QualifiedName("public", "tagged_cars"),
    )  # trucks declares wheels itself, so it keeps the column
    assert "'cars', 'tagged_cars'" in drop.describe()
    await tables_apply(tables_source, operations)
    after = await tables_read(tables_source)
    assert diff(after, target) == []
    trucks = _table(after, "public", "trucks")
    assert trucks.column("wheels") == Column("wheels", "integer", False, "6")


async def _rows(dsn: str, query: str) -> list[tuple[object, ...]]:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        return [tuple(row) for row in await conn.fetch(query)]
    finally:
        await conn.close()


def test_drift_cases_name_distinct_changes() -> None:
    assert len({d.name for d in DRIFTS}) == len(DRIFTS)
    assert DiffContext().server_version_num is None
