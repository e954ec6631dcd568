"""Comparator for tables: columns, primary key, unique, check and exclusion constraints,
foreign keys, indexes, storage parameters and persistence. :mod:`.constraints` decides which
constraint changes are made in place; partitions and inheritance go through
:mod:`.hierarchy`.

Besides the objects that differ, some unchanged objects must be dropped and created again
because a change they depend on would otherwise fail or remove them silently:

* a column replaced by drop + add takes its indexes and constraints with it;
* a foreign key cannot outlive the key it references, nor a type change of its columns;
* indexes with expressions, checks and exclusion constraints on a table whose enum column
  is rebuilt refer to the old type;
* a table whose partitioning changes is dropped and created again, and the foreign keys
  referencing it with it.

Tables in a hierarchy are compared as :mod:`.hierarchy` says they will be when their own
operations run, and operations come parents first (children first for drops), as PostgreSQL
passes a parent's changes down and clones its indexes and keys onto partitions.
"""

from __future__ import annotations

import graphlib
import re
from collections.abc import Callable, Iterable
from typing import TypeVar

import attrs
from attrs import frozen

from linkgress_async.catalog import (
    Catalog,
    CheckConstraint,
    Column,
    ExclusionConstraint,
    ForeignKey,
    Index,
    QualifiedName,
    Table,
    UniqueConstraint,
    storage_type,
)
from linkgress_async.catalog.comparisons import same_table
from linkgress_async.diff.constraints import altered_constraint, altered_index_options
from linkgress_async.diff.context import DiffContext
from linkgress_async.diff.hierarchy import Hierarchy, plan_hierarchy
from linkgress_async.ops import (
    AddColumn,
    AddPrimaryKey,
    AlterColumn,
    CreateCheckConstraint,
    CreateExclusionConstraint,
    CreateForeignKey,
    CreateIndex,
    CreateTable,
    CreateUniqueConstraint,
    DropCheckConstraint,
    DropColumn,
    DropExclusionConstraint,
    DropForeignKey,
    DropIndex,
    DropPrimaryKey,
    DropTable,
    DropUniqueConstraint,
    MigrationOperation,
    ReplaceGeneratedColumn,
    SetTableLogged,
    SetTableOptions,
)

__all__ = ["diff_tables"]


@frozen
class _ColumnRef:
    table: QualifiedName
    column: str


def _key(table: QualifiedName, columns: Iterable[str]) -> tuple[QualifiedName, frozenset[str]]:
    return table, frozenset(columns)


