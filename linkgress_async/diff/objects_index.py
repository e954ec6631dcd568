"""Objects by :class:`~linkgress_async.catalog.ObjectRef`: which exist in a catalog, and what
a plan's operations do to them.

The comparator of comments, privileges and owners (:mod:`.attached`) needs both: it acts
only on objects the target has (an object the plan drops takes its comment along), it must
follow the plan's renames, and an object the plan drops and creates again has lost its
comment, privileges and owner, which must then be set again.

To teach it a new kind of object: give :class:`TargetObjects` a branch that says whether
the target has one, and :func:`plan_effects` the renames and drops of its operations.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Sequence

import attrs
from attrs import frozen

from linkgress_async.catalog import (
    SERIAL_STORAGE_TYPES,
    Catalog,
    MaterializedView,
    ObjectRef,
    Table,
    View,
)
from linkgress_async.diff.order import order_operations
from linkgress_async.ops import (
    DropCheckConstraint,
    DropColumn,
    DropEnum,
    DropForeignKey,
    DropFunction,
    DropIndex,
    DropPolicy,
    DropPrimaryKey,
    DropSchema,
    DropSequence,
    DropTable,
    DropTrigger,
    DropUniqueConstraint,
    DropView,
    MigrationOperation,
    RebuildEnum,
    RenameColumn,
    RenameConstraint,
    RenameEnum,
    RenameIndex,
    RenamePolicy,
    RenameTable,
    RenameTrigger,
)

__all__ = ["PlanEffects", "TargetObjects", "plan_effects"]

# Kinds that live on a relation and are named by it (schema, relation name, member).
_ON_RELATION = frozenset(("table", "view", "column", "constraint", "trigger", "policy"))


def _table_indexes(table: Table) -> list[str]:
    """The names of the indexes a table has, including those behind its constraints."""
    names = [i.name for i in table.indexes]
    names += [u.name for u in table.uniques] + [x.name for x in table.exclusions]
    if table.primary_key is not None:
        names.append(table.primary_key.name)
    return names


def _column_sequences(table: Table) -> list[str]:
    """The names of the sequences that belong to the table's serial and identity columns."""
    names: list[str] = []
    for column in table.columns:
        if column.identity is not None:
            names.append(column.identity.sequence_name or f"{table.name}_{column.name}_seq")
        elif column.data_type in SERIAL_STORAGE_TYPES:
            names.append(f"{table.name}_{column.name}_seq")
    return names


