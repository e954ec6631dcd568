"""Dangerous DDL on large tables, found before anything runs.

Some operations are correct on any table but, on a table holding many rows, scan or rewrite
it while holding a lock that stops the application's reads or writes for as long as that
takes: minutes on a big table. Others fail outright once the table has rows. This module
classifies a plan's operations from a few facts about the tables they touch (estimated rows,
whether any row exists, size on disk) and names the safe alternative for each, in the spirit
of strong_migrations and squawk.

It is pure and synchronous: :func:`find_hazards` takes the operations and
:class:`HazardFacts`; :mod:`linkgress_async.plan.hazard_facts` reads the facts from the server.
Hazards are warnings, never refusals: the plan prints them and still runs.

Tables created by the same plan are never hazards: they are empty while it runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

import attrs
from attrs import frozen

from linkgress_async.catalog import SERIAL_STORAGE_TYPES, QualifiedName, storage_type
from linkgress_async.ops import (
    AddColumn,
    AddPrimaryKey,
    AlterColumn,
    CreateCheckConstraint,
    CreateForeignKey,
    CreateIndex,
    CreateTable,
    CreateUniqueConstraint,
    MigrationOperation,
)
from linkgress_async.ops.base import display

__all__ = [
    "Hazard",
    "HazardCode",
    "HazardFacts",
    "HazardPolicy",
    "TableFacts",
    "find_hazards",
    "risky_tables",
    "type_change_pairs",
]

HazardCode = Literal[
    "not-null-without-default",
    "set-not-null",
    "table-rewrite",
    "index-not-concurrent",
    "foreign-key-not-valid",
    "check-not-valid",
    "unique-constraint",
]
"""What makes an operation dangerous (stable strings, for filtering and documentation)."""

_MIB = 1024 * 1024


@frozen
class TableFacts:
    """What the server knows about one existing table's size.

    ``estimated_rows`` is ``pg_class.reltuples`` (summed over partitions), ``-1`` when the
    table was never vacuumed or analysed; ``has_rows`` is exact (``EXISTS``), or ``None`` when
    it could not be checked (the table was locked by someone else). ``partitioned``: the
    table is a partitioned table, whose rows are in its partitions.
    """

    schema: str
    name: str
    estimated_rows: int
    total_bytes: int
    has_rows: bool | None = None
    partitioned: bool = False

    @property
    def qualified_name(self) -> QualifiedName:
        """The table's schema-qualified name."""
        return QualifiedName(self.schema, self.name)

    @property
    def may_have_rows(self) -> bool:
        """Whether the table holds rows, or might (when that could not be checked)."""
        if self.has_rows is not None:
            return self.has_rows
        return self.estimated_rows != 0 or self.total_bytes > 0

    def summary(self) -> str:
        """``~20,000 rows, 1.4 MB`` for messages."""
        if self.estimated_rows >= 0:
            rows = f"~{self.estimated_rows:,} rows"
        else:
            rows = "row count not yet analysed"
        return f"{rows}, {_size(self.total_bytes)}"


@frozen
class HazardPolicy:
    """When a table counts as large.

    A table is large when it holds rows and its estimated row count reaches
    ``large_table_rows`` or its total size (with indexes and TOAST) reaches
    ``large_table_bytes``; the size catches tables whose statistics are missing or stale.
    ``large_table_rows=0`` treats every table with rows as large.
    """

    large_table_rows: int = 10_000
    large_table_bytes: int = 64 * _MIB

    def is_large(self, facts: TableFacts) -> bool:
        """Whether operations that scan or rewrite ``facts``' table would lock it for long."""
        if not facts.may_have_rows:
            return False
        known_rows = max(facts.estimated_rows, 1 if facts.has_rows else 0)
        return known_rows >= self.large_table_rows or facts.total_bytes >= self.large_table_bytes


@frozen
class HazardFacts:
    """The facts :func:`find_hazards` needs: per-table sizes and type changes that are free.

    ``rewrite_free`` holds ``(old, new)`` column type pairs the server changes without
    rewriting the table (``varchar(10)`` to ``varchar(20)`` or ``text``); any other type change
    is taken to rewrite it.
    """

    tables: Mapping[QualifiedName, TableFacts] = attrs.field(factory=dict)
    rewrite_free: frozenset[tuple[str, str]] = frozenset()


@frozen
class Hazard:
    """One operation of a plan that is dangerous on its table, and the safe way to do it."""

    operation: MigrationOperation
    code: HazardCode
    table: QualifiedName
    message: str
    safe_alternative: str

    def describe(self) -> str:
        """The message followed by the safe alternative."""
        return f"{self.message} Safer: {self.safe_alternative}"


