"""A column's type as a type-builder call and as a Python annotation.

The catalog spells types as ``format_type`` does (``character varying(100)``,
``timestamp(3) with time zone``, ``public.mood[]``); each spelling a builder of
:mod:`linkgress_async.model.types` produces exactly is written with that builder, an enum of
the pulled schemas with ``enum_column``, anything else with ``custom_type`` and the server's
own spelling.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from attrs import frozen

from linkgress_async.catalog import Column
from linkgress_async.pulling.code import Attr, Call, Expr, Name, Str, call

__all__ = ["ColumnTypeCode", "column_type"]


@frozen
class ColumnTypeCode:
    """The builder call that makes a column's type, and the type of its Python attribute."""

    builder: Call
    annotation: str
    """Without ``| None``; ``Any`` for types asyncpg has no specific Python type for."""


# format_type spelling -> (builder, annotation)
_PLAIN: dict[str, tuple[str, str]] = {
    "smallint": ("smallint", "int"),
    "integer": ("integer", "int"),
    "bigint": ("bigint", "int"),
    "smallserial": ("smallserial", "int"),
    "serial": ("serial", "int"),
    "bigserial": ("bigserial", "int"),
    "numeric": ("numeric", "Decimal"),
    "real": ("real", "float"),
    "double precision": ("double_precision", "float"),
    "character varying": ("varchar", "str"),
    "text": ("text", "str"),
    "boolean": ("boolean", "bool"),
    "date": ("date", "datetime.date"),
    "uuid": ("uuid", "UUID"),
    "json": ("json", "Any"),
    "jsonb": ("jsonb", "Any"),
    "bytea": ("bytea", "bytes"),
    "inet": ("inet", "Any"),
    "cidr": ("cidr", "Any"),
    "interval": ("interval", "datetime.timedelta"),
}

_NUMBER = r"(-?\d+)"


def _int(text: str) -> Name:
    return Name(str(int(text)))


# (pattern, builder, annotation, how the pattern's groups become the builder's arguments)
_PATTERNS: list[tuple[re.Pattern[str], str, str, Callable[..., list[Expr]]]] = [
    (
        re.compile(rf"numeric\({_NUMBER},{_NUMBER}\)"),
        "numeric",
        "Decimal",
        lambda p, s: [_int(p), _int(s)],
    ),
    (
        re.compile(r"character varying\((\d+)\)"),
        "varchar",
        "str",
        lambda n: [_int(n)],
    ),
    (re.compile(r"character\((\d+)\)"), "char", "str", lambda n: [_int(n)]),
    (
        re.compile(r"time(?:\((\d)\))? without time zone"),
        "time",
        "datetime.time",
        lambda p: [] if p is None else [_int(p)],
    ),
    (
        re.compile(r"time(?:\((\d)\))? with time zone"),
        "timetz",
        "datetime.time",
        lambda p: [] if p is None else [_int(p)],
    ),
    (
        re.compile(r"timestamp(?:\((\d)\))? without time zone"),
        "timestamp",
        "datetime.datetime",
        lambda p: [] if p is None else [_int(p)],
    ),
    (
        re.compile(r"timestamp(?:\((\d)\))? with time zone"),
        "timestamptz",
        "datetime.datetime",
        lambda p: [] if p is None else [_int(p)],
    ),
    (
        re.compile(r"interval\((\d)\)"),
        "interval",
        "datetime.timedelta",
        lambda p: [_int(p)],
    ),
]


def column_type(column: Column, enum_handles: dict[str, str]) -> ColumnTypeCode:
    """The builder call for ``column``'s type (with ``.array()`` for an array) and the
    annotation of its attribute (``list[...]`` for an array)."""
    spelled = column.data_type
    is_array = spelled.endswith("[]")
    base = spelled.removesuffix("[]")
    name = Str(column.name)
    code = _base(base, name, enum_handles)
    if code is None:
        builder = call("custom_type", name, Str(base))
        code = ColumnTypeCode(builder, "Any")
    if not is_array:
        return code
    return ColumnTypeCode(call(Attr(code.builder, "array")), f"list[{code.annotation}]")


def _base(base: str, name: Str, enum_handles: dict[str, str]) -> ColumnTypeCode | None:
    handle = enum_handles.get(base)
    if handle is not None:
        return ColumnTypeCode(call("enum_column", name, Name(handle)), "str")
    plain = _PLAIN.get(base)
    if plain is not None:
        builder, annotation = plain
        return ColumnTypeCode(call(builder, name), annotation)
    for pattern, builder, annotation, arguments in _PATTERNS:
        match = pattern.fullmatch(base)
        if match is not None:
            args = arguments(*match.groups())
            return ColumnTypeCode(call(builder, name, *args), annotation)
    return None