class TargetObjects:
    """Which objects a catalog has, looked up by reference (indexes built on first use)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._built: dict[str, set[tuple[str | None, str, str | None]]] = {}

    @functools.cached_property
    def _relations(self) -> dict[tuple[str, str], Table | View | MaterializedView]:
        found: dict[tuple[str, str], Table | View | MaterializedView] = {}
        found.update({(t.schema, t.name): t for t in self.catalog.tables})
        found.update({(v.schema, v.name): v for v in self.catalog.views})
        found.update({(m.schema, m.name): m for m in self.catalog.materialized_views})
        return found

    def _named(self, kind: str) -> set[tuple[str | None, str, str | None]]:
        """(schema, name, member) of the catalog's objects of ``kind``, built once per kind."""
        found = self._built.get(kind)
        if found is None:
            found = self._built[kind] = set(self._build(kind))
        return found

    def _build(self, kind: str) -> Iterator[tuple[str | None, str, str | None]]:
        c = self.catalog
        match kind:
            case "schema":
                yield from ((None, s, None) for s in c.schemas)
            case "extension":
                yield from ((None, e.name, None) for e in c.extensions)
            case "type":
                yield from ((e.schema, e.name, None) for e in c.enums)
                yield from ((t.schema, t.name, None) for t in c.composite_types)
            case "domain":
                yield from ((d.schema, d.name, None) for d in c.domains)
            case "domain_constraint":
                yield from ((d.schema, d.name, x.name) for d in c.domains for x in d.checks)
            case "sequence":
                yield from ((s.schema, s.name, None) for s in c.sequences)
                for t in c.tables:
                    yield from ((t.schema, s, None) for s in _column_sequences(t))
            case "table":
                yield from ((t.schema, t.name, None) for t in c.tables)
            case "view":
                yield from ((v.schema, v.name, None) for v in c.views)
            case "materialized_view":
                yield from ((m.schema, m.name, None) for m in c.materialized_views)
            case "index":
                for t in c.tables:
                    yield from ((t.schema, i, None) for i in _table_indexes(t))
                for m in c.materialized_views:
                    yield from ((m.schema, i.name, None) for i in m.indexes)
            case "function" | "procedure":
                yield from (
                    (f.schema, f.name, f.identity_args) for f in c.functions if f.kind == kind
                )
            case "aggregate":
                yield from ((a.schema, a.name, a.identity_args) for a in c.aggregates)
            case _:
                return

    def __contains__(self, ref: ObjectRef) -> bool:
        relation = self._relations.get((ref.schema, ref.name)) if ref.schema is not None else None
        match ref.kind:
            case "column":
                if isinstance(relation, Table):
                    return ref.member is not None and relation.column(ref.member) is not None
                if relation is not None:
                    return True  # views keep no column list: their columns come with them
                return any(
                    t.schema == ref.schema
                    and t.name == ref.name
                    and any(a.name == ref.member for a in t.attributes)
                    for t in self.catalog.composite_types
                )
            case "constraint":
                if not isinstance(relation, Table):
                    return False
                names = {u.name for u in relation.uniques} | {c.name for c in relation.checks}
                names |= {f.name for f in relation.foreign_keys}
                names |= {x.name for x in relation.exclusions}
                if relation.primary_key is not None:
                    names.add(relation.primary_key.name)
                return ref.member in names
            case "trigger":
                if not isinstance(relation, Table | View):
                    return False
                return any(t.name == ref.member for t in relation.triggers)
            case "policy":
                return isinstance(relation, Table) and any(
                    p.name == ref.member for p in relation.policies
                )
            case "statistics":
                return False  # not modelled: never created, so never commented or granted
            case kind:
                return (ref.schema, ref.name, ref.member) in self._named(kind)


@frozen
class PlanEffects:
    """What a plan does to objects: where renames move them, and which it drops."""

    moves: tuple[Callable[[ObjectRef], ObjectRef], ...]
    dropped: frozenset[ObjectRef]
    dropped_relations: frozenset[tuple[str, str]]
    """Relations dropped with everything on them (columns, constraints, triggers...)."""
    dropped_schemas: frozenset[str]

    def moved(self, ref: ObjectRef) -> ObjectRef:
        """Where ``ref`` is once the plan's renames ran."""
        for move in self.moves:
            ref = move(ref)
        return ref

    def drops(self, ref: ObjectRef) -> bool:
        """Whether the plan drops the object ``ref`` names (after its renames)."""
        if ref in self.dropped:
            return True
        if ref.schema is None:
            return ref.kind == "schema" and ref.name in self.dropped_schemas
        if ref.schema in self.dropped_schemas:
            return True
        return ref.kind in _ON_RELATION and (ref.schema, ref.name) in self.dropped_relations


def _rename_relation(schema: str, old: str, new: str) -> Callable[[ObjectRef], ObjectRef]:
    def move(ref: ObjectRef) -> ObjectRef:
        if ref.schema == schema and ref.name == old and ref.kind in _ON_RELATION:
            return attrs.evolve(ref, name=new)
        return ref

    return move


def _rename(before: ObjectRef, after: ObjectRef) -> Callable[[ObjectRef], ObjectRef]:
    def move(ref: ObjectRef) -> ObjectRef:
        return after if ref == before else ref

    return move