def _size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "kB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{size} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def _table_of(op: MigrationOperation) -> QualifiedName | None:
    """The existing table a possibly dangerous operation works on, or ``None``."""
    match op:
        case (
            AddColumn()
            | AlterColumn()
            | CreateIndex()
            | CreateForeignKey()
            | CreateCheckConstraint()
            | CreateUniqueConstraint()
            | AddPrimaryKey()
        ):
            return QualifiedName(op.schema_name, op.table_name)
        case _:
            return None


def _new_tables(operations: Iterable[MigrationOperation]) -> set[QualifiedName]:
    return {
        QualifiedName(op.schema_name, op.table_name)
        for op in operations
        if isinstance(op, CreateTable)
    }


def _is_type_change(op: AlterColumn) -> bool:
    return storage_type(op.from_.data_type) != storage_type(op.to.data_type)


def _fills_itself(op: AddColumn) -> bool:
    """Whether existing rows get a value for the new column without a default."""
    column = op.column
    return (
        column.nullable
        or column.default is not None
        or column.identity is not None
        or column.data_type in SERIAL_STORAGE_TYPES
    )


def risky_tables(operations: Sequence[MigrationOperation]) -> list[QualifiedName]:
    """Existing tables that operations of the plan might scan, rewrite, or fail on.

    Only these need facts; tables the plan creates are left out.
    """
    new = _new_tables(operations)
    found: dict[QualifiedName, None] = {}
    for op in operations:
        table = _table_of(op)
        if table is None or table in new:
            continue
        if isinstance(op, AddColumn) and _fills_itself(op):
            continue
        if isinstance(op, AlterColumn) and not (
            _is_type_change(op) or (op.from_.nullable and not op.to.nullable)
        ):
            continue
        if isinstance(op, CreateIndex) and op.concurrently:
            continue
        if isinstance(op, CreateForeignKey | CreateCheckConstraint) and not op.checks_rows:
            continue
        found[table] = None
    return list(found)


def type_change_pairs(operations: Sequence[MigrationOperation]) -> set[tuple[str, str]]:
    """The ``(old, new)`` storage types of the plan's in-place column type changes."""
    return {
        (storage_type(op.from_.data_type), storage_type(op.to.data_type))
        for op in operations
        if isinstance(op, AlterColumn) and _is_type_change(op)
    }


_REWRITE_ALTERNATIVE = (
    "add a new column of the new type, keep it in step (a trigger or the application), "
    "backfill it in batches, then swap the names in one short transaction and drop the "
    "old column."
)
_SET_NOT_NULL_ALTERNATIVE = (
    "add CONSTRAINT ... CHECK ({column} IS NOT NULL) NOT VALID, run VALIDATE CONSTRAINT in "
    "a separate transaction (reads and writes go on), then SET NOT NULL, which PostgreSQL "
    "12+ does without a scan given that valid check, and drop the check."
)
_INDEX_ALTERNATIVE = (
    "CREATE INDEX CONCURRENTLY in a non-transactional migration (transactional = False); "
    "MigrationScaffold.scaffold(..., safe=True) writes one."
)
_PARTITIONED_INDEX_ALTERNATIVE = (
    "PostgreSQL cannot build an index on a partitioned table CONCURRENTLY. In a "
    "non-transactional migration, CREATE INDEX ... ON ONLY the parent (instant, invalid "
    "for now), build the index on each partition with CREATE INDEX CONCURRENTLY, and ALTER "
    "INDEX <parent index> ATTACH PARTITION <partition index> for each (a sub-partitioned "
    "partition gets its own ON ONLY index the same way); the parent's index becomes valid "
    "once every partition's is attached. MigrationScaffold.scaffold(..., safe=True) writes "
    "these steps."
)
_NOT_VALID_ALTERNATIVE = (
    "add the constraint NOT VALID (only new and updated rows are checked), then VALIDATE "
    "CONSTRAINT in a separate transaction, which does not block reads or writes; "
    "MigrationScaffold.scaffold(..., safe=True) writes both steps."
)
_UNIQUE_ALTERNATIVE = (
    "CREATE UNIQUE INDEX CONCURRENTLY in a non-transactional migration, then ALTER TABLE "
    "... ADD CONSTRAINT {name} {kind} USING INDEX {index}, which only takes a brief lock."
)
_PARTITIONED_UNIQUE_ALTERNATIVE = (
    "on each partition that holds rows, CREATE UNIQUE INDEX CONCURRENTLY in a "
    "non-transactional migration and ALTER TABLE <partition> ADD CONSTRAINT ... {kind} USING "
    "INDEX (a brief lock each; USING INDEX is refused on the partitioned table itself), then "
    "ALTER TABLE ... ADD CONSTRAINT {name} {kind} on the parent, which attaches those "
    "indexes instead of building new ones."
)


