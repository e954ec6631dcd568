"""Split a plan into phases that each hold a table lock only briefly.

Offline, ``migrate()`` applies the whole plan in one transaction: an index build, a foreign
key or check that reads every row, or ``SET NOT NULL`` holds its lock on a large table for
as long as the scan takes. Online, the same plan is rearranged (pure, no I/O here):

1. ``catalog``: everything that only changes the catalog, in one short transaction under
   ``lock_timeout``, with foreign keys and checks on existing tables added ``NOT VALID`` and,
   for each column made ``NOT NULL``, a ``CHECK (column IS NOT NULL) NOT VALID`` instead.
2. ``concurrent``: indexes of existing tables dropped and built ``CONCURRENTLY``, outside any
   transaction (a partitioned table's index per partition, attached to its parent's).
3. ``validate``: each ``NOT VALID`` constraint validated in its own transaction, which takes
   only SHARE UPDATE EXCLUSIVE: reads and writes go on.
4. ``not-null``: ``SET NOT NULL``, which PostgreSQL 12+ proves from the validated check
   without a scan, and the helper check dropped, in one short transaction.

Tables the plan creates are empty while it runs: their operations stay in the first phase.
Partitioned tables keep their constraints in the first phase (PostgreSQL before 18 cannot
add them ``NOT VALID`` there).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import attrs
from attrs import frozen

from linkgress_async.catalog import QualifiedName, storage_type
from linkgress_async.migrations.partitioned_index import partitioned_index_steps
from linkgress_async.online.rewrite import (
    Backfill,
    RewriteFacts,
    backfilled,
    converted,
    helper_name,
    new_column_sql,
    swappable,
    sync_function_sql,
    sync_trigger_sql,
)
from linkgress_async.ops import (
    AddColumn,
    AddPrimaryKey,
    AlterColumn,
    AlterConstraint,
    CreateCheckConstraint,
    CreateExclusionConstraint,
    CreateForeignKey,
    CreateIndex,
    CreateTable,
    CreateUniqueConstraint,
    DropIndex,
    MigrationOperation,
)
from linkgress_async.ops.base import display
from linkgress_async.plan.hazard_facts import PartitionNode
from linkgress_async.render.columns import alter_table
from linkgress_async.render.quote import object_name, qualified, quote_ident
from linkgress_async.render.sql import operation_sql, plan_sql, validate_constraint_sql

__all__ = ["Phase", "PhaseKind", "not_null_check_name", "online_phases"]

PhaseKind = Literal["catalog", "concurrent", "backfill", "validate", "not-null", "swap"]
"""How a phase runs: ``concurrent`` outside a transaction, ``backfill`` in batches of one
short transaction each, the others each in one transaction."""


@frozen
class Phase:
    """One step of an online migration: its statements and the lock they take."""

    kind: PhaseKind
    description: str
    statements: tuple[str, ...]
    lock: str
    """The strongest table lock the phase takes and for how long, for the plan and docs."""
    backfill: Backfill | None = None
    """The batched update a ``backfill`` phase runs (its ``statements`` show one batch)."""

    @property
    def transactional(self) -> bool:
        """Whether the statements run in one transaction (not ``CONCURRENTLY``, not batches)."""
        return self.kind not in ("concurrent", "backfill")


def not_null_check_name(table: str, column: str) -> str:
    """The helper check that proves ``column`` holds no NULL before ``SET NOT NULL``."""
    return object_name(table, column, "online_not_null")


def _table(op: MigrationOperation) -> QualifiedName | None:
    schema = getattr(op, "schema_name", None)
    table = getattr(op, "table_name", None)
    if isinstance(schema, str) and isinstance(table, str):
        return QualifiedName(schema, table)
    return None


def _sets_not_null_alone(op: AlterColumn) -> bool:
    """Whether ``op`` sets NOT NULL without a rewrite or an identity that needs it at once."""
    old, new = op.from_, op.to
    return (
        old.nullable
        and not new.nullable
        and new.identity is None
        and storage_type(old.data_type) == storage_type(new.data_type)
        and not op.regenerated
        and not op.added_after
    )


@attrs.define
class _Split:
    catalog: list[MigrationOperation] = attrs.field(factory=list)
    catalog_extra: list[str] = attrs.field(factory=list)
    late_checks: list[str] = attrs.field(factory=list)
    """NOT NULL checks of backfilled columns: added once the backfill is done, since a
    NOT VALID check still refuses an update of a row the backfill has not reached."""
    concurrent: list[Phase] = attrs.field(factory=list)
    validate: list[Phase] = attrs.field(factory=list)
    not_null: list[Phase] = attrs.field(factory=list)
    backfill: list[Phase] = attrs.field(factory=list)
    swap: list[Phase] = attrs.field(factory=list)


def _validate_phase(table: QualifiedName, constraint: str, what: str) -> Phase:
    return Phase(
        "validate",
        f"Validate {what} '{constraint}' on '{display(table.schema, table.name)}'",
        (validate_constraint_sql(table.schema, table.name, constraint),),
        "SHARE UPDATE EXCLUSIVE while it scans (reads and writes go on)",
    )


def _index_phases(op: CreateIndex, tree: Sequence[PartitionNode] | None) -> list[Phase]:
    if tree is not None:
        return [
            Phase(
                "concurrent",
                step.comment,
                step.statements,
                "SHARE UPDATE EXCLUSIVE on a partition while it builds (writes go on)",
            )
            for step in partitioned_index_steps(op, tree)
        ]
    built = attrs.evolve(op, concurrently=True)
    # A build that failed leaves an invalid index of that name: drop it first.
    leftover = DropIndex(op.table_name, op.index_name, op.schema_name, None, True)
    return [
        Phase(
            "concurrent",
            f"{op.describe()}, concurrently",
            (*operation_sql(leftover), *operation_sql(built)),
            "SHARE UPDATE EXCLUSIVE while it builds (reads and writes go on)",
        )
    ]


def _not_null_phases(op: AlterColumn, split: _Split, *, late: bool = False) -> None:
    """``op`` less its SET NOT NULL in the first phase; the check (in the first phase, or
    after the backfill when ``late``), its validation and the SET NOT NULL after."""
    table = QualifiedName(op.schema_name, op.table_name)
    nullable = attrs.evolve(op.to, nullable=True, not_null_name=op.from_.not_null_name)
    rest = attrs.evolve(op, to=nullable)
    if rest.changes:
        split.catalog.append(rest)
    check = not_null_check_name(op.table_name, op.column_name)
    column = quote_ident(op.column_name)
    (split.late_checks if late else split.catalog_extra).append(
        alter_table(
            op.schema_name,
            op.table_name,
            f"ADD CONSTRAINT {quote_ident(check)} CHECK ({column} IS NOT NULL) NOT VALID",
        )
    )
    split.validate.append(_validate_phase(table, check, "NOT NULL check"))
    set_not_null = AlterColumn(op.table_name, op.column_name, nullable, op.to, op.schema_name)
    split.not_null.append(
        Phase(
            "not-null",
            f"Set NOT NULL on '{display(op.schema_name, op.table_name)}.{op.column_name}' "
            "(proved by the validated check)",
            (
                *operation_sql(set_not_null),
                alter_table(op.schema_name, op.table_name, f"DROP CONSTRAINT {quote_ident(check)}"),
            ),
            "ACCESS EXCLUSIVE, briefly (no scan: the check proves it)",
        )
    )


def _uses_column(op: MigrationOperation, table: QualifiedName, column: str) -> bool:
    """Whether ``op`` adds an index or constraint of ``table`` that may use ``column``: the
    swap would drop it with the old column. Expressions are matched as text, which errs on
    the side of keeping the change in place."""
    if _table(op) != table:
        return False
    if isinstance(op, CreateIndex):
        named = {e.column for e in op.columns} | set(op.include)
        texts = [e.expression or "" for e in op.columns] + [op.where or ""]
        return column in named or any(column in text for text in texts)
    if isinstance(op, CreateForeignKey):
        return column in op.constraint.columns
    if isinstance(op, CreateCheckConstraint):
        return column in op.constraint.expression
    return False


def _indexed_or_constrained(
    operations: Sequence[MigrationOperation], table: QualifiedName, column: str
) -> bool:
    """Whether the plan adds an index or constraint using ``column`` of ``table`` (then
    its type change stays in place)."""
    return any(_uses_column(op, table, column) for op in operations)


def _backfill_phase(backfill: Backfill) -> Phase:
    return Phase(
        "backfill",
        backfill.describe(),
        (backfill.batch_sql(first=False),),
        "row locks of one batch at a time (reads and writes go on)",
        backfill,
    )


def _swap_phases(op: AlterColumn, table: QualifiedName, key: str, split: _Split) -> None:
    """A new column of the new type kept in sync by a trigger, backfilled, then swapped."""
    new_column = helper_name(op.column_name)
    sync = helper_name(op.table_name, op.column_name)
    split.catalog_extra.extend(
        [new_column_sql(op, new_column), sync_function_sql(op, new_column, sync)]
    )
    split.catalog_extra.extend(sync_trigger_sql(op, sync, sync))
    split.backfill.append(_backfill_phase(Backfill(table, key, new_column, converted(op))))

    def alter(action: str) -> str:
        return alter_table(op.schema_name, op.table_name, action)

    column = quote_ident(op.column_name)
    swap = [
        f"DROP TRIGGER {quote_ident(sync)} ON {qualified(op.schema_name, op.table_name)}",
        f"DROP FUNCTION {qualified(op.schema_name, sync)}()",
        alter(f"DROP COLUMN {column}"),
        alter(f"RENAME COLUMN {quote_ident(new_column)} TO {column}"),
    ]
    if op.to.default is not None:
        swap.append(alter(f"ALTER COLUMN {column} SET DEFAULT {op.to.default}"))
    if not op.to.nullable:
        check = not_null_check_name(op.table_name, new_column)
        split.late_checks.append(
            alter(
                f"ADD CONSTRAINT {quote_ident(check)} CHECK ({quote_ident(new_column)} IS NOT "
                "NULL) NOT VALID"
            )
        )
        split.validate.append(_validate_phase(table, check, "NOT NULL check"))
        nullable = attrs.evolve(op.to, nullable=True, not_null_name=None)
        swap.extend(
            operation_sql(
                AlterColumn(op.table_name, op.column_name, nullable, op.to, op.schema_name)
            )
        )
        swap.append(alter(f"DROP CONSTRAINT {quote_ident(check)}"))
    split.swap.append(
        Phase(
            "swap",
            f"Swap in '{display(op.schema_name, op.table_name)}.{op.column_name}' as "
            f"{op.to.data_type} (old column dropped, "
            "the new one renamed; it moves to the end of the table)",
            tuple(swap),
            "ACCESS EXCLUSIVE, briefly (no scan: the check proves NOT NULL)",
        )
    )


def _backfill_phases(op: AddColumn, table: QualifiedName, key: str, split: _Split) -> None:
    """The column added bare, its default set, existing rows filled in batches; NOT NULL
    through a validated check."""
    column = op.column
    assert column.default is not None
    bare = attrs.evolve(column, nullable=True, default=None, not_null_name=None)
    split.catalog.append(attrs.evolve(op, column=bare))
    name = quote_ident(op.column_name)
    split.catalog_extra.append(
        alter_table(
            op.schema_name, op.table_name, f"ALTER COLUMN {name} SET DEFAULT {column.default}"
        )
    )
    split.backfill.append(
        _backfill_phase(Backfill(table, key, op.column_name, column.default, only_null=True))
    )
    if not column.nullable:
        with_default = attrs.evolve(bare, default=column.default)
        _not_null_phases(
            AlterColumn(op.table_name, op.column_name, with_default, column, op.schema_name),
            split,
            late=True,
        )


def online_phases(
    operations: Sequence[MigrationOperation],
    partitions: Mapping[QualifiedName, Sequence[PartitionNode]] | None = None,
    facts: RewriteFacts | None = None,
    resumed: Sequence[Backfill] = (),
) -> list[Phase]:
    """The phases that apply ``operations`` with brief locks (see the module docstring).

    ``partitions`` maps each partitioned table the plan touches to its partitions (see
    :func:`~linkgress_async.plan.hazard_facts.partition_trees`); other tables are plain.
    """
    partitions = partitions or {}
    facts = facts or RewriteFacts({})
    # New columns an interrupted run added but had not filled: filled again first, their
    # NOT NULL check added after that (the diff now sees them as mere SET NOT NULL).
    refilled = {(b.table, b.column) for b in resumed}
    created = {
        QualifiedName(op.schema_name, op.table_name)
        for op in operations
        if isinstance(op, CreateTable)
    }
    referenced = {
        (op.constraint.referenced_table, frozenset(op.constraint.referenced_columns))
        for op in operations
        if isinstance(op, CreateForeignKey)
    }

    def existing(op: MigrationOperation) -> QualifiedName | None:
        table = _table(op)
        return None if table is None or table in created else table

    def needed_by_new_key(op: CreateIndex, table: QualifiedName) -> bool:
        columns = frozenset(e.column for e in op.columns if e.column is not None)
        return op.unique and op.where is None and (table, columns) in referenced

    # Index names the first phase creates (a kept index, or a key's or unique constraint's
    # own index): a drop of that name must stay before it there.
    kept = {
        (op.schema_name, op.index_name)
        for op in operations
        if isinstance(op, CreateIndex)
        and (table := existing(op)) is not None
        and (op.concurrently or needed_by_new_key(op, table))
    } | {
        (op.schema_name, op.constraint.name)
        for op in operations
        if isinstance(op, AddPrimaryKey | CreateUniqueConstraint | CreateExclusionConstraint)
    }
    split = _Split()
    drop_phases: list[Phase] = []
    for op in operations:
        table = existing(op)
        plain = table is not None and table not in partitions
        if isinstance(op, CreateIndex) and table is not None and not op.concurrently:
            if needed_by_new_key(op, table):
                split.catalog.append(op)
            else:
                split.concurrent.extend(_index_phases(op, partitions.get(table)))
        elif (
            isinstance(op, DropIndex)
            and plain
            and not op.concurrently
            and (op.schema_name, op.index_name) not in kept
        ):
            drop_phases.append(
                Phase(
                    "concurrent",
                    f"{op.describe()}, concurrently",
                    tuple(operation_sql(attrs.evolve(op, concurrently=True))),
                    "SHARE UPDATE EXCLUSIVE (reads and writes go on)",
                )
            )
        elif isinstance(op, CreateForeignKey | CreateCheckConstraint) and plain and op.checks_rows:
            assert table is not None
            split.catalog.append(attrs.evolve(op, not_valid=True))
            what = "foreign key" if isinstance(op, CreateForeignKey) else "check constraint"
            split.validate.append(_validate_phase(table, op.constraint.name, what))
        elif isinstance(op, AlterConstraint) and plain and op.changes == ("validate",):
            assert table is not None
            split.validate.append(_validate_phase(table, op.constraint_name, "constraint"))
        elif (
            isinstance(op, AlterColumn)
            and plain
            and table is not None
            and swappable(op, table, facts)
            and not _indexed_or_constrained(operations, table, op.column_name)
        ):
            _swap_phases(op, table, facts.primary_keys[table], split)
        elif (
            isinstance(op, AddColumn)
            and plain
            and table is not None
            and backfilled(op, table, facts)
        ):
            _backfill_phases(op, table, facts.primary_keys[table], split)
        elif isinstance(op, AlterColumn) and plain and _sets_not_null_alone(op):
            _not_null_phases(op, split, late=(table, op.column_name) in refilled)
        else:
            split.catalog.append(op)
    phases: list[Phase] = []
    statements = (*plan_sql(split.catalog), *split.catalog_extra)
    if statements:
        count = len(statements)
        phases.append(
            Phase(
                "catalog",
                f"Catalog changes ({count} statement{'s' if count != 1 else ''}; constraints "
                "on existing tables NOT VALID)",
                statements,
                "ACCESS EXCLUSIVE, briefly (no scan or rewrite of existing rows)",
            )
        )
    split.backfill[:0] = [_backfill_phase(b) for b in resumed]
    if split.late_checks:
        split.backfill.append(
            Phase(
                "catalog",
                "NOT NULL checks of the backfilled columns, NOT VALID",
                tuple(split.late_checks),
                "ACCESS EXCLUSIVE, briefly (no scan)",
            )
        )
    return [
        *phases,
        *drop_phases,
        *split.concurrent,
        *split.backfill,
        *split.validate,
        *split.not_null,
        *split.swap,
    ]