def _moves(operations: Iterable[MigrationOperation]) -> list[Callable[[ObjectRef], ObjectRef]]:
    moves: list[Callable[[ObjectRef], ObjectRef]] = []
    # In the order they run: a column is renamed by its table's new name.
    for op in order_operations(operations):
        match op:
            case RenameTable():
                moves.append(_rename_relation(op.schema_name, op.table_name, op.new_name))
            case RenameEnum():
                moves.append(
                    _rename(
                        ObjectRef("type", op.schema_name, op.enum_name),
                        ObjectRef("type", op.schema_name, op.new_name),
                    )
                )
            case RenameColumn():
                moves.append(
                    _rename(
                        ObjectRef.of_column(op.schema_name, op.table_name, op.column_name),
                        ObjectRef.of_column(op.schema_name, op.table_name, op.new_name),
                    )
                )
            case RenameConstraint():
                on = (op.schema_name, op.table_name)
                moves.append(
                    _rename(
                        ObjectRef("constraint", *on, op.constraint_name),
                        ObjectRef("constraint", *on, op.new_name),
                    )
                )
                # A key's index carries its constraint's name and is renamed along.
                moves.append(
                    _rename(
                        ObjectRef("index", op.schema_name, op.constraint_name),
                        ObjectRef("index", op.schema_name, op.new_name),
                    )
                )
            case RenameIndex():
                moves.append(
                    _rename(
                        ObjectRef("index", op.schema_name, op.index_name),
                        ObjectRef("index", op.schema_name, op.new_name),
                    )
                )
            case RenameTrigger():
                on = (op.schema_name, op.table_name)
                moves.append(
                    _rename(
                        ObjectRef("trigger", *on, op.trigger_name),
                        ObjectRef("trigger", *on, op.new_name),
                    )
                )
            case RenamePolicy():
                on = (op.schema_name, op.table_name)
                moves.append(
                    _rename(
                        ObjectRef("policy", *on, op.policy_name),
                        ObjectRef("policy", *on, op.new_name),
                    )
                )
            case _:
                pass
    return moves


def plan_effects(operations: Sequence[MigrationOperation], current: Catalog) -> PlanEffects:
    """The renames and drops of ``operations``, in the names objects have after the renames.

    ``current`` is the live catalog (with the plan's renames applied), for what a dropped
    table takes along.
    """
    # Triggers and policies are dropped before the renames, by their tables' old names.
    renamed_to = {
        (op.schema_name, op.table_name): op.new_name
        for op in operations
        if isinstance(op, RenameTable)
    }
    dropped: set[ObjectRef] = set()
    relations: set[tuple[str, str]] = set()
    schemas: set[str] = set()

    def after_renames(schema: str, table: str) -> str:
        return renamed_to.get((schema, table), table)

    for op in operations:
        match op:
            case DropTable():
                relations.add((op.schema_name, op.table_name))
                gone = op.table or current.table(op.schema_name, op.table_name)
                if gone is not None:
                    dropped.update(
                        ObjectRef("index", op.schema_name, i) for i in _table_indexes(gone)
                    )
            case DropView():
                relations.add((op.schema_name, op.view_name))
            case DropColumn():
                dropped.add(ObjectRef.of_column(op.schema_name, op.table_name, op.column_name))
            case DropIndex():
                dropped.add(ObjectRef("index", op.schema_name, op.index_name))
            case DropPrimaryKey() | DropUniqueConstraint():
                dropped.add(
                    ObjectRef("constraint", op.schema_name, op.table_name, op.constraint_name)
                )
                dropped.add(ObjectRef("index", op.schema_name, op.constraint_name))
            case DropCheckConstraint() | DropForeignKey():
                dropped.add(
                    ObjectRef("constraint", op.schema_name, op.table_name, op.constraint_name)
                )
            case DropFunction():
                for kind in ("function", "procedure"):
                    dropped.add(ObjectRef(kind, op.schema_name, op.function_name, op.identity_args))
            case DropEnum() | RebuildEnum():
                dropped.add(ObjectRef("type", op.schema_name, op.enum_name))
            case DropSequence():
                dropped.add(ObjectRef("sequence", op.schema_name, op.sequence_name))
            case DropTrigger():
                on = after_renames(op.schema_name, op.table_name)
                dropped.add(ObjectRef("trigger", op.schema_name, on, op.trigger_name))
            case DropPolicy():
                on = after_renames(op.schema_name, op.table_name)
                dropped.add(ObjectRef("policy", op.schema_name, on, op.policy_name))
            case DropSchema():
                schemas.add(op.schema_name)
            case _:
                pass
    return PlanEffects(
        tuple(_moves(operations)), frozenset(dropped), frozenset(relations), frozenset(schemas)
    )
