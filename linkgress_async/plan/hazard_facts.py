"""Read from the server the facts :mod:`linkgress_async.plan.hazards` classifies a plan with.

Only the existing tables that a possibly dangerous operation touches are looked at, so a plan
without such operations costs no query at all. Sizes come from the catalog in one query;
whether a table has any row is one ``EXISTS`` per table, all in one statement, under a short
lock timeout so that a table locked by someone else does not stall the plan (the catalog's
estimates are used instead). Whether a type
change rewrites the table is asked of the server itself: the same ``ALTER COLUMN ... TYPE``
runs on an empty temporary table in a transaction that is rolled back, and a rewrite shows as
a new relfilenode. That covers every rule PostgreSQL applies (binary-coercible casts, typmod
changes such as a longer ``varchar``, the time zone for ``timestamp`` to ``timestamptz``)
without imitating them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import asyncpg
from attrs import frozen

from linkgress_async.canonical import probe_pairs
from linkgress_async.catalog import Column, QualifiedName
from linkgress_async.client import AnyConnection
from linkgress_async.ops import AlterColumn, MigrationOperation
from linkgress_async.plan.hazards import (
    HazardFacts,
    HazardPolicy,
    TableFacts,
    risky_tables,
    type_change_pairs,
)
from linkgress_async.render.quote import qualified, render_literal
from linkgress_async.render.sql import operation_sql

__all__ = [
    "PartitionNode",
    "collect_hazard_facts",
    "partition_trees",
    "rewrite_free_pairs",
    "table_facts",
]

_LOCK_TIMEOUT = 2.0
"""Seconds to wait for another session's table lock before falling back to estimates."""

# $3 chooses exact sizes (pg_total_relation_size, which waits for a share lock on each
# table) or lock-free estimates (relpages, as of the last VACUUM or ANALYZE). Tables are
# followed through pg_inherits, as a partitioned table holds its rows in its partitions.
_SIZES = """
WITH RECURSIVE tree AS (
    SELECT c.oid AS root, c.oid AS member
    FROM unnest($1::text[], $2::text[]) AS t(schema_name, table_name)
    JOIN pg_catalog.pg_namespace n ON n.nspname = t.schema_name
    JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = t.table_name
         AND c.relkind IN ('r', 'p')
  UNION
    SELECT tree.root, i.inhrelid
    FROM tree JOIN pg_catalog.pg_inherits i ON i.inhparent = tree.member
)
SELECT n.nspname AS schema_name, r.relname AS table_name, r.relkind = 'p' AS partitioned,
       COALESCE(CASE WHEN bool_and(m.reltuples < 0) FILTER (WHERE m.relkind = 'r') THEN -1
                     ELSE sum(GREATEST(m.reltuples, 0)) FILTER (WHERE m.relkind = 'r')
                END, -1)::bigint AS rows,
       COALESCE(sum(CASE WHEN $3 THEN pg_catalog.pg_total_relation_size(m.oid)
                         ELSE m.relpages::bigint
                              * pg_catalog.current_setting('block_size')::bigint
                    END) FILTER (WHERE m.relkind = 'r'), 0)::bigint AS bytes
FROM tree
JOIN pg_catalog.pg_class r ON r.oid = tree.root
JOIN pg_catalog.pg_namespace n ON n.oid = r.relnamespace
JOIN pg_catalog.pg_class m ON m.oid = tree.member
GROUP BY n.nspname, r.relname, r.relkind
"""

_PROBE_TABLE = "__linkgress_rewrite_probe"

# Each partitioned table of $1/$2 (depth 0, without a parent) and the partitions under it,
# parents before their partitions.
_PARTITIONS = """
WITH RECURSIVE tree AS (
    SELECT c.oid AS root, c.oid AS member, 0 AS depth
    FROM unnest($1::text[], $2::text[]) AS t(schema_name, table_name)
    JOIN pg_catalog.pg_namespace n ON n.nspname = t.schema_name
    JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = t.table_name
         AND c.relkind = 'p'
  UNION ALL
    SELECT tree.root, i.inhrelid, tree.depth + 1
    FROM tree JOIN pg_catalog.pg_inherits i ON i.inhparent = tree.member
)
SELECT rn.nspname AS root_schema, r.relname AS root_name,
       mn.nspname AS schema_name, m.relname AS table_name,
       pn.nspname AS parent_schema, p.relname AS parent_name,
       m.relkind = 'p' AS partitioned
FROM tree
JOIN pg_catalog.pg_class r ON r.oid = tree.root
JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace
JOIN pg_catalog.pg_class m ON m.oid = tree.member
JOIN pg_catalog.pg_namespace mn ON mn.oid = m.relnamespace
LEFT JOIN pg_catalog.pg_inherits i ON i.inhrelid = m.oid AND tree.depth > 0
LEFT JOIN pg_catalog.pg_class p ON p.oid = i.inhparent
LEFT JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace
ORDER BY tree.root, tree.depth, mn.nspname, m.relname
"""


@frozen
class PartitionNode:
    """A partition under a partitioned table: its name, its parent's, and whether it is
    partitioned itself (sub-partitioning)."""

    name: QualifiedName
    parent: QualifiedName
    partitioned: bool


