"""A table's columns: one ``e.property(...).has_type(...)`` statement each, with identity
options, ``is_required()``, ``is_unique()`` and the default."""

from __future__ import annotations

import re
from decimal import Decimal

from linkgress_async.catalog import Column, Identity, Table, storage_type
from linkgress_async.pulling.code import Attr, Call, Expr, Kw, Name, Str, call
from linkgress_async.pulling.column_types import column_type
from linkgress_async.pulling.context import PullContext, sql_name
from linkgress_async.pulling.emit.sequences import sequence_options
from linkgress_async.pulling.emit.table_kinds import COLUMN_FIELDS, column_options, required_by_name
from linkgress_async.pulling.undeclared import beyond, describe_value
from linkgress_async.render.quote import render_literal

__all__ = ["annotation", "property_statement"]

_DECLARED = ("name", "data_type", "nullable", "default", "identity", *COLUMN_FIELDS)
_INTEGER = re.compile(r"\d+")
_DECIMAL = re.compile(r"\d+\.\d+")


def annotation(ctx: PullContext, column: Column) -> str:
    """The attribute's annotation (``str | None``); records the names it needs."""
    code = column_type(column, ctx.enum_handles)
    if column.nullable and code.annotation != "Any":
        return f"{code.annotation} | None"
    return code.annotation


def _identity(builder: Call, column: Column, identity: Identity) -> Call:
    kind = "always" if identity.always else "by_default"
    arguments: list[Expr | Kw] = []
    if identity.sequence_name is not None:
        arguments.append(Kw("name", Str(identity.sequence_name)))
    arguments += sequence_options(storage_type(column.data_type), identity.options)
    return Call(Attr(builder, f"generated_{kind}_as_identity"), tuple(arguments))


def _describe(field: str, column: Column) -> str:
    match field:
        case "collation":
            return f"COLLATE {column.collation}"
        case "generated" if column.generated is not None:
            kind = column.generated.kind.upper()
            return f"GENERATED ALWAYS AS ({column.generated.expression}) {kind}"
        case _:
            return f"{field.replace('_', ' ')} {describe_value(getattr(column, field))}"


def _default(ctx: PullContext, column: Column) -> tuple[str, Expr]:
    """``has_default_value`` with a Python literal when it renders exactly as the server
    spells the default, else ``has_default_sql`` with the server's text."""
    text = column.default
    assert text is not None
    if text in ("true", "false"):
        return "has_default_value", Name("True" if text == "true" else "False")
    if _INTEGER.fullmatch(text) and render_literal(int(text)) == text:
        return "has_default_value", Name(text)
    stored = storage_type(column.data_type)
    if (
        _DECIMAL.fullmatch(text)
        and stored.startswith("numeric")
        and render_literal(Decimal(text)) == text
    ):
        return "has_default_value", call("Decimal", Str(text))
    return "has_default_sql", Str(text, sql=True)


def property_statement(
    ctx: PullContext,
    table: Table,
    column: Column,
    *,
    key_column: bool,
    unique: bool,
) -> Expr:
    """``e.property(attr).has_type(builder)...`` for ``column``.

    ``key_column``: the column is part of the primary key (NOT NULL is implied);
    ``unique``: it has a single-column unique constraint with PostgreSQL's default name.
    """
    attribute = ctx.attributes[table.qualified_name][column.name]
    builder = column_type(column, ctx.enum_handles).builder
    if column.identity is not None:
        builder = _identity(builder, column, column.identity)
    expr: Expr = call(Attr(call("e.property", Str(attribute)), "has_type"), builder)
    implied = key_column or column.identity is not None or column.data_type.endswith("serial")
    if not column.nullable and not implied and not required_by_name(column):
        expr = call(Attr(expr, "is_required"))
    if column.nullable and column.data_type.endswith("serial"):
        expr = call(Attr(expr, "is_required"), Name("False"))
    if unique:
        expr = call(Attr(expr, "is_unique"))
    expr = column_options(expr, column)
    if column.default is not None:
        method, value = _default(ctx, column)
        expr = call(Attr(expr, method), value)
    where = f"column {sql_name(None, column.name)} of {sql_name(table.schema, table.name)}"
    for field in beyond(column, _DECLARED):
        ctx.note(f"column {field}", f"{_describe(field, column)} of {where}")
    return expr
