"""The one identifier quoter and the one literal renderer of linkgress_async.

Every identifier that reaches SQL goes through :func:`quote_ident`, every Python value that is
written into SQL text (defaults, enum labels, sequence options) goes through
:func:`render_literal`. Nothing else in the package builds SQL from user data.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import json
import math
import uuid
from typing import Any

from attrs import frozen

__all__ = [
    "NAME_MAX_BYTES",
    "RawSql",
    "identifier_problem",
    "object_name",
    "qualified",
    "quote_ident",
    "render_literal",
    "sql",
]

NAME_MAX_BYTES = 63
"""PostgreSQL's NAMEDATALEN - 1: longer identifiers are truncated by the server."""


@frozen
class RawSql:
    """A fragment of SQL given by the user, used verbatim where a value is expected."""

    text: str

    def __str__(self) -> str:
        return self.text


def sql(text: str) -> RawSql:
    """Mark ``text`` as raw SQL (an expression), not as a value to be quoted."""
    if not isinstance(text, str) or not text.strip():
        raise TypeError("sql() takes a non-empty string of SQL")
    return RawSql(text)


def identifier_problem(name: str) -> str | None:
    """Why ``name`` cannot be a PostgreSQL identifier, or ``None`` when it can."""
    # An ASCII name, nearly every name, has one byte a character: its length is its size.
    ascii_name = type(name) is str and name.isascii()
    if ascii_name and 0 < len(name) <= NAME_MAX_BYTES and "\x00" not in name:
        return None
    if not isinstance(name, str):
        return f"identifiers are strings, not {type(name).__name__}"
    if name == "":
        return "an identifier cannot be empty"
    if "\x00" in name:
        return "an identifier cannot contain a NUL character"
    size = len(name.encode("utf-8"))
    if size > NAME_MAX_BYTES:
        return (
            f"identifier {name!r} is {size} bytes long; PostgreSQL allows {NAME_MAX_BYTES} "
            "and would truncate it silently, so give it a shorter name"
        )
    return None


def object_name(name1: str, name2: str, label: str) -> str:
    """``{name1}_{name2}_{label}`` shortened to fit, as PostgreSQL's ``makeObjectName`` does.

    The longer of the two names loses a byte at a time until the whole fits in 63 bytes,
    and each is then cut back to a whole character.
    """
    first, second = name1.encode(), name2.encode()
    available = NAME_MAX_BYTES - len(label.encode()) - 2
    keep1, keep2 = len(first), len(second)
    while keep1 + keep2 > available:
        if keep1 > keep2:
            keep1 -= 1
        else:
            keep2 -= 1
    clipped1 = first[:keep1].decode("utf-8", "ignore")
    clipped2 = second[:keep2].decode("utf-8", "ignore")
    return f"{clipped1}_{clipped2}_{label}"


def quote_ident(name: str) -> str:
    """Quote one identifier: always double-quoted, embedded quotes doubled."""
    problem = identifier_problem(name)
    if problem is not None:
        raise ValueError(problem)
    return '"' + name.replace('"', '""') + '"'


def qualified(schema: str, name: str) -> str:
    """``"schema"."name"``."""
    return f"{quote_ident(schema)}.{quote_ident(name)}"


def _string_literal(text: str) -> str:
    if "\x00" in text:
        raise ValueError("PostgreSQL text cannot contain a NUL character")
    body = text.replace("'", "''")
    if "\\" in body:
        # E'' keeps the meaning independent of standard_conforming_strings.
        return "E'" + body.replace("\\", "\\\\") + "'"
    return "'" + body + "'"


def render_literal(value: Any, *, array: bool = False) -> str:
    """Render a Python value as a safe SQL literal (``"x'y"`` becomes ``'x''y'``).

    Lists and dicts are JSON documents unless ``array`` is true, when a list becomes an
    ``ARRAY[...]`` of its rendered elements (for array columns).
    """
    if array and isinstance(value, list | tuple):
        if not value:
            return "'{}'"
        return "ARRAY[" + ", ".join(render_literal(v) for v in value) + "]"
    if type(value) is str:  # the usual default, last but two of the cases below
        return _string_literal(value)
    match value:
        case RawSql(text=text):
            return text
        case None:
            return "NULL"
        case bool():
            return "true" if value else "false"
        case enum.Enum():
            return render_literal(value.value)
        case int():
            return str(value)
        case float():
            if math.isnan(value) or math.isinf(value):
                return f"'{value!r}'::double precision".replace("inf", "Infinity").replace(
                    "nan", "NaN"
                )
            return repr(value)
        case decimal.Decimal():
            if not value.is_finite():
                raise ValueError(f"cannot store the decimal {value} as a numeric default")
            return str(value)
        case str():
            return _string_literal(value)
        case bytes() | bytearray() | memoryview():
            return "'\\x" + bytes(value).hex() + "'::bytea"
        case datetime.datetime() | datetime.date() | datetime.time():
            return _string_literal(value.isoformat())
        case datetime.timedelta():
            return _string_literal(f"{value.total_seconds()} seconds")
        case uuid.UUID():
            return _string_literal(str(value))
        case dict() | list() | tuple():
            return _string_literal(json.dumps(value, separators=(",", ":"), sort_keys=True))
        case _:
            raise TypeError(
                f"cannot render a {type(value).__name__} as an SQL literal; "
                "use has_default_sql() or sql() for an expression"
            )