class _TableDiff:
    """Accumulates the operations of one table pair and what other tables must know."""

    def __init__(
        self,
        old: Table,
        new: Table,
        context: DiffContext,
        rebuilt_enum: bool,
        hierarchy: Hierarchy | None = None,
    ) -> None:
        self.old, self.new, self.context = old, new, context
        self.name = old.qualified_name
        self.operations: list[MigrationOperation] = []
        self.replaced_columns: set[str] = set()
        self.retyped_columns: set[str] = set()
        self.rebuilt_enum = rebuilt_enum
        self.hierarchy = hierarchy if hierarchy is not None else Hierarchy()

    def properties(self) -> None:
        """Storage parameters and persistence."""
        schema, table = self.name.schema, self.name.name
        # A set: the order they were set in is kept for pg_dump, not compared.
        if sorted(self.old.options) != sorted(self.new.options):
            self.operations.append(
                SetTableOptions(table, schema, self.old.options, self.new.options)
            )
        if self.old.unlogged != self.new.unlogged:
            self.operations.append(SetTableLogged(table, schema, not self.new.unlogged))

    def _drop_column(self, column: Column) -> DropColumn:
        key = (self.name, column.name)
        only = key in self.hierarchy.drop_only
        inheritors = self.hierarchy.inheritors.get(key, ())
        return DropColumn(self.name.name, column.name, self.name.schema, column, only, inheritors)

    def columns(self) -> None:
        new_columns = {c.name: c for c in self.new.columns}
        for old in self.old.columns:
            new = new_columns.get(old.name)
            if new is None:
                self.operations.append(self._drop_column(old))
            elif new != old:
                self._changed_column(old, new)
        schema, table = self.name.schema, self.name.name
        old_names = {c.name for c in self.old.columns}
        for new in self.new.columns:
            if new.name not in old_names:
                self.operations.append(AddColumn(table, new.name, new, schema))
        self._regenerate_users()

    def _regenerate_users(self) -> None:
        """Give each type change the generated columns computed from the retyped column
        (PostgreSQL refuses the change while they exist), in their new shape; they are then
        not altered or replaced on their own."""
        new_columns = {c.name: c for c in self.new.columns}
        users_of = {
            old.name: new_columns[old.name]
            for old in self.old.columns
            if old.generated is not None
            and old.name in new_columns
            and new_columns[old.name].generated is not None
        }
        old_generated = {c.name: c for c in self.old.columns if c.name in users_of}
        added_generated = [
            op.column
            for op in self.operations
            if isinstance(op, AddColumn) and op.column.generated is not None
        ]
        taken: set[str] = set()
        added: set[str] = set()
        for index, op in enumerate(self.operations):
            if not isinstance(op, AlterColumn) or "type" not in op.changes:
                continue
            users = tuple(
                users_of[name]
                for name, old in old_generated.items()
                if name not in taken and _uses_column(old, op.column_name)
            )
            later = tuple(
                c
                for c in added_generated
                if c.name not in added and _uses_column(c, op.column_name)
            )
            if users or later:
                taken.update(c.name for c in users)
                added.update(c.name for c in later)
                self.operations[index] = attrs.evolve(op, regenerated=users, added_after=later)
        if added:
            self.operations = [
                op
                for op in self.operations
                if not (isinstance(op, AddColumn) and op.column.name in added)
            ]
        if taken:
            self.replaced_columns.update(taken)
            self.operations = [
                op
                for op in self.operations
                if not (
                    isinstance(op, AlterColumn | ReplaceGeneratedColumn) and op.column_name in taken
                )
            ]

    def _changed_column(self, old: Column, new: Column) -> None:
        schema, table = self.name.schema, self.name.name
        if _regenerates(old, new, self.context):
            self.replaced_columns.add(old.name)
            self.operations.append(ReplaceGeneratedColumn(table, old.name, old, new, schema))
            return
        old_type, new_type = storage_type(old.data_type), storage_type(new.data_type)
        if old_type != new_type and not self.context.castable(old_type, new_type):
            self.replaced_columns.add(old.name)
            self.operations.append(DropColumn(table, old.name, schema, old))
            self.operations.append(AddColumn(table, new.name, new, schema))
            return
        if old_type != new_type:
            self.retyped_columns.add(old.name)
        self.operations.append(AlterColumn(table, old.name, old, new, schema))

    def _touches_replaced(self, columns: Iterable[str]) -> bool:
        return bool(self.replaced_columns.intersection(columns))

    def keys_and_constraints(self) -> list[tuple[QualifiedName, frozenset[str]]]:
        """Compare the primary key, uniques, checks; return the keys that are dropped."""
        schema, table = self.name.schema, self.name.name
        dropped_keys: list[tuple[QualifiedName, frozenset[str]]] = []
        old_pk, new_pk = self.old.primary_key, self.new.primary_key
        touched = old_pk is not None and self._touches_replaced(old_pk.columns)
        in_place = (
            altered_index_options(table, schema, old_pk, new_pk)
            if old_pk is not None and new_pk is not None and old_pk != new_pk and not touched
            else None
        )
        if in_place is not None:
            self.operations.append(in_place)
        elif old_pk != new_pk or touched:
            if old_pk is not None:
                self.operations.append(DropPrimaryKey(table, old_pk.name, schema, old_pk))
                dropped_keys.append(_key(self.name, old_pk.columns))
            if new_pk is not None:
                self.operations.append(AddPrimaryKey(table, new_pk, schema))

        def recreate_unique(u: UniqueConstraint) -> bool:
            return self._touches_replaced(u.columns)

        for old_u, new_u in _pairs(self.old.uniques, self.new.uniques, recreate_unique):
            if old_u is not None and new_u is not None and not recreate_unique(old_u):
                in_place = altered_index_options(table, schema, old_u, new_u)
                if in_place is not None:
                    self.operations.append(in_place)
                    continue
            if old_u is not None:
                self.operations.append(DropUniqueConstraint(table, old_u.name, schema, old_u))
                dropped_keys.append(_key(self.name, old_u.columns))
            if new_u is not None:
                self.operations.append(CreateUniqueConstraint(table, new_u, schema))

        # A check may mention any column, so any replaced column or rebuilt enum recreates it.
        def recreate_check(_c: CheckConstraint) -> bool:
            return bool(self.replaced_columns) or self.rebuilt_enum

        for old_c, new_c in _pairs(self.old.checks, self.new.checks, recreate_check):
            if old_c is not None and new_c is not None and not recreate_check(old_c):
                altered = altered_constraint(table, schema, old_c, new_c)
                if altered is not None:
                    self.operations.append(altered)
                    continue
            if old_c is not None:
                self.operations.append(DropCheckConstraint(table, old_c.name, schema, old_c))
            if new_c is not None:
                self.operations.append(CreateCheckConstraint(table, new_c, schema))

        def recreate_exclusion(_x: ExclusionConstraint) -> bool:
            return bool(self.replaced_columns) or self.rebuilt_enum

        for old_x, new_x in _pairs(self.old.exclusions, self.new.exclusions, recreate_exclusion):
            if old_x is not None:
                self.operations.append(DropExclusionConstraint(table, old_x.name, schema, old_x))
            if new_x is not None:
                self.operations.append(CreateExclusionConstraint(table, new_x, schema))
        return dropped_keys

    def indexes(self) -> list[tuple[QualifiedName, frozenset[str]]]:
        """Compare indexes; return the unique keys whose index is dropped."""
        schema, table = self.name.schema, self.name.name
        dropped_keys: list[tuple[QualifiedName, frozenset[str]]] = []

        def recreate(index: Index) -> bool:
            has_expression = index.where is not None or any(
                e.expression is not None for e in index.elements
            )
            if has_expression and (self.replaced_columns or self.rebuilt_enum):
                return True
            columns = [e.column for e in index.elements if e.column] + list(index.include)
            return self._touches_replaced(columns)

        for old_i, new_i in _pairs(self.old.indexes, self.new.indexes, recreate):
            if old_i is not None and new_i is not None and not recreate(old_i):
                in_place = altered_index_options(table, schema, old_i, new_i)
                if in_place is not None:
                    self.operations.append(in_place)
                    continue
            if old_i is not None:
                self.operations.append(DropIndex(table, old_i.name, schema, old_i))
                if old_i.unique:
                    columns = [e.column for e in old_i.elements if e.column is not None]
                    dropped_keys.append(_key(self.name, columns))
            if new_i is not None:
                self.operations.append(CreateIndex.of(schema, table, new_i))
        return dropped_keys