async def partition_trees(
    conn: AnyConnection, tables: Sequence[QualifiedName]
) -> dict[QualifiedName, tuple[PartitionNode, ...]]:
    """The partitions under each of ``tables`` that is partitioned (one without partitions
    maps to none), parents first."""
    if not tables:
        return {}
    schemas, names = [t.schema for t in tables], [t.name for t in tables]
    trees: dict[QualifiedName, list[PartitionNode]] = {}
    for row in await conn.fetch(_PARTITIONS, schemas, names):
        nodes = trees.setdefault(QualifiedName(row["root_schema"], row["root_name"]), [])
        if row["parent_name"] is None:
            continue  # the partitioned table itself
        nodes.append(
            PartitionNode(
                QualifiedName(row["schema_name"], row["table_name"]),
                QualifiedName(row["parent_schema"], row["parent_name"]),
                row["partitioned"],
            )
        )
    return {root: tuple(nodes) for root, nodes in trees.items()}


async def table_facts(
    conn: AnyConnection,
    tables: Sequence[QualifiedName],
    *,
    lock_timeout: float = _LOCK_TIMEOUT,
    idle_timeout: float | None = None,
) -> dict[QualifiedName, TableFacts]:
    """Estimated rows, size and whether any row exists, for each of ``tables`` that exists.

    Exact sizes and the ``EXISTS`` checks need a share lock on each table; when another
    session holds a conflicting lock for longer than ``lock_timeout`` seconds, the facts are
    the catalog's estimates and ``has_rows`` is ``None``, rather than stall the plan. With
    ``idle_timeout`` the server ends the session if its client stops answering mid-way, so
    those share locks (which block DDL) never outlive it by more than that.
    """
    if not tables:
        return {}
    schemas, names = [t.schema for t in tables], [t.name for t in tables]
    has_rows: dict[QualifiedName, bool] = {}
    async with conn.transaction(readonly=True):
        timeout_ms = max(1, round(lock_timeout * 1000))
        setup = f"SET LOCAL lock_timeout = {timeout_ms}"
        if idle_timeout is not None:
            idle_ms = max(1, round(idle_timeout * 1000))
            setup += f"; SET LOCAL idle_in_transaction_session_timeout = {idle_ms}"
        await conn.execute(setup)
        try:
            async with conn.transaction():
                rows = await conn.fetch(_SIZES, schemas, names, True)
                has_rows = await _has_rows(conn, [_name(row) for row in rows])
        except asyncpg.LockNotAvailableError:
            rows = await conn.fetch(_SIZES, schemas, names, False)
    return {
        _name(row): TableFacts(
            row["schema_name"],
            row["table_name"],
            int(row["rows"]),
            int(row["bytes"]),
            has_rows.get(_name(row)),
            row["partitioned"],
        )
        for row in rows
    }


def _name(row: asyncpg.Record) -> QualifiedName:
    return QualifiedName(row["schema_name"], row["table_name"])


async def _has_rows(
    conn: AnyConnection, tables: Sequence[QualifiedName]
) -> dict[QualifiedName, bool]:
    """Exactly whether each table has a row, all in one statement."""
    if not tables:
        return {}
    checks = ", ".join(f"EXISTS (SELECT 1 FROM {qualified(t.schema, t.name)})" for t in tables)
    values = await conn.fetchval(f"SELECT ARRAY[{checks}]")
    return dict(zip(tables, (bool(v) for v in values), strict=True))


async def rewrite_free_pairs(
    conn: AnyConnection, pairs: Iterable[tuple[str, str]]
) -> frozenset[tuple[str, str]]:
    """The ``(old, new)`` column type changes the server makes without rewriting the table.

    A pair the server cannot even try (a type the plan has not created yet) counts as a
    rewrite.
    """

    async def search_path() -> None:
        # Types are spelled as format_type spells them with this search_path.
        await conn.execute("SET LOCAL search_path = pg_catalog")

    return await probe_pairs(
        conn, pairs, search_path, lambda old, new: _changes_without_rewrite(conn, old, new)
    )


async def _changes_without_rewrite(conn: AnyConnection, old: str, new: str) -> bool:
    probe = qualified("pg_temp", _PROBE_TABLE)
    await conn.execute(f"CREATE TEMPORARY TABLE {probe} (c {old})")
    filenode = f"SELECT pg_relation_filenode({render_literal(probe)}::regclass)"
    before = await conn.fetchval(filenode)
    # The very statements the plan would run for this change, on the probe table.
    change = AlterColumn(_PROBE_TABLE, "c", Column("c", old), Column("c", new), "pg_temp")
    for statement in operation_sql(change):
        await conn.execute(statement)
    after = await conn.fetchval(filenode)
    await conn.execute(f"DROP TABLE {probe}")
    return bool(before == after)


async def collect_hazard_facts(
    conn: AnyConnection,
    operations: Sequence[MigrationOperation],
    policy: HazardPolicy,
    *,
    lock_timeout: float = _LOCK_TIMEOUT,
    idle_timeout: float | None = None,
) -> HazardFacts:
    """The facts :func:`~linkgress_async.plan.hazards.find_hazards` needs for ``operations``.

    Type changes are probed only on tables large enough for a rewrite to matter.
    """
    facts = await table_facts(
        conn, risky_tables(operations), lock_timeout=lock_timeout, idle_timeout=idle_timeout
    )
    large = {name for name, table in facts.items() if policy.is_large(table)}
    on_large = [
        op
        for op in operations
        if isinstance(op, AlterColumn) and QualifiedName(op.schema_name, op.table_name) in large
    ]
    return HazardFacts(facts, await rewrite_free_pairs(conn, type_change_pairs(on_large)))
