"""Comparator for views and materialized views: relations defined by a query.

Pure and synchronous. Both sides are in the server's spelling (see ``canonical_routines``),
so equal queries compare equal. A view or materialized view whose query changes is dropped
and created again; its ``WITH`` options change in place (``ALTER VIEW ... SET/RESET``), and a
materialized view's indexes are diffed like a table's.

PostgreSQL refuses to change a column's type, or drop a column, a view uses, and to drop a
view or function another view uses. So every live view that uses a table the plan alters or
drops, a function or aggregate the plan drops, or a view the plan drops, is dropped first
(dependents before what they use) and created again once everything exists (what is used
first): the model's definition for a declared view, the live one for a view nobody declares.
Views and materialized views may use each other, so they form one graph.
"""

from __future__ import annotations

import graphlib
from collections.abc import Iterable, Mapping, Sequence

from linkgress_async.catalog import (
    Catalog,
    Index,
    MaterializedView,
    QualifiedName,
    View,
    storage_type,
)
from linkgress_async.ops import (
    AlterColumn,
    AlterViewOptions,
    CreateIndex,
    CreateMaterializedView,
    CreateView,
    DropColumn,
    DropIndex,
    DropMaterializedView,
    DropTable,
    DropView,
    MigrationOperation,
    RebuildDomain,
    RebuildEnum,
    RenameTable,
    ReplaceGeneratedColumn,
)

__all__ = ["Relation", "diff_views", "ordered", "touched_relations"]

Relation = View | MaterializedView
"""A relation defined by a query."""


def touched_relations(
    operations: Iterable[MigrationOperation],
) -> tuple[set[QualifiedName], set[QualifiedName]]:
    """(tables whose columns a view may no longer depend on, tables dropped) by ``operations``."""
    altered: set[QualifiedName] = set()
    dropped: set[QualifiedName] = set()
    for op in operations:
        match op:
            case DropTable():
                dropped.add(QualifiedName(op.schema_name, op.table_name))
            case DropColumn():
                altered.add(QualifiedName(op.schema_name, op.table_name))
            case AlterColumn() if (
                storage_type(op.from_.data_type) != storage_type(op.to.data_type)
                or op.from_.collation != op.to.collation
            ):
                altered.add(QualifiedName(op.schema_name, op.table_name))
            case ReplaceGeneratedColumn():
                altered.add(QualifiedName(op.schema_name, op.table_name))
            case RebuildEnum() | RebuildDomain():
                altered.update(QualifiedName(c.schema_name, c.table_name) for c in op.columns)
            case _:
                pass
    return altered, dropped


def _renamed(operations: Iterable[MigrationOperation]) -> dict[QualifiedName, QualifiedName]:
    """Old name -> new name of the tables the plan renames (live views name the old ones)."""
    return {
        QualifiedName(op.schema_name, op.table_name): QualifiedName(op.schema_name, op.new_name)
        for op in operations
        if isinstance(op, RenameTable)
    }


def ordered(
    names: Iterable[QualifiedName],
    depends: Mapping[QualifiedName, Iterable[QualifiedName]],
    position: Mapping[QualifiedName, tuple[int, QualifiedName]],
) -> list[QualifiedName]:
    """``names`` with what each depends on first (ties and cycles by ``position``)."""
    chosen = set(names)
    sorter: graphlib.TopologicalSorter[QualifiedName] = graphlib.TopologicalSorter()
    for name in chosen:
        sorter.add(name, *(d for d in depends.get(name, ()) if d in chosen and d != name))
    try:
        sorter.prepare()
    except graphlib.CycleError:
        return sorted(chosen, key=lambda n: position[n])
    result: list[QualifiedName] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready(), key=lambda n: position[n])
        result.extend(ready)
        sorter.done(*ready)
    return result


def _query_changed(old: Relation, new: Relation) -> bool:
    """Whether ``old`` must be dropped and created as ``new`` (not altered in place)."""
    return type(old) is not type(new) or old.definition != new.definition or not new.resolved


def _index_operations(old: MaterializedView, new: MaterializedView) -> list[MigrationOperation]:
    """Create, drop or recreate the indexes of a materialized view that stays."""
    live: dict[str, Index] = {i.name: i for i in old.indexes}
    wanted = {i.name: i for i in new.indexes}
    schema, name = new.schema, new.name
    operations: list[MigrationOperation] = []
    for index_name, index in live.items():
        if wanted.get(index_name) != index:
            operations.append(DropIndex(name, index_name, schema, index))
    for index_name, index in wanted.items():
        if live.get(index_name) != index:
            operations.append(CreateIndex.of(schema, name, index))
    return operations