def _regenerates(old: Column, new: Column, context: DiffContext) -> bool:
    """Whether the column's generation changes in a way PostgreSQL cannot make in place.

    In place are: a stored column made regular (``DROP EXPRESSION``) and, from PostgreSQL
    17, a new expression of the same kind (``SET EXPRESSION``).
    """
    before, after = old.generated, new.generated
    if before == after:
        return False
    if before is None or after is None:
        return after is not None or before.kind == "virtual"  # type: ignore[union-attr]
    return before.kind != after.kind or not context.server_has(170000)


_Named = TypeVar(
    "_Named", UniqueConstraint, CheckConstraint, ExclusionConstraint, Index, ForeignKey
)


def _pairs(
    old: Iterable[_Named], new: Iterable[_Named], force: Callable[[_Named], bool]
) -> list[tuple[_Named | None, _Named | None]]:
    """(old, new) pairs to drop and/or create: removed, added, changed, or forced by name."""
    old_by_name = {o.name: o for o in old}
    new_by_name = {n.name: n for n in new}
    pairs: list[tuple[_Named | None, _Named | None]] = []
    for name, old_item in old_by_name.items():
        new_item = new_by_name.get(name)
        if new_item is None:
            pairs.append((old_item, None))
        elif new_item != old_item or force(old_item):
            pairs.append((old_item, new_item))
    pairs.extend((None, n) for name, n in new_by_name.items() if name not in old_by_name)
    return pairs


