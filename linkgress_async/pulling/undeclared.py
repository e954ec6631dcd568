"""Finding what a catalog value holds beyond what the model builder can declare.

Each emitter names the fields of a value it declares; :func:`beyond` returns the other fields
that differ from their defaults (PostgreSQL's defaults, by the catalog's conventions), so a
field the catalog gains later is reported as not declared instead of being lost silently.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import cast

import attrs
from attrs import AttrsInstance

__all__ = ["beyond", "describe_value"]


def beyond(value: object, declared: Collection[str]) -> list[str]:
    """The compared fields of the attrs ``value`` outside ``declared`` that are not at their
    default, in field order."""
    fields: list[str] = []
    for field in attrs.fields(cast(type[AttrsInstance], type(value))):
        if field.name in declared or not field.eq:
            continue
        default = field.default
        if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            default = default.factory()
        if default is attrs.NOTHING or getattr(value, field.name) != default:
            fields.append(field.name)
    return fields


def describe_value(value: object) -> str:
    """A field's value as the comments show it: ``True`` as a bare flag, sequences joined."""
    if isinstance(value, tuple):
        return ", ".join(describe_value(item) for item in value)
    if attrs.has(type(value)):
        return ", ".join(
            f"{field.name}={describe_value(getattr(value, field.name))}"
            for field in attrs.fields(cast(type[AttrsInstance], type(value)))
            if field.eq
        )
    return str(value)
