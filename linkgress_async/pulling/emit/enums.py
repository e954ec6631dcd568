"""Enums: ``status = model.enum("status", [...], schema="public")``.

The handle variables are named before any emitter runs (see
:func:`linkgress_async.pulling.module.name_everything`), since columns refer to them.
"""

from __future__ import annotations

from linkgress_async.pulling.code import Kw, ListOf, Str, call, statement
from linkgress_async.pulling.context import PullContext

__all__ = ["emit"]

BODY = " " * 8


def emit(ctx: PullContext) -> list[str]:
    """One ``model.enum(...)`` assignment per enum, labels in their sort order."""
    lines: list[str] = []
    for enum in ctx.catalog.enums:
        spelled = ctx.enum_names[enum.qualified_name]
        handle = ctx.enum_handles[spelled]
        labels = ListOf(tuple(Str(label) for label in enum.values))
        declaration = call("model.enum", Str(enum.name), labels, Kw("schema", Str(enum.schema)))
        lines += statement(declaration, BODY, f"{handle} = ")
    return lines