def _new_table_operations(table: Table) -> list[MigrationOperation]:
    schema, name = table.schema, table.name
    operations: list[MigrationOperation] = [CreateTable(name, schema, table)]
    # CREATE TABLE would validate a NOT VALID check: it is added on its own.
    operations.extend(
        CreateCheckConstraint(name, check, schema) for check in table.checks if check.not_valid
    )
    operations.extend(CreateForeignKey(name, fk, schema) for fk in table.foreign_keys)
    operations.extend(CreateIndex.of(schema, name, index) for index in table.indexes)
    return operations


def diff_tables(
    current: Catalog,
    target: Catalog,
    context: DiffContext,
    rebuilt_enums: set[QualifiedName] | None = None,
) -> list[MigrationOperation]:
    """Operations for every table that is added, removed or changed."""
    rebuilt_spellings = {context.enum_spelling(name) for name in rebuilt_enums or set()}
    hierarchy = plan_hierarchy(current, target, named_not_null=context.server_has(180000))
    existing = {t.qualified_name: t for t in current.tables}
    wanted = {t.qualified_name: t for t in target.tables}
    operations: list[MigrationOperation] = list(hierarchy.early)
    table_diffs: dict[QualifiedName, _TableDiff] = {}
    dropped_keys: set[tuple[QualifiedName, frozenset[str]]] = set()

    for name, old in existing.items():
        new = wanted.get(name)
        if new is None:
            operations.append(DropTable(old.name, old.schema, old))
            continue
        if name in hierarchy.replaced:
            # Partitioning cannot be changed in place: the table is created again (its
            # partitions were detached first), and keys referencing it with it.
            operations.append(DropTable(old.name, old.schema, old, recreated=True))
            operations.extend(_new_table_operations(new))
            dropped_keys.update(_keys_of(old))
            continue
        old = hierarchy.effective.get(name, old)
        new = hierarchy.guarded.get(name, new)
        uses_rebuilt = bool(rebuilt_spellings) and any(
            c.data_type.removesuffix("[]") in rebuilt_spellings for c in old.columns
        )
        table_diff = _TableDiff(old, new, context, uses_rebuilt, hierarchy)
        table_diffs[name] = table_diff
        if same_table(old, new) and not uses_rebuilt:
            # Fast path for the common case: an equal table yields no operation of its own
            # (only its foreign keys may still be invalidated by changes elsewhere).
            continue
        table_diff.columns()
        table_diff.properties()
        dropped_keys.update(table_diff.keys_and_constraints())
        dropped_keys.update(table_diff.indexes())
        operations.extend(table_diff.operations)

    for name, new in wanted.items():
        if name not in existing:
            operations.extend(_new_table_operations(new))

    operations.extend(hierarchy.late)
    operations.extend(_diff_foreign_keys(table_diffs, dropped_keys))
    return _hierarchy_order(operations, hierarchy, current)


def _keys_of(table: Table) -> list[tuple[QualifiedName, frozenset[str]]]:
    """The keys of ``table`` a foreign key can reference: primary, unique, unique indexes."""
    name = table.qualified_name
    keys = [_key(name, u.columns) for u in table.uniques]
    if table.primary_key is not None:
        keys.append(_key(name, table.primary_key.columns))
    keys += [
        _key(name, [e.column for e in i.elements if e.column is not None])
        for i in table.indexes
        if i.unique
    ]
    return keys


