"""Enums: ``status = model.enum("status", [...], schema="public")``.

The handle variables are named before any emitter runs (see
:func:`linkgress_async.pulling.module.name_everything`), since columns refer to them.
"""

from __future__ import annotations

from linkgress_async.catalog import ObjectRef
from linkgress_async.pulling.code import Kw, ListOf, Str, call, statement
from linkgress_async.pulling.context import PullContext

__all__ = ["emit"]

BODY = " " * 8


def emit(ctx: PullContext) -> list[str]:
    """One ``model.enum(...)`` per enum, labels in their sort order, assigned to its handle
    when a column uses it."""
    used = {
        column.data_type.removesuffix("[]")
        for table in ctx.catalog.tables
        if table.qualified_name in ctx.classes
        for column in table.columns
    }
    lines: list[str] = []
    for enum in ctx.catalog.enums:
        spelled = ctx.enum_names[enum.qualified_name]
        labels = ListOf(tuple(Str(label) for label in enum.values))
        declaration = call("model.enum", Str(enum.name), labels, Kw("schema", Str(enum.schema)))
        # A handle no column uses would be an unused variable.
        assigned = ctx.assignment(ObjectRef("type", enum.schema, enum.name))
        prefix = f"{ctx.enum_handles[spelled]} = " if spelled in used else assigned
        lines += statement(declaration, BODY, prefix)
    return lines
