"""Comparators for functions, procedures and aggregates, and the routines stage of the diff.

Pure and synchronous. Both sides are in the server's spelling (see ``canonical._routines``), so
equal definitions compare equal. A changed function or procedure is replaced in place
(``CREATE OR REPLACE``) when its kind, arguments and result stay the same, else dropped and
created again; an aggregate likewise when its kind and result type stay. Views and
materialized views (:mod:`.views`) make way for the functions and aggregates the plan drops.
"""

from __future__ import annotations

import graphlib
import re
from collections.abc import Iterable, Sequence

from linkgress_async.catalog import Aggregate, Catalog, Function, QualifiedName
from linkgress_async.diff.views import diff_views, ordered, touched_relations
from linkgress_async.ops import (
    CreateAggregate,
    CreateFunction,
    CreateMaterializedView,
    CreateView,
    DropAggregate,
    DropFunction,
    DropMaterializedView,
    DropView,
    MigrationOperation,
)

__all__ = [
    "diff_aggregates",
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


def _mentions(body: str, name: str) -> bool:
    return re.search(rf"(?<![\w$]){re.escape(name.lower())}(?![\w$])", body) is not None


def _body_order(functions: Iterable[Function]) -> list[Function]:
    """``functions`` in declared order, except that one whose body mentions another's name
    comes after it: PostgreSQL checks an SQL function's body when it is created, and its
    calls to other functions leave no trace in ``pg_depend`` to order them by."""
    declared = sorted(functions, key=lambda f: f.position)
    bodies = [(f.sql_body or f.source or f.definition).lower() for f in declared]
    sorter: graphlib.TopologicalSorter[int] = graphlib.TopologicalSorter()
    for number, function in enumerate(declared):
        used = [
            other
            for other, callee in enumerate(declared)
            if callee.name != function.name and _mentions(bodies[number], callee.name)
        ]
        sorter.add(number, *used)
    try:
        sorter.prepare()
    except graphlib.CycleError:
        return declared
    order: list[int] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        order.extend(ready)
        sorter.done(*ready)
    return [declared[number] for number in order]


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
    for function in _body_order(target.functions):
        schema, name = function.schema, function.name
        if function.identity_args is None:
            operations.append(CreateFunction(name, schema, function, or_replace=True))
            continue
        old = live.get(_key(function))
        if old is None:
            operations.append(CreateFunction(name, schema, function))
        elif old != function:
            same_signature = (old.arguments, old.result) == (function.arguments, function.result)
            if same_signature and old.kind == function.kind:
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


def _aggregate_key(aggregate: Aggregate) -> _FunctionKey:
    return aggregate.schema, aggregate.name, aggregate.identity_args


def _replaceable(old: Aggregate, new: Aggregate) -> bool:
    """Whether ``CREATE OR REPLACE AGGREGATE`` can turn ``old`` into ``new``: the same kind
    and result type (the state type, or the final function's result, stays)."""
    same = ("STYPE", "FINALFUNC")
    old_params, new_params = dict(old.parameters), dict(new.parameters)
    return old.kind == new.kind and all(old_params.get(p) == new_params.get(p) for p in same)


def diff_aggregates(
    current: Catalog, target: Catalog
) -> tuple[list[MigrationOperation], set[QualifiedName]]:
    """Aggregate operations, and the names of live aggregates the plan drops."""
    live = {_aggregate_key(a): a for a in current.aggregates}
    wanted = {_aggregate_key(a) for a in target.aggregates}
    unknown = {a.qualified_name for a in target.aggregates if a.identity_args is None}
    operations: list[MigrationOperation] = []
    dropped: set[QualifiedName] = set()
    for aggregate in sorted(target.aggregates, key=lambda a: a.position):
        schema, name = aggregate.schema, aggregate.name
        if aggregate.identity_args is None:
            operations.append(CreateAggregate(name, schema, aggregate, or_replace=True))
            continue
        old = live.get(_aggregate_key(aggregate))
        if old is None:
            operations.append(CreateAggregate(name, schema, aggregate))
        elif old != aggregate:
            if _replaceable(old, aggregate):
                operations.append(CreateAggregate(name, schema, aggregate, True, old))
            else:
                operations.append(DropAggregate(name, schema, old.identity_args, old, True))
                operations.append(CreateAggregate(name, schema, aggregate))
                dropped.add(aggregate.qualified_name)
    for key, old in live.items():
        if key not in wanted and old.qualified_name not in unknown:
            operations.append(DropAggregate(old.name, old.schema, old.identity_args, old))
            dropped.add(old.qualified_name)
    return operations, dropped


def diff_routines(
    current: Catalog, target: Catalog, operations: Sequence[MigrationOperation]
) -> list[MigrationOperation]:
    """Function, aggregate and view operations, given the plan's table ``operations``."""
    if not any(
        (
            current.views,
            target.views,
            current.functions,
            target.functions,
            current.materialized_views,
            target.materialized_views,
            current.aggregates,
            target.aggregates,
        )
    ):
        return []
    function_ops, dropped_functions = diff_functions(current, target)
    aggregate_ops, dropped_aggregates = diff_aggregates(current, target)
    dropped = dropped_functions | dropped_aggregates
    gone = {
        QualifiedName(op.schema_name, op.function_name)
        for op in function_ops
        if isinstance(op, DropFunction) and not op.recreated
    }
    gone.update(
        QualifiedName(op.schema_name, op.aggregate_name)
        for op in aggregate_ops
        if isinstance(op, DropAggregate) and not op.recreated
    )
    view_ops = diff_views(current, target, operations, dropped, gone)
    return [*function_ops, *aggregate_ops, *view_ops]


def routine_creations(operations: Sequence[MigrationOperation]) -> list[MigrationOperation]:
    """The view, function and aggregate creations of a plan that make missing objects
    (ensure_created)."""
    dropped_views = {
        QualifiedName(op.schema_name, op.view_name)
        for op in operations
        if isinstance(op, DropView | DropMaterializedView)
    }
    dropped_routines = {
        (op.schema_name, op.function_name, op.identity_args)
        for op in operations
        if isinstance(op, DropFunction)
    }
    dropped_routines.update(
        (op.schema_name, op.aggregate_name, op.identity_args)
        for op in operations
        if isinstance(op, DropAggregate)
    )
    result: list[MigrationOperation] = []
    for op in operations:
        match op:
            case CreateView() | CreateMaterializedView():
                if QualifiedName(op.schema_name, op.view_name) not in dropped_views:
                    result.append(op)
            case CreateFunction() if op.previous is None:
                if _key(op.function) not in dropped_routines:
                    result.append(op)
            case CreateAggregate() if op.previous is None:
                if _aggregate_key(op.aggregate) not in dropped_routines:
                    result.append(op)
            case _:
                pass
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
    order = ordered(live_views, deps, ordinal)
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