def _column_hazards(
    op: AddColumn | AlterColumn,
    table: QualifiedName,
    facts: TableFacts,
    policy: HazardPolicy,
    rewrite_free: frozenset[tuple[str, str]],
) -> list[Hazard]:
    where = display(table.schema, table.name)
    if isinstance(op, AddColumn):
        if _fills_itself(op) or not facts.may_have_rows:
            return []
        rows = "has rows" if facts.has_rows else "may have rows"
        return [
            Hazard(
                op,
                "not-null-without-default",
                table,
                f"Adding NOT NULL column '{op.column_name}' without a default to '{where}', "
                f"which {rows} ({facts.summary()}), fails: the existing rows would hold NULL.",
                "add the column with a default (has_default_value or has_default_sql; "
                "PostgreSQL 11+ adds a constant default without rewriting the table), or add "
                "it nullable, backfill it in batches, then make it required.",
            )
        ]
    if not policy.is_large(facts):
        return []
    column = f"{where}.{op.column_name}"
    if _is_type_change(op):
        pair = (storage_type(op.from_.data_type), storage_type(op.to.data_type))
        if pair not in rewrite_free:
            return [
                Hazard(
                    op,
                    "table-rewrite",
                    table,
                    f"Changing '{column}' from {pair[0]} to {pair[1]} rewrites '{where}' and "
                    f"its indexes ({facts.summary()}) under an ACCESS EXCLUSIVE lock, blocking "
                    "reads and writes until it finishes.",
                    _REWRITE_ALTERNATIVE,
                )
            ]
    if op.from_.nullable and not op.to.nullable:
        return [
            Hazard(
                op,
                "set-not-null",
                table,
                f"Setting NOT NULL on '{column}' scans all of '{where}' ({facts.summary()}) "
                "under an ACCESS EXCLUSIVE lock, blocking reads and writes.",
                _SET_NOT_NULL_ALTERNATIVE.format(column=op.column_name),
            )
        ]
    return []


def _constraint_hazard(
    op: MigrationOperation, table: QualifiedName, facts: TableFacts
) -> Hazard | None:
    where = f"'{display(table.schema, table.name)}' ({facts.summary()})"
    match op:
        case CreateIndex() if not op.concurrently:
            alternative = (
                _PARTITIONED_INDEX_ALTERNATIVE if facts.partitioned else _INDEX_ALTERNATIVE
            )
            return Hazard(
                op,
                "index-not-concurrent",
                table,
                f"Creating index '{op.index_name}' with plain CREATE INDEX blocks writes to "
                f"{where} until the index is built.",
                alternative,
            )
        case CreateForeignKey() if op.checks_rows:
            referenced = op.constraint.referenced_table
            target = display(referenced.schema, referenced.name)
            return Hazard(
                op,
                "foreign-key-not-valid",
                table,
                f"Adding foreign key '{op.constraint.name}' checks every row of {where} "
                f"while blocking writes to it and to '{target}'.",
                _NOT_VALID_ALTERNATIVE,
            )
        case CreateCheckConstraint() if op.checks_rows:
            return Hazard(
                op,
                "check-not-valid",
                table,
                f"Adding check constraint '{op.constraint.name}' scans all of {where} under "
                "an ACCESS EXCLUSIVE lock, blocking reads and writes.",
                _NOT_VALID_ALTERNATIVE,
            )
        case CreateUniqueConstraint() | AddPrimaryKey():
            kind = "UNIQUE" if isinstance(op, CreateUniqueConstraint) else "PRIMARY KEY"
            name = op.constraint.name
            template = _PARTITIONED_UNIQUE_ALTERNATIVE if facts.partitioned else _UNIQUE_ALTERNATIVE
            return Hazard(
                op,
                "unique-constraint",
                table,
                f"Adding {kind} constraint '{name}' builds its index on {where} under an "
                "ACCESS EXCLUSIVE lock, blocking reads and writes.",
                template.format(name=name, kind=kind, index=name),
            )
        case _:
            return None


def find_hazards(
    operations: Sequence[MigrationOperation],
    facts: HazardFacts,
    policy: HazardPolicy | None = None,
) -> list[Hazard]:
    """The dangerous operations of a plan, in plan order, given facts about its tables.

    An operation on a table without facts (one the plan creates, or that does not exist)
    is never a hazard.
    """
    policy = policy if policy is not None else HazardPolicy()
    new = _new_tables(operations)
    hazards: list[Hazard] = []
    for op in operations:
        table = _table_of(op)
        if table is None or table in new:
            continue
        table_facts = facts.tables.get(table)
        if table_facts is None:
            continue
        if isinstance(op, AddColumn | AlterColumn):
            hazards.extend(_column_hazards(op, table, table_facts, policy, facts.rewrite_free))
        elif policy.is_large(table_facts):
            hazard = _constraint_hazard(op, table, table_facts)
            if hazard is not None:
                hazards.append(hazard)
    return hazards
