"""Comparator for views and functions.

Pure and synchronous. Both sides are in the server's spelling (see ``canonical_routines``), so
equal definitions compare equal. A changed view is dropped and created again; a changed
function is replaced in place (``CREATE OR REPLACE``) when its arguments and result stay the
same, else dropped and created again.

PostgreSQL refuses to change a column's type, or drop a column, a view uses, and to drop a
view or function another view uses. So every live view that uses a table the plan alters or
drops, a function the plan drops, or a view the plan drops, is dropped first (dependents
before what they use) and created again once everything exists (what is used first): the
model's definition for a declared view, the live one for a view nobody declares.
"""

from __future__ import annotations

import graphlib
from collections.abc import Iterable, Mapping, Sequence

import attrs

from linkgress_async.catalog import Catalog, Function, QualifiedName, View, storage_type
from linkgress_async.ops import (
    AlterColumn,
    CreateFunction,
    CreateView,
    DropColumn,
    DropFunction,
    DropTable,
    DropView,
    MigrationOperation,
    RebuildEnum,
    RenameTable,
)

__all__ = [
    "diff_functions",
    "diff_routines",
    "diff_views",
    "drop_declared_routines",
    "routine_creations",
    "touched_relations",
]

_FunctionKey = tuple[str, str, str | None]


def _key(function: Function) -> _FunctionKey:
    return function.schema, function.name, function.identity_args


def diff_functions(
    current: Catalog, target: Catalog
) -> tuple[list[MigrationOperation], set[QualifiedName]]:
    """Function operations, and the names of live functions the plan drops."""
    live = {_key(f): f for f in current.functions}
    wanted = {_key(f) for f in target.functions}
    # A function the server could not build yet has unknown arguments: it is created with
    # OR REPLACE, and the live functions of its name are left alone until the next analysis.
    unknown = {f.qualified_name for f in target.functions if f.identity_args is None}
    operations: list[MigrationOperation] = []
    dropped: set[QualifiedName] = set()
    for function in sorted(target.functions, key=lambda f: f.position):
        schema, name = function.schema, function.name
        if function.identity_args is None:
            operations.append(CreateFunction(name, schema, function, or_replace=True))
            continue
        old = live.get(_key(function))
        if old is None:
            operations.append(CreateFunction(name, schema, function))
        elif old != function:
            if old.arguments == function.arguments and old.result == function.result:
                operations.append(CreateFunction(name, schema, function, True, old))
            else:
                # OR REPLACE cannot change the result type, argument names or defaults.
                operations.append(DropFunction(name, schema, old.identity_args, old, True))
                operations.append(CreateFunction(name, schema, function))
                dropped.add(function.qualified_name)
    for key, old in live.items():
        if key not in wanted and old.qualified_name not in unknown:
            operations.append(DropFunction(old.name, old.schema, old.identity_args, old))
            dropped.add(old.qualified_name)
    return operations, dropped


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
            case AlterColumn() if storage_type(op.from_.data_type) != storage_type(op.to.data_type):
                altered.add(QualifiedName(op.schema_name, op.table_name))
            case RebuildEnum():
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


def _ordered(
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


def diff_views(
    current: Catalog,
    target: Catalog,
    operations: Sequence[MigrationOperation],
    dropped_functions: Iterable[QualifiedName] = (),
) -> list[MigrationOperation]:
    """View operations, given the plan's other ``operations`` (which views must make way for)."""
    renamed = _renamed(operations)
    altered, gone = touched_relations(operations)
    blocked = altered | gone | set(dropped_functions)
    live = {v.qualified_name: v for v in current.views}
    wanted = {v.qualified_name: v for v in target.views}
    live_deps = {name: {renamed.get(d, d) for d in v.depends_on} for name, v in live.items()}

    # Views that must go because they change or something they use does; views over views:
    # whatever uses one of those goes too.
    touched: set[QualifiedName] = set()
    for name, view in live.items():
        new = wanted.get(name)
        # Triggers are created and dropped apart from their view (see diff.security).
        changed = new is not None and (
            attrs.evolve(new, triggers=view.triggers) != view or not new.resolved
        )
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
    # as it was when it only made way for a change, unless a table it uses is dropped.
    undeclared = live.keys() - wanted.keys()
    create: dict[QualifiedName, View] = {n: v for n, v in wanted.items() if n not in live}
    for name in touched:
        if name in wanted:
            create[name] = wanted[name]
        elif not live_deps[name] & gone:
            create[name] = live[name]

    ordinal = {name: (view.position, name) for name, view in wanted.items()}
    ordinal.update({name: (-1, name) for name in undeclared})
    drop_order = _ordered(touched | undeclared, live_deps, ordinal)
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
    result: list[MigrationOperation] = [
        DropView(name.name, name.schema, live[name], name in create) for name in drop_order
    ]
    result.extend(
        CreateView(name.name, name.schema, create[name])
        for name in _ordered(create, create_deps, ordinal)
    )
    return result


def diff_routines(
    current: Catalog, target: Catalog, operations: Sequence[MigrationOperation]
) -> list[MigrationOperation]:
    """Function and view operations, given the plan's table ``operations``."""
    if not (current.views or target.views or current.functions or target.functions):
        return []
    function_ops, dropped_functions = diff_functions(current, target)
    view_ops = diff_views(current, target, operations, dropped_functions)
    return [*function_ops, *view_ops]


def routine_creations(operations: Sequence[MigrationOperation]) -> list[MigrationOperation]:
    """The view and function creations of a plan that make missing objects (ensure_created)."""
    dropped_views = {
        QualifiedName(op.schema_name, op.view_name) for op in operations if isinstance(op, DropView)
    }
    dropped_functions = {
        (op.schema_name, op.function_name, op.identity_args)
        for op in operations
        if isinstance(op, DropFunction)
    }
    result: list[MigrationOperation] = []
    for op in operations:
        if isinstance(op, CreateView):
            if QualifiedName(op.schema_name, op.view_name) not in dropped_views:
                result.append(op)
        elif (
            isinstance(op, CreateFunction)
            and op.previous is None
            and _key(op.function) not in dropped_functions
        ):
            result.append(op)
    return result


def drop_declared_routines(current: Catalog, model: Catalog) -> list[MigrationOperation]:
    """Drop the live views and functions ``model`` declares (ensure_deleted), users first.

    A function the server could not spell (``identity_args`` unknown) matches every live
    function of its name.
    """
    declared_views = {v.qualified_name for v in model.views}
    live_views = {v.qualified_name: v for v in current.views if v.qualified_name in declared_views}
    deps = {name: set(view.depends_on) for name, view in live_views.items()}
    ordinal = {name: (0, name) for name in live_views}
    order = _ordered(live_views, deps, ordinal)
    order.reverse()
    operations: list[MigrationOperation] = [
        DropView(name.name, name.schema, live_views[name]) for name in order
    ]
    identities = {_key(f) for f in model.functions if f.identity_args is not None}
    by_name = {f.qualified_name for f in model.functions if f.identity_args is None}
    operations.extend(
        DropFunction(f.name, f.schema, f.identity_args, f)
        for f in current.functions
        if _key(f) in identities or f.qualified_name in by_name
    )
    return operations
