"""View option, materialized view and aggregate operations -> SQL statements.

Like :mod:`linkgress_async.render.sql`, which dispatches to :func:`routine_operation_sql`.
Queries and aggregate definitions are the server's spelling (or the user's SQL) and are
inserted as they are; option names go through :func:`quote_ident` and their values through
:func:`render_literal`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import assert_never

from linkgress_async.catalog import MaterializedView
from linkgress_async.ops import (
    AlterViewOptions,
    CreateAggregate,
    CreateMaterializedView,
    DropAggregate,
    DropMaterializedView,
)
from linkgress_async.render.quote import qualified, quote_ident, render_literal
from linkgress_async.render.reparse import stable_sql

__all__ = [
    "RoutineOperation",
    "materialized_view_definition",
    "options_clause",
    "routine_operation_sql",
]

RoutineOperation = (
    AlterViewOptions
    | CreateMaterializedView
    | DropMaterializedView
    | CreateAggregate
    | DropAggregate
)
"""The operations this module renders."""


def _option(option: str) -> tuple[str, str]:
    name, _, value = option.partition("=")
    return quote_ident(name), render_literal(value)


def options_clause(options: Iterable[str]) -> str:
    """``("name" = 'value', ...)`` for ``name=value`` options (``reloptions``' form)."""
    return "(" + ", ".join(f"{name} = {value}" for name, value in map(_option, options)) + ")"


def materialized_view_definition(view: MaterializedView) -> list[str]:
    """``CREATE MATERIALIZED VIEW`` (with its data), then its indexes."""
    # Imported here: the table renderer dispatches to this module.
    from linkgress_async.render.sql import index_definition

    name = qualified(view.schema, view.name)
    options = f" WITH {options_clause(view.options)}" if view.options else ""
    query = stable_sql(view.definition)
    statements = [f"CREATE MATERIALIZED VIEW {name}{options} AS {query}"]
    statements.extend(index_definition(view.schema, view.name, index) for index in view.indexes)
    return statements


def _alter_options(op: AlterViewOptions) -> list[str]:
    kind = "MATERIALIZED VIEW" if op.materialized else "VIEW"
    name = qualified(op.schema_name, op.view_name)
    statements = []
    if op.reset_options:
        names = ", ".join(quote_ident(key) for key in op.reset_options)
        statements.append(f"ALTER {kind} {name} RESET ({names})")
    if op.set_options:
        statements.append(f"ALTER {kind} {name} SET {options_clause(op.set_options)}")
    return statements


def routine_operation_sql(op: RoutineOperation) -> list[str]:
    """The statements that carry out one view option, materialized view or aggregate
    operation."""
    match op:
        case AlterViewOptions():
            return _alter_options(op)
        case CreateMaterializedView():
            return materialized_view_definition(op.view)
        case DropMaterializedView():
            return [f"DROP MATERIALIZED VIEW {qualified(op.schema_name, op.view_name)}"]
        case CreateAggregate():
            verb = "CREATE OR REPLACE AGGREGATE" if op.or_replace else "CREATE AGGREGATE"
            name = qualified(op.schema_name, op.aggregate_name)
            return [f"{verb} {name} {op.aggregate.definition}"]
        case DropAggregate():
            name = qualified(op.schema_name, op.aggregate_name)
            # Argument types are the server's spelling; without them the name must be unique.
            arguments = "" if op.identity_args is None else f"({op.identity_args or '*'})"
            return [f"DROP AGGREGATE {name}{arguments}"]
        case _:
            assert_never(op)