def _hierarchy_order(
    operations: list[MigrationOperation], hierarchy: Hierarchy, current: Catalog
) -> list[MigrationOperation]:
    """Parents' operations before their children's, but drops of tables children first (a
    parent's drop takes its partitions along); changes of persistence in an order foreign
    keys allow."""
    if hierarchy.depth:

        def depth(op: MigrationOperation) -> int:
            table = getattr(op, "table_name", None)
            if table is None:
                return 0
            value = hierarchy.depth_of(QualifiedName(getattr(op, "schema_name", ""), table))
            return -value if isinstance(op, DropTable) else value

        operations = sorted(operations, key=depth)
    return _persistence_order(operations, current)


def _persistence_order(
    operations: list[MigrationOperation], current: Catalog
) -> list[MigrationOperation]:
    """``SET UNLOGGED`` on tables that reference others first, ``SET LOGGED`` on referenced
    tables first: a logged table may not reference an unlogged one."""
    switching = [op for op in operations if isinstance(op, SetTableLogged)]
    if len(switching) < 2:
        return operations
    references: dict[QualifiedName, set[QualifiedName]] = {}
    for table in current.tables:
        references[table.qualified_name] = {fk.referenced_table for fk in table.foreign_keys}
    sorter: graphlib.TopologicalSorter[QualifiedName] = graphlib.TopologicalSorter()
    names = {QualifiedName(op.schema_name, op.table_name): op for op in switching}
    for name, op in names.items():
        others = references.get(name, set()) & names.keys() - {name}
        for other in others:
            # Becoming logged: what it references first; becoming unlogged: itself first.
            if op.logged:
                sorter.add(name, other)
            else:
                sorter.add(other, name)
        sorter.add(name)
    try:
        order = list(sorter.static_order())
    except graphlib.CycleError:
        return operations
    ordered = iter(names[name] for name in order)
    return [next(ordered) if isinstance(op, SetTableLogged) else op for op in operations]


def _diff_foreign_keys(
    table_diffs: dict[QualifiedName, _TableDiff],
    dropped_keys: set[tuple[QualifiedName, frozenset[str]]],
) -> list[MigrationOperation]:
    """Foreign keys of kept tables: changed ones, and those a change elsewhere invalidates."""
    unstable: set[_ColumnRef] = set()
    for name, table_diff in table_diffs.items():
        for column in table_diff.replaced_columns | table_diff.retyped_columns:
            unstable.add(_ColumnRef(name, column))

    def must_recreate(fk: ForeignKey, table: QualifiedName) -> bool:
        if _key(fk.referenced_table, fk.referenced_columns) in dropped_keys:
            return True
        if any(_ColumnRef(table, c) in unstable for c in fk.columns):
            return True
        return any(_ColumnRef(fk.referenced_table, c) in unstable for c in fk.referenced_columns)

    operations: list[MigrationOperation] = []
    for name, table_diff in table_diffs.items():
        old_fks, new_fks = table_diff.old.foreign_keys, table_diff.new.foreign_keys
        if (
            not dropped_keys
            and not unstable
            and (same_table(table_diff.old, table_diff.new) or old_fks == new_fks)
        ):
            continue  # nothing changed and nothing can force a re-creation

        def force(fk: ForeignKey, table: QualifiedName = name) -> bool:
            return must_recreate(fk, table)

        pairs = _pairs(table_diff.old.foreign_keys, table_diff.new.foreign_keys, force)
        for old_fk, new_fk in pairs:
            if old_fk is not None and new_fk is not None and not force(old_fk):
                altered = altered_constraint(name.name, name.schema, old_fk, new_fk)
                if altered is not None:
                    operations.append(altered)
                    continue
            if old_fk is not None:
                operations.append(DropForeignKey(name.name, old_fk.name, name.schema, old_fk))
            if new_fk is not None:
                operations.append(CreateForeignKey(name.name, new_fk, name.schema))
    return operations


def _uses_column(generated: Column, column: str) -> bool:
    """Whether the generation expression of ``generated`` names ``column`` (as the server
    spells it: bare when it can be, double-quoted otherwise)."""
    assert generated.generated is not None
    expression = generated.generated.expression
    quoted = '"' + column.replace('"', '""') + '"'
    bare = re.search(rf"(?<![\w$.\"]){re.escape(column)}(?![\w$\"])", expression)
    return quoted in expression or bare is not None
