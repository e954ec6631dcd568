"""Views: ``model.view(name, query, schema=...)``, each after the views it selects from."""

from __future__ import annotations

import graphlib

from linkgress_async.catalog import ObjectRef, View
from linkgress_async.pulling.code import DictOf, Kw, Str, call, comment_lines, statement
from linkgress_async.pulling.context import PullContext, sql_name
from linkgress_async.pulling.emit import security
from linkgress_async.pulling.emit.table_kinds import options_value
from linkgress_async.pulling.undeclared import beyond, describe_value
from linkgress_async.render.reparse import stable_sql

__all__ = ["emit", "in_dependency_order"]

BODY = " " * 8


def in_dependency_order(views: tuple[View, ...]) -> list[View]:
    """``views`` with each after the views it uses (the model creates views in declaration
    order when the server cannot tell their dependencies yet); otherwise in catalog order."""
    by_name = {view.qualified_name: view for view in views}
    sorter: graphlib.TopologicalSorter[int] = graphlib.TopologicalSorter()
    position = {view.qualified_name: number for number, view in enumerate(views)}
    for number, view in enumerate(views):
        uses = [
            position[name]
            for name in view.depends_on
            if name in by_name and name != view.qualified_name
        ]
        sorter.add(number, *uses)
    try:
        order = list(sorter.static_order())
    except graphlib.CycleError:
        return list(views)
    return [views[number] for number in order]


def emit(ctx: PullContext) -> list[str]:
    """One ``model.view(...)`` per view, with its query as the server prints it."""
    lines: list[str] = []
    for view in in_dependency_order(ctx.catalog.views):
        where = f"view {sql_name(view.schema, view.name)}"
        notes = [
            ctx.note(
                f"view {field}", f"{field} ({describe_value(getattr(view, field))}) of {where}"
            )
            for field in beyond(view, ("schema", "name", "definition", "triggers", "options"))
        ]
        arguments = [Kw("schema", Str(view.schema))]
        if view.options:
            arguments.append(
                Kw("options", DictOf(tuple((Str(n), v) for n, v in options_value(view.options))))
            )
        declaration = call(
            "model.view", Str(view.name), Str(stable_sql(view.definition), sql=True), *arguments
        )
        prefix = ctx.assignment(ObjectRef("view", view.schema, view.name))
        lines += statement(declaration, BODY, prefix)
        for note in notes:
            lines += comment_lines(note.comment, BODY)
        lines += security.view_triggers(ctx, view)
    return lines
