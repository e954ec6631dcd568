"""Changes that would rewrite a table, done online: a new column, a backfill, a swap.

Offline, changing a column's type or adding a ``NOT NULL`` column with a volatile default
rewrites the whole table under ACCESS EXCLUSIVE. Online:

* **Type change** of column ``c``: a new column ``c__lg_online`` of the new type is added (a
  catalog change), a trigger keeps it equal to ``c::new_type`` on every insert and update,
  existing rows are backfilled in batches, and one short transaction swaps the columns
  (drops ``c`` and the trigger, renames the new column, sets its default and ``NOT NULL``,
  proved beforehand by a validated check). The column moves to the end of the table.
* **New column with a volatile default** (``clock_timestamp()``, ``gen_random_uuid()``): it
  is added without the default, the default set at once (new rows get it), the existing rows
  backfilled in batches, and ``NOT NULL`` set through a validated check.

Only columns nothing else depends on are swapped (no index, constraint, view, trigger,
policy, comment or column privilege names them) on tables with a one-column primary key,
which orders the batches; anything else keeps the offline form in the catalog phase.
:func:`rewrite_facts` reads what decides that from the server.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import asyncpg
from attrs import frozen

from linkgress_async.catalog import SERIAL_STORAGE_TYPES, QualifiedName, storage_type
from linkgress_async.client import AnyConnection
from linkgress_async.ops import (
    AddColumn,
    AlterColumn,
    DropColumn,
    DropFunction,
    DropTrigger,
    MigrationOperation,
)
from linkgress_async.ops.base import display
from linkgress_async.plan.hazard_facts import rewrite_free_pairs
from linkgress_async.render.columns import alter_table, collate_clause
from linkgress_async.render.quote import NAME_MAX_BYTES, qualified, quote_ident

__all__ = [
    "HELPER_SUFFIX",
    "Backfill",
    "RewriteFacts",
    "helper_name",
    "is_helper_name",
    "rewrite_facts",
    "without_reused_helpers",
]

HELPER_SUFFIX = "__lg_online"
"""Ends the name of every column, trigger and function an online migration adds for itself."""


def helper_name(*parts: str) -> str:
    """``{part}_{part}__lg_online``, the parts cut to fit 63 bytes."""
    room = NAME_MAX_BYTES - len(HELPER_SUFFIX.encode())
    joined = "_".join(parts).encode()[:room].decode("utf-8", "ignore")
    return joined + HELPER_SUFFIX


def is_helper_name(name: str) -> bool:
    """Whether ``name`` is a helper object an interrupted online migration left."""
    return name.endswith(HELPER_SUFFIX)


@frozen
class Backfill:
    """Batched ``UPDATE`` of existing rows: ``column = expression`` in ``key`` order."""

    table: QualifiedName
    key: str
    column: str
    expression: str
    only_null: bool = False
    """Only rows whose ``column`` is still NULL (a new column's default backfill)."""

    def batch_sql(self, first: bool) -> str:
        """One batch: ``$1`` the last key done (absent for the first), ``$2`` the size.

        Returns the batch's last key (``NULL`` when no row was left) and the rows updated;
        each batch is its own short transaction (row locks only).
        """
        table = qualified(self.table.schema, self.table.name)
        key = quote_ident(self.key)
        after = "" if first else f" WHERE {key} > $1"
        size = "$1" if first else "$2"
        null = f" AND t.{quote_ident(self.column)} IS NULL" if self.only_null else ""
        return (
            f"WITH batch AS (SELECT {key} FROM {table}{after} ORDER BY {key} LIMIT {size}),"
            f" done AS (UPDATE {table} AS t SET {quote_ident(self.column)} = {self.expression}"
            f" FROM batch WHERE t.{key} = batch.{key}{null} RETURNING 1)"
            f" SELECT (SELECT max({key}) FROM batch) AS last, (SELECT count(*) FROM done)"
            " AS updated"
        )

    def describe(self) -> str:
        """What it fills, for the plan."""
        return f"Backfill '{display(self.table.schema, self.table.name)}.{self.column}' in batches"


@frozen
class RewriteFacts:
    """What decides whether a rewrite can go online (read by :func:`rewrite_facts`)."""

    primary_keys: Mapping[QualifiedName, str]
    """Tables with a one-column primary key: its column."""
    free_columns: frozenset[tuple[QualifiedName, str]] = frozenset()
    """Columns no other object depends on."""
    rewrite_free: frozenset[tuple[str, str]] = frozenset()
    """``(old, new)`` type changes the server makes without a rewrite (stay in place)."""
    volatile_defaults: frozenset[tuple[QualifiedName, str]] = frozenset()
    """New columns whose default would rewrite the table."""


def is_type_change(op: AlterColumn) -> bool:
    """Whether ``op`` changes the column's storage type."""
    return storage_type(op.from_.data_type) != storage_type(op.to.data_type)


def _plain_column(op: AlterColumn) -> bool:
    old, new = op.from_, op.to
    return (
        old.identity is None
        and new.identity is None
        and old.generated is None
        and new.generated is None
        and old.data_type not in SERIAL_STORAGE_TYPES
        and new.data_type not in SERIAL_STORAGE_TYPES
        and not op.regenerated
        and not op.added_after
    )


def swappable(op: AlterColumn, table: QualifiedName, facts: RewriteFacts) -> bool:
    """Whether ``op`` is a type change to do through a new column and a swap."""
    pair = (storage_type(op.from_.data_type), storage_type(op.to.data_type))
    return (
        is_type_change(op)
        and _plain_column(op)
        and pair not in facts.rewrite_free
        and table in facts.primary_keys
        and (table, op.column_name) in facts.free_columns
        and facts.primary_keys[table] != op.column_name
    )


def backfilled(op: AddColumn, table: QualifiedName, facts: RewriteFacts) -> bool:
    """Whether ``op`` adds a column with a volatile default to fill in batches."""
    column = op.column
    return (
        column.default is not None
        and column.identity is None
        and column.generated is None
        and column.data_type not in SERIAL_STORAGE_TYPES
        and table in facts.primary_keys
        and (table, op.column_name) in facts.volatile_defaults
    )


def sync_function_sql(op: AlterColumn, new_column: str, function: str) -> str:
    """The trigger function that keeps ``new_column`` equal to the old one, converted."""
    cast = _cast(f"NEW.{quote_ident(op.column_name)}", op.to.data_type)
    return (
        f"CREATE OR REPLACE FUNCTION {qualified(op.schema_name, function)}() RETURNS trigger"
        # One short line each: a migration file prints the body as it is.
        f" LANGUAGE plpgsql AS $lg$\nBEGIN\n  NEW.{quote_ident(new_column)} :=\n    {cast};"
        "\n  RETURN NEW;\nEND\n$lg$"
    )


def sync_trigger_sql(op: AlterColumn, trigger: str, function: str) -> list[str]:
    """Drop (if a failed run left it) and create the trigger that runs the function."""
    table = qualified(op.schema_name, op.table_name)
    return [
        f"DROP TRIGGER IF EXISTS {quote_ident(trigger)} ON {table}",
        f"CREATE TRIGGER {quote_ident(trigger)} BEFORE INSERT OR UPDATE ON {table}"
        f" FOR EACH ROW EXECUTE FUNCTION {qualified(op.schema_name, function)}()",
    ]


def new_column_sql(op: AlterColumn, new_column: str) -> str:
    """``ADD COLUMN IF NOT EXISTS`` of the new type (nullable, no default: catalog only)."""
    collation = collate_clause(op.to.collation) if op.to.collation is not None else ""
    action = f"ADD COLUMN IF NOT EXISTS {quote_ident(new_column)} {op.to.data_type}{collation}"
    return alter_table(op.schema_name, op.table_name, action)


def converted(op: AlterColumn) -> str:
    """The old column's value as the new type (what the offline ``USING`` computes)."""
    return _cast(quote_ident(op.column_name), op.to.data_type)


def _cast(value: str, data_type: str) -> str:
    from linkgress_async.render.columns import _using_type

    return f"{value}::{_using_type(storage_type(data_type))}"


def without_reused_helpers(
    operations: Sequence[MigrationOperation],
) -> list[MigrationOperation]:
    """``operations`` less the drops of helper objects an interrupted run left for a type
    change the plan still makes: the new run reuses them (and backfills again)."""
    reused: set[tuple[str, str]] = set()
    for op in operations:
        if isinstance(op, AlterColumn) and is_type_change(op):
            reused.add((op.schema_name, helper_name(op.column_name)))
            reused.add((op.schema_name, helper_name(op.table_name, op.column_name)))

    def reuses(op: MigrationOperation) -> bool:
        if isinstance(op, DropColumn):
            return (op.schema_name, op.column_name) in reused
        if isinstance(op, DropTrigger):
            return (op.schema_name, op.trigger_name) in reused
        if isinstance(op, DropFunction):
            return (op.schema_name, op.function_name) in reused
        return False

    return [op for op in operations if not reuses(op)]


# --- facts ---------------------------------------------------------------------------------

_PRIMARY_KEYS = """
SELECT n.nspname AS schema_name, c.relname AS table_name, a.attname AS column_name
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0]
WHERE i.indisprimary AND i.indnkeyatts = 1 AND c.relkind = 'r'
  AND (n.nspname, c.relname) IN (SELECT * FROM unnest($1::text[], $2::text[]))
"""

# A column is free when nothing but its own default (and, on PostgreSQL 18, its own NOT NULL
# constraint) depends on it, and it has no comment or column privilege to carry over.
_FREE_COLUMNS = """
SELECT n.nspname AS schema_name, c.relname AS table_name, a.attname AS column_name
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE (n.nspname, c.relname, a.attname)
      IN (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))
  AND a.attacl IS NULL
  AND NOT EXISTS (
      SELECT 1 FROM pg_catalog.pg_description d
      WHERE d.classoid = 'pg_catalog.pg_class'::regclass AND d.objoid = c.oid
        AND d.objsubid = a.attnum)
  AND NOT EXISTS (
      SELECT 1 FROM pg_catalog.pg_depend d
      WHERE d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid = c.oid
        AND d.refobjsubid = a.attnum
        AND d.classid <> 'pg_catalog.pg_attrdef'::regclass
        AND NOT EXISTS (
            SELECT 1 FROM pg_catalog.pg_constraint k
            WHERE d.classid = 'pg_catalog.pg_constraint'::regclass AND k.oid = d.objid
              AND k.contype = 'n'))
"""


async def _volatile(
    conn: AnyConnection, ops: Sequence[AddColumn]
) -> set[tuple[QualifiedName, str]]:
    """The new columns whose default makes ``ADD COLUMN`` rewrite: tried on an empty
    temporary table in a transaction that is rolled back (a rewrite gives it a new file)."""
    found: set[tuple[QualifiedName, str]] = set()
    if not ops:
        return found
    probe = qualified("pg_temp", "linkgress_online_probe")
    filenode = "SELECT pg_catalog.pg_relation_filenode('pg_temp.linkgress_online_probe')"
    transaction = conn.transaction()
    await transaction.start()
    try:
        await conn.execute(f"CREATE TEMPORARY TABLE {probe} ()")
        for op in ops:
            try:
                async with conn.transaction():
                    before = await conn.fetchval(filenode)
                    await conn.execute(
                        f"ALTER TABLE {probe} ADD COLUMN probe {op.column.data_type}"
                        f" DEFAULT {op.column.default}"
                    )
                    if await conn.fetchval(filenode) != before:
                        found.add((QualifiedName(op.schema_name, op.table_name), op.column_name))
                    raise _Undo
            except _Undo:
                continue
            except asyncpg.PostgresError:
                continue  # the default needs what the plan creates: keep it offline
    finally:
        await transaction.rollback()
    return found


class _Undo(Exception):
    """Rolls a probe's savepoint back."""


async def rewrite_facts(
    conn: AnyConnection, operations: Sequence[MigrationOperation], existing: set[QualifiedName]
) -> RewriteFacts:
    """The facts about the plan's type changes and new columns on ``existing`` tables."""
    changes = [
        op
        for op in operations
        if isinstance(op, AlterColumn)
        and QualifiedName(op.schema_name, op.table_name) in existing
        and is_type_change(op)
        and _plain_column(op)
    ]
    added = [
        op
        for op in operations
        if isinstance(op, AddColumn)
        and QualifiedName(op.schema_name, op.table_name) in existing
        and op.column.default is not None
    ]
    if not changes and not added:
        return RewriteFacts({})
    tables = {QualifiedName(op.schema_name, op.table_name) for op in changes}
    tables.update(QualifiedName(op.schema_name, op.table_name) for op in added)
    rows = await conn.fetch(_PRIMARY_KEYS, [t.schema for t in tables], [t.name for t in tables])
    keys = {QualifiedName(r["schema_name"], r["table_name"]): r["column_name"] for r in rows}
    free: set[tuple[QualifiedName, str]] = set()
    if changes:
        rows = await conn.fetch(
            _FREE_COLUMNS,
            [op.schema_name for op in changes],
            [op.table_name for op in changes],
            [op.column_name for op in changes],
        )
        free = {(QualifiedName(r["schema_name"], r["table_name"]), r["column_name"]) for r in rows}
    pairs = {(storage_type(op.from_.data_type), storage_type(op.to.data_type)) for op in changes}
    return RewriteFacts(
        keys,
        frozenset(free),
        await rewrite_free_pairs(conn, pairs),
        frozenset(await _volatile(conn, added)),
    )
