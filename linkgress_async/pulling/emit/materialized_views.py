"""Materialized views: ``model.materialized_view(name, query, schema=..., options=...)``
with ``.has_index(...)`` for each of its indexes (a key with options as ``index_key(...)``).
"""

from __future__ import annotations

import graphlib

from linkgress_async.catalog import Index, IndexElement, MaterializedView, ObjectRef
from linkgress_async.pulling.code import (
    Attr,
    Call,
    DictOf,
    Expr,
    Kw,
    ListOf,
    Name,
    Str,
    call,
    comment_lines,
    statement,
)
from linkgress_async.pulling.context import PullContext, sql_name
from linkgress_async.pulling.undeclared import beyond, describe_value
from linkgress_async.render.reparse import stable_sql

__all__ = ["emit", "index_call", "materialized_view_statement"]

BODY = " " * 8
_INDEX_FIELDS = (
    *("name", "elements", "unique", "method", "where", "include", "options"),
    "nulls_not_distinct",
)
_KEY_FIELDS = (
    *("column", "expression", "opclass", "opclass_options", "collation", "descending"),
    "nulls_first",
)


def options_dict(options: tuple[str, ...]) -> DictOf:
    """``{"fillfactor": "70"}`` for ``("fillfactor=70",)``."""
    pairs = [option.partition("=") for option in options]
    return DictOf(tuple((Str(name), Str(value)) for name, _, value in pairs))


def _key(ctx: PullContext, element: IndexElement, on: str) -> Expr:
    """A column name, ``sql(...)``, or ``index_key(...)`` when the key has options."""
    key: Expr
    if element.column is not None:
        key = Str(element.column)
    else:
        assert element.expression is not None
        key = call("sql", Str(element.expression, sql=True))
    for field in beyond(element, _KEY_FIELDS):
        value = describe_value(getattr(element, field))
        name = element.column if element.column is not None else element.expression
        ctx.note(f"index key {field.replace('_', ' ')}", f"{field} {value} of {name} of {on}")
    options: list[Kw] = []
    if element.opclass is not None:
        options.append(Kw("opclass", Str(element.opclass)))
    if element.opclass_options:
        options.append(Kw("opclass_options", options_dict(element.opclass_options)))
    if element.collation is not None:
        options.append(Kw("collation", Str(element.collation)))
    if element.descending:
        options.append(Kw("descending", Name("True")))
    if element.nulls_first is not None:
        options.append(Kw("nulls", Str("first" if element.nulls_first else "last")))
    return call("index_key", key, *options) if options else key


def index_call(ctx: PullContext, view: Call, index: Index, where: str) -> Call:
    """``<view>.has_index(name, [keys], unique=, method=, where=, include=, options=,
    nulls_not_distinct=)``; what it cannot say is noted."""
    on = f"index {sql_name(None, index.name)} on {where}"
    keys = tuple(_key(ctx, element, on) for element in index.elements)
    for field in beyond(index, _INDEX_FIELDS):
        value = describe_value(getattr(index, field))
        ctx.note(f"index {field.replace('_', ' ')}", f"{field} {value} of {on}")
    arguments: list[Expr | Kw] = [Str(index.name), ListOf(keys)]
    if index.unique:
        arguments.append(Kw("unique", Name("True")))
    if index.method != "btree":
        arguments.append(Kw("method", Str(index.method)))
    if index.where is not None:
        arguments.append(Kw("where", Str(index.where, sql=True)))
    if index.include:
        arguments.append(Kw("include", ListOf(tuple(Str(c) for c in index.include))))
    if index.options:
        arguments.append(Kw("options", options_dict(index.options)))
    if index.nulls_not_distinct:
        arguments.append(Kw("nulls_not_distinct", Name("True")))
    return Call(Attr(view, "has_index"), tuple(arguments))


def materialized_view_statement(ctx: PullContext, view: MaterializedView) -> Call:
    """``model.materialized_view(...)`` with its indexes chained."""
    arguments: list[Expr | Kw] = [
        Str(view.name),
        Str(stable_sql(view.definition), sql=True),
        Kw("schema", Str(view.schema)),
    ]
    if view.options:
        arguments.append(Kw("options", options_dict(view.options)))
    declaration = call("model.materialized_view", *arguments)
    where = f"materialized view {sql_name(view.schema, view.name)}"
    for index in view.indexes:
        declaration = index_call(ctx, declaration, index, where)
    return declaration


def in_dependency_order(views: tuple[MaterializedView, ...]) -> list[MaterializedView]:
    """``views`` with each after the materialized views it selects from (the model creates
    them in declaration order while the server cannot tell); catalog order otherwise."""
    position = {view.qualified_name: number for number, view in enumerate(views)}
    sorter: graphlib.TopologicalSorter[int] = graphlib.TopologicalSorter()
    for number, view in enumerate(views):
        uses = [position[n] for n in view.depends_on if n in position and position[n] != number]
        sorter.add(number, *uses)
    try:
        return [views[number] for number in sorter.static_order()]
    except graphlib.CycleError:
        return list(views)


def emit(ctx: PullContext) -> list[str]:
    """One ``model.materialized_view(...)`` per materialized view, each after those it
    selects from."""
    lines: list[str] = []
    for view in in_dependency_order(ctx.catalog.materialized_views):
        first_note = len(ctx.undeclared)
        declared = ("schema", "name", "definition", "indexes", "options")
        for field in beyond(view, declared):
            value = describe_value(getattr(view, field))
            where = f"materialized view {sql_name(view.schema, view.name)}"
            ctx.note(f"materialized view {field}", f"{field} ({value}) of {where}")
        prefix = ctx.assignment(ObjectRef("materialized_view", view.schema, view.name))
        lines += statement(materialized_view_statement(ctx, view), BODY, prefix)
        for item in ctx.undeclared[first_note:]:
            lines += comment_lines(item.comment, BODY)
    return lines