def _in_place(old: Relation, new: Relation) -> list[MigrationOperation]:
    """What changes in place on a relation whose query stays: options, indexes."""
    operations: list[MigrationOperation] = []
    if old.options != new.options:
        materialized = isinstance(new, MaterializedView)
        operations.append(
            AlterViewOptions(new.name, new.schema, old.options, new.options, materialized)
        )
    if isinstance(old, MaterializedView) and isinstance(new, MaterializedView):
        operations.extend(_index_operations(old, new))
    return operations


def _drop(name: QualifiedName, live: Relation, recreated: bool) -> MigrationOperation:
    if isinstance(live, MaterializedView):
        return DropMaterializedView(name.name, name.schema, live, recreated)
    return DropView(name.name, name.schema, live, recreated)


def _create(name: QualifiedName, relation: Relation, restores: bool) -> MigrationOperation:
    if isinstance(relation, MaterializedView):
        return CreateMaterializedView(name.name, name.schema, relation, restores)
    return CreateView(name.name, name.schema, relation, restores)


def diff_views(
    current: Catalog,
    target: Catalog,
    operations: Sequence[MigrationOperation],
    dropped_routines: Iterable[QualifiedName] = (),
    gone_routines: Iterable[QualifiedName] = (),
) -> list[MigrationOperation]:
    """View and materialized view operations, given the plan's other ``operations`` (which
    views must make way for), the names of the functions and aggregates it drops, and of
    those it does not create again (``gone_routines``)."""
    renamed = _renamed(operations)
    altered, gone = touched_relations(operations)
    blocked = altered | gone | set(dropped_routines)
    live: dict[QualifiedName, Relation] = {v.qualified_name: v for v in current.views}
    live.update((v.qualified_name, v) for v in current.materialized_views)
    wanted: dict[QualifiedName, Relation] = {v.qualified_name: v for v in target.views}
    wanted.update((v.qualified_name, v) for v in target.materialized_views)
    live_deps = {name: {renamed.get(d, d) for d in v.depends_on} for name, v in live.items()}

    # Views that must go because their query changes or something they use does; views
    # over views: whatever uses one of those goes too.
    touched: set[QualifiedName] = set()
    for name, view in live.items():
        new = wanted.get(name)
        changed = new is not None and _query_changed(view, new)
        if changed or live_deps[name] & blocked:
            touched.add(name)
    grew = bool(touched)
    while grew:
        grew = False
        for name in live.keys() - touched:
            if live_deps[name] & touched:
                touched.add(name)
                grew = True
    # A view nobody declares is dropped (the ownership policy may keep it), and comes back
    # as it was when it only made way for a change, unless something it uses goes for good:
    # a table, a function or aggregate, or an undeclared view that cannot come back either.
    undeclared = live.keys() - wanted.keys()
    lost = gone | set(gone_routines)
    grew = True
    while grew:
        grew = False
        for name in (touched & undeclared) - lost:
            if live_deps[name] & lost:
                lost.add(name)
                grew = True
    create: dict[QualifiedName, Relation] = {n: v for n, v in wanted.items() if n not in live}
    for name in touched:
        if name in wanted:
            create[name] = wanted[name]
        elif name not in lost:
            create[name] = live[name]

    ordinal = {name: (view.position, name) for name, view in wanted.items()}
    ordinal.update({name: (-1, name) for name in undeclared})
    drop_order = ordered(touched | undeclared, live_deps, ordinal)
    drop_order.reverse()  # dependents first

    create_deps: dict[QualifiedName, set[QualifiedName]] = {}
    for name, view in create.items():
        if name not in wanted:
            create_deps[name] = live_deps[name]
        elif view.resolved:
            create_deps[name] = {renamed.get(d, d) for d in view.depends_on}
        else:
            # Not known until the server can build it: declared order decides.
            create_deps[name] = {other for other, o in wanted.items() if o.position < view.position}
    result = [_drop(name, live[name], name in create) for name in drop_order]
    result.extend(
        _create(name, create[name], name not in wanted)
        for name in ordered(create, create_deps, ordinal)
    )
    for name, view in sorted(live.items()):
        new = wanted.get(name)
        if new is not None and name not in touched:
            result.extend(_in_place(view, new))
    return result
