"""Foreign keys: ``e.has_one(nav, Target).with_foreign_key(...)...has_db_name(name)``, with
their actions (``on_delete("set null", columns=...)``), ``with_match``, ``is_deferrable``,
``is_not_valid``, ``is_enforced(False)`` and ``with_period``."""

from __future__ import annotations

import re

from linkgress_async.catalog import Column, ForeignKey, Table, storage_type
from linkgress_async.pulling.code import Attr, Expr, Kw, ListOf, Name, Str, call
from linkgress_async.pulling.context import PullContext, sql_name
from linkgress_async.pulling.emit.keys import flag_text
from linkgress_async.pulling.names import Namespace, snake_name
from linkgress_async.pulling.undeclared import beyond

__all__ = ["relationship_statement"]

_DECLARED = (
    "name",
    "columns",
    "referenced_table",
    "referenced_columns",
    "on_delete",
    "on_update",
    "match",
    "deferrable",
    "initially_deferred",
    "not_valid",
    "enforced",
    "period",
    "delete_set_columns",
)
_TYPE_MODIFIER = re.compile(r"\(\s*-?\d+\s*(?:,\s*-?\d+\s*)?\)")


def _comparable(column: Column) -> str:
    # What the model builder requires to match on both ends (model.relationships).
    return _TYPE_MODIFIER.sub("", storage_type(column.data_type))


def _keys(table: Table) -> list[set[str]]:
    """The column sets of ``table`` a foreign key may reference, as the model sees them."""
    keys = [set(table.primary_key.columns)] if table.primary_key is not None else []
    keys += [set(unique.columns) for unique in table.uniques]
    keys += [
        {element.column for element in index.elements if element.column is not None}
        for index in table.indexes
        if index.unique
        and index.where is None
        and all(element.column is not None for element in index.elements)
    ]
    return keys


def _problem(ctx: PullContext, table: Table, key: ForeignKey) -> str | None:
    """Why the model builder cannot declare ``key``, or ``None``."""
    target = ctx.catalog.table(key.referenced_table.schema, key.referenced_table.name)
    if target is None or key.referenced_table not in ctx.classes:
        where = sql_name(key.referenced_table.schema, key.referenced_table.name)
        return f"it references {where}, which is not pulled"
    if set(key.referenced_columns) not in _keys(target):
        return "the referenced columns are not a key the model declares"
    return None


def _types_differ(table: Table, target: Table, key: ForeignKey) -> bool:
    """Whether a key column's type differs from its referenced column's, as the model
    builder compares them (it accepts that only with ``allow_type_mismatch()``)."""
    for mine, theirs in zip(key.columns, key.referenced_columns, strict=True):
        column, other = table.column(mine), target.column(theirs)
        assert column is not None
        assert other is not None
        if _comparable(column) != _comparable(other):
            return True
    return False


def _navigation(ctx: PullContext, table: Table, key: ForeignKey, taken: Namespace) -> str:
    referenced = snake_name(key.referenced_table.name, "ref")
    candidates = [referenced]
    if len(key.columns) == 1:
        stem = re.sub(r"(?:_id|_ID|Id)$", "", key.columns[0])
        if stem:
            candidates.insert(0, snake_name(stem, "ref"))
    candidates.append(f"{referenced}_ref")
    return taken.claim(*candidates)


def _columns(ctx: PullContext, table: Table, columns: tuple[str, ...]) -> Expr:
    attributes = ctx.attributes[table.qualified_name]
    names = [Str(attributes[column]) for column in columns]
    return names[0] if len(names) == 1 else ListOf(tuple(names))


def relationship_statement(
    ctx: PullContext, table: Table, key: ForeignKey, navigations: Namespace
) -> Expr | None:
    """The relationship declaring ``key``, or ``None`` (noted) when it cannot be declared.

    ``navigations`` holds the names taken on this entity (its attributes and earlier
    navigations), so each navigation is unique and no attribute's namesake.
    """
    where = f"foreign key {sql_name(None, key.name)} on {sql_name(table.schema, table.name)}"
    problem = _problem(ctx, table, key)
    if problem is not None:
        ctx.note("foreign key", where, problem)
        return None
    target = ctx.catalog.table(key.referenced_table.schema, key.referenced_table.name)
    assert target is not None
    nav = _navigation(ctx, table, key, navigations)
    expr: Expr = call("e.has_one", Str(nav), Name(ctx.classes[key.referenced_table]))
    expr = call(Attr(expr, "with_foreign_key"), _columns(ctx, table, key.columns))
    primary = target.primary_key.columns if target.primary_key is not None else None
    if key.referenced_columns != primary:
        expr = call(Attr(expr, "with_principal_key"), _columns(ctx, target, key.referenced_columns))
    if _types_differ(table, target, key):
        expr = call(Attr(expr, "allow_type_mismatch"))
    if key.on_delete != "no action" or key.delete_set_columns:
        action: list[Expr | Kw] = [Str(key.on_delete)]
        if key.delete_set_columns:
            action.append(Kw("columns", _columns(ctx, table, key.delete_set_columns)))
        expr = call(Attr(expr, "on_delete"), *action)
    if key.on_update != "no action":
        expr = call(Attr(expr, "on_update"), Str(key.on_update))
    if key.match != "simple":
        expr = call(Attr(expr, "with_match"), Str(key.match))
    if key.deferrable or key.initially_deferred:
        deferral: list[Expr | Kw] = []
        if key.initially_deferred:
            deferral.append(Kw("initially_deferred", Name("True")))
        expr = call(Attr(expr, "is_deferrable"), *deferral)
    if key.not_valid:
        expr = call(Attr(expr, "is_not_valid"))
    if not key.enforced:
        expr = call(Attr(expr, "is_enforced"), Name("False"))
    if key.period:
        expr = call(Attr(expr, "with_period"))
    expr = call(Attr(expr, "has_db_name"), Str(key.name))
    for field in beyond(key, _DECLARED):
        text = flag_text(field, getattr(key, field))
        ctx.note(f"foreign key {field.replace('_', ' ')}", f"{text} of {where}")
    return expr
