"""Which operations must run before which, from the database's own dependencies.

Pure and synchronous. The phases of :mod:`.order` put each kind of operation where it
usually belongs; the dependencies read from ``pg_depend`` (:attr:`Catalog.dependencies`)
say where an object's drop or creation must go for *this* database: a function dropped
after the domain whose check calls it, an aggregate before its state function, a table
after the domain of one of its columns. An operation *removes* or *creates* an object
(named by an :class:`ObjectRef`), with every part of it: a table's columns, constraints,
indexes and triggers, a domain's checks, whatever goes away with it (``auto`` edges).

* An object that depends (``normal``) on another is dropped first: the live database's
  dependencies order the drops.
* An object is created after what it depends on: the target's dependencies (known when the
  target was read from a database) order the creations.
* An object dropped and created again is dropped first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

from linkgress_async.catalog import Dependency, ObjectRef
from linkgress_async.catalog.routines import calls_function
from linkgress_async.ops import (
    AddColumn,
    AddDomainConstraint,
    AddPrimaryKey,
    CreateAggregate,
    CreateCheckConstraint,
    CreateCompositeType,
    CreateDomain,
    CreateEnum,
    CreateExtension,
    CreateForeignKey,
    CreateFunction,
    CreateIndex,
    CreateMaterializedView,
    CreateSequence,
    CreateTable,
    CreateUniqueConstraint,
    CreateView,
    DropAggregate,
    DropCheckConstraint,
    DropColumn,
    DropCompositeType,
    DropDomain,
    DropDomainConstraint,
    DropEnum,
    DropExtension,
    DropForeignKey,
    DropFunction,
    DropIndex,
    DropMaterializedView,
    DropPrimaryKey,
    DropSequence,
    DropTable,
    DropUniqueConstraint,
    DropView,
    MigrationOperation,
    RebuildDomain,
    RebuildEnum,
)

__all__ = ["created_object", "ordering_edges", "removed_object"]

# Objects whose parts are named after them: (schema, name) of a part is its owner's.
_OWNER_KINDS = frozenset({"table", "view", "materialized_view", "domain"})
# Dropping a table drops all its parts; creating one creates its columns and the
# constraints of CREATE TABLE (or CREATE DOMAIN), while its triggers, policies, foreign keys
# and indexes are created by operations of their own.
_DROPPED_PARTS = frozenset({"column", "constraint", "trigger", "policy", "domain_constraint"})
_CREATED_PARTS = frozenset({"column", "constraint", "domain_constraint"})


def _constraint(schema: str, table: str, name: str) -> ObjectRef:
    return ObjectRef("constraint", schema, table, name)


def removed_object(op: MigrationOperation) -> ObjectRef | None:
    """The object ``op`` drops (with its parts), if it drops one."""
    match op:
        case DropTable():
            return ObjectRef.of_table(op.schema_name, op.table_name)
        case DropColumn():
            return ObjectRef.of_column(op.schema_name, op.table_name, op.column_name)
        case DropView():
            return ObjectRef("view", op.schema_name, op.view_name)
        case DropMaterializedView():
            return ObjectRef("materialized_view", op.schema_name, op.view_name)
        case DropFunction():
            return ObjectRef(op.kind, op.schema_name, op.function_name, op.identity_args)
        case DropAggregate():
            return ObjectRef("aggregate", op.schema_name, op.aggregate_name, op.identity_args)
        case DropEnum() | RebuildEnum():
            return ObjectRef("type", op.schema_name, op.enum_name)
        case DropSequence():
            return ObjectRef("sequence", op.schema_name, op.sequence_name)
        case DropDomain() | RebuildDomain():
            return ObjectRef("domain", op.schema_name, op.domain_name)
        case DropCompositeType():
            return ObjectRef("type", op.schema_name, op.type_name)
        case DropExtension():
            return ObjectRef("extension", None, op.extension_name)
        case DropIndex():
            return ObjectRef("index", op.schema_name, op.index_name)
        case DropCheckConstraint() | DropUniqueConstraint() | DropPrimaryKey() | DropForeignKey():
            return _constraint(op.schema_name, op.table_name, op.constraint_name)
        case DropDomainConstraint():
            return ObjectRef(
                "domain_constraint", op.schema_name, op.domain_name, op.constraint_name
            )
        case _:
            return None


def created_object(op: MigrationOperation) -> ObjectRef | None:
    """The object ``op`` creates (with its parts), if it creates one."""
    match op:
        case CreateTable():
            return ObjectRef.of_table(op.schema_name, op.table_name)
        case AddColumn():
            return ObjectRef.of_column(op.schema_name, op.table_name, op.column_name)
        case CreateView():
            return ObjectRef("view", op.schema_name, op.view_name)
        case CreateMaterializedView():
            return ObjectRef("materialized_view", op.schema_name, op.view_name)
        case CreateFunction() if op.previous is None and op.function.identity_args is not None:
            kind = op.function.kind
            return ObjectRef(kind, op.schema_name, op.function_name, op.function.identity_args)
        case CreateAggregate() if op.previous is None:
            identity = op.aggregate.identity_args
            return ObjectRef("aggregate", op.schema_name, op.aggregate_name, identity)
        case CreateEnum() | RebuildEnum():
            return ObjectRef("type", op.schema_name, op.enum_name)
        case CreateSequence():
            return ObjectRef("sequence", op.schema_name, op.sequence_name)
        case CreateDomain() | RebuildDomain():
            return ObjectRef("domain", op.schema_name, op.domain_name)
        case CreateCompositeType():
            return ObjectRef("type", op.schema_name, op.type_name)
        case CreateExtension():
            return ObjectRef("extension", None, op.extension_name)
        case CreateIndex():
            return ObjectRef("index", op.schema_name, op.index_name)
        case CreateCheckConstraint() | CreateUniqueConstraint() | CreateForeignKey():
            return _constraint(op.schema_name, op.table_name, op.constraint.name)
        case AddPrimaryKey():
            return _constraint(op.schema_name, op.table_name, op.constraint.name)
        case AddDomainConstraint():
            name = op.constraint.name
            return ObjectRef("domain_constraint", op.schema_name, op.domain_name, name)
        case _:
            return None


class _Carriers:
    """Which operations take an object with them (drop it or create it), given the objects
    the operations name and the ``auto`` dependencies of one catalog."""

    def __init__(
        self,
        named: Mapping[ObjectRef, list[int]],
        dependencies: Iterable[Dependency],
        parts: frozenset[str],
    ) -> None:
        self._named = named
        self._parts = parts
        self._by_owner: dict[tuple[str, str], list[int]] = defaultdict(list)
        for ref, indexes in named.items():
            if ref.kind in _OWNER_KINDS and ref.schema is not None and ref.member is None:
                self._by_owner[(ref.schema, ref.name)].extend(indexes)
        self._parents: dict[ObjectRef, list[ObjectRef]] = defaultdict(list)
        for dependency in dependencies:
            if dependency.kind == "auto":
                self._parents[dependency.dependent].append(dependency.referenced)
        self._memo: dict[ObjectRef, frozenset[int]] = {}

    def of(self, ref: ObjectRef) -> frozenset[int]:
        """The operations that drop (or create) ``ref``: itself, its owner, or what it goes
        away with."""
        known = self._memo.get(ref)
        if known is not None:
            return known
        self._memo[ref] = frozenset()  # a cycle of auto edges ends here
        carriers = set(self._named.get(ref, ()))
        owner = Dependency.owner(ref) if ref.kind in self._parts else None
        if owner is not None:
            carriers.update(self._by_owner.get(owner, ()))
        for parent in self._parents.get(ref, ()):
            carriers.update(self.of(parent))
        result = frozenset(carriers)
        self._memo[ref] = result
        return result


def _index(
    operations: Sequence[MigrationOperation],
    object_of: Callable[[MigrationOperation], ObjectRef | None],
) -> dict[ObjectRef, list[int]]:
    """The positions of the operations that name each object."""
    named: dict[ObjectRef, list[int]] = defaultdict(list)
    for number, op in enumerate(operations):
        ref = object_of(op)
        if ref is not None:
            named[ref].append(number)
    return named


def ordering_edges(
    operations: Sequence[MigrationOperation],
    current: Iterable[Dependency],
    target: Iterable[Dependency],
) -> Iterator[tuple[int, int]]:
    """``(before, after)`` pairs of positions in ``operations`` that must run in that order."""
    yield from _called_function_edges(operations)
    removed = _index(operations, removed_object)
    created = _index(operations, created_object)
    if not removed and not created:
        return
    current = list(current)
    if removed and current:
        dropping = _Carriers(removed, current, _DROPPED_PARTS)
        for dependency in current:
            if dependency.kind != "normal":
                continue
            users = dropping.of(dependency.dependent)
            used = dropping.of(dependency.referenced)
            yield from ((u, o) for u in users for o in used if u != o)
    target = list(target)
    if created and target:
        creating = _Carriers(created, target, _CREATED_PARTS)
        for dependency in target:
            if dependency.kind != "normal":
                continue
            users = creating.of(dependency.dependent)
            used = creating.of(dependency.referenced)
            yield from ((o, u) for u in users for o in used if u != o)
    for ref, drops in removed.items():
        for number in created.get(ref, ()):
            yield from ((drop, number) for drop in drops if drop != number)


def _called_function_edges(operations: Sequence[MigrationOperation]) -> Iterator[tuple[int, int]]:
    """An index whose expression calls a function the plan creates waits for it: a model
    has no ``pg_depend`` to say so (``ix_normalized`` keys call ``search_normalize``)."""
    functions = [
        (number, op)
        for number, op in enumerate(operations)
        if isinstance(op, CreateFunction) and op.function.kind == "function"
    ]
    if not functions:
        return
    for number, op in enumerate(operations):
        if not isinstance(op, CreateIndex):
            continue
        expressions = "\n".join(e.expression for e in op.columns if e.expression is not None)
        if not expressions:
            continue
        for before, function in functions:
            if calls_function(expressions, function.schema_name, function.function_name):
                yield before, number
