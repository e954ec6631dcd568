"""The server's own spelling of the model's views, functions, aggregates and materialized
views.

Each model view is created as a temporary view and each model function (procedure,
aggregate) as a ``pg_temp`` one in the scratch transaction, and read back with the very
queries introspection uses (``pg_get_viewdef``, ``pg_get_function_*``, ``pg_proc``,
``pg_aggregate``), so a model object and its live counterpart compare equal exactly when the
server stores the same thing. Temporary views may use permanent tables, so a view over
existing tables is spelled as ``CREATE VIEW`` will store it. A materialized view's query is
spelled by a temporary (plain) view of the same query: PostgreSQL keeps and prints both the
same way, and cannot make a temporary materialized view on every version.

An object the server cannot build yet, because it uses a table, column, type or function
that the plan itself creates, stays *unresolved* (the user's text, ``View.resolved`` false,
``Function.identity_args`` ``None``): the diff creates it after everything else, and once the
plan has run the next analysis resolves it and finds nothing to do. A syntax error, though,
will never resolve and is a :class:`~linkgress_async.errors.ModelError` at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

import asyncpg
import attrs

from linkgress_async.canonical._matview_indexes import build_index_tables, spelled_indexes
from linkgress_async.canonical._scratch import ENVIRONMENT_ERRORS, scratch_unavailable
from linkgress_async.catalog import (
    Aggregate,
    Catalog,
    Function,
    MaterializedView,
    QualifiedName,
    View,
)
from linkgress_async.client import AnyConnection
from linkgress_async.errors import ModelError
from linkgress_async.render.quote import quote_ident
from linkgress_async.render.table_sql import storage_parameters

__all__ = ["Routines", "check_overloads", "probe_number"]

_VIEW_PREFIX = "__linkgress_view_"
_FUNCTION_PREFIX = "__linkgress_fn_"
_MATVIEW_PREFIX = "__linkgress_mview_"
_AGGREGATE_PREFIX = "__linkgress_agg_"

# Errors that no later plan can cure: the declaration itself is wrong.
_MODEL_ERRORS: tuple[type[asyncpg.PostgresError], ...] = (
    asyncpg.PostgresSyntaxError,
    asyncpg.InvalidFunctionDefinitionError,
    asyncpg.DuplicateFunctionError,
)

_T = TypeVar("_T", View, Function, MaterializedView, Aggregate)


def _view_sql(number: int, view: View) -> str:
    # With its options, which the server spells (and the probe's reading carries back).
    options = f" WITH {storage_parameters(view.options)}" if view.options else ""
    name = quote_ident(_VIEW_PREFIX + str(number))
    return f"CREATE TEMPORARY VIEW {name}{options} AS {view.definition}"


def _matview_sql(number: int, view: MaterializedView) -> str:
    name = quote_ident(_MATVIEW_PREFIX + str(number))
    return f"CREATE TEMPORARY VIEW {name} AS {view.definition}"


def _aggregate_sql(number: int, aggregate: Aggregate) -> str:
    name = f"pg_temp.{quote_ident(_AGGREGATE_PREFIX + str(number))}"
    return f"CREATE AGGREGATE {name} {aggregate.definition}"


def _function_sql(number: int, function: Function) -> str:
    name = f"pg_temp.{quote_ident(_FUNCTION_PREFIX + str(number))}"
    definition = function.definition
    gap = "" if definition.startswith("(") else " "
    verb = "PROCEDURE" if function.kind == "procedure" else "FUNCTION"
    return f"CREATE {verb} {name}{gap}{definition}"


async def _create_each(
    conn: AnyConnection,
    items: Sequence[_T],
    statement: Callable[[int, _T], str],
    label: Callable[[_T], str],
) -> set[int]:
    """Create the probes of ``items``; return the numbers of those the server accepted.

    All at once first (one round trip); when that fails, one by one in savepoints, so that
    one object that cannot be built yet does not hide the others.
    """
    if not items:
        return set()
    everything = ";\n".join(statement(n, item) for n, item in enumerate(items))
    try:
        async with conn.transaction():
            await conn.execute(everything)
        return set(range(len(items)))
    except ENVIRONMENT_ERRORS as error:
        raise scratch_unavailable(error) from error
    except asyncpg.PostgresError:
        pass
    built: set[int] = set()
    for number, item in enumerate(items):
        try:
            async with conn.transaction():
                await conn.execute(statement(number, item))
        except _MODEL_ERRORS as error:
            raise ModelError(
                f"{label(item)}: the server rejects its definition: {error}"
            ) from error
        except asyncpg.PostgresError:
            continue  # it uses something the plan creates: resolved after the plan has run
        built.add(number)
    return built


class Routines:
    """The model's views, functions, aggregates and materialized views: built in the scratch
    transaction, then mapped back."""

    def __init__(self, model: Catalog) -> None:
        self.views = sorted(model.views, key=lambda v: v.position)
        self.functions = sorted(model.functions, key=lambda f: f.position)
        self.aggregates = sorted(model.aggregates, key=lambda a: a.position)
        self.matviews = sorted(model.materialized_views, key=lambda v: v.position)
        self.built_views: set[int] = set()
        self.built_functions: set[int] = set()
        self.built_aggregates: set[int] = set()
        self.built_matviews: set[int] = set()
        self.indexed_matviews: set[int] = set()

    def __bool__(self) -> bool:
        return bool(self.views or self.functions or self.aggregates or self.matviews)

    async def create(self, conn: AnyConnection) -> None:
        """Build the probes (functions first: views may call them)."""
        if not self:
            return
        # Bodies are checked when the plan runs; here only the declaration is wanted, and a
        # body may use tables the plan has not created yet.
        await conn.execute("SET LOCAL check_function_bodies = off")
        self.built_functions = await _create_each(
            conn, self.functions, _function_sql, lambda f: f"function {f.schema}.{f.name}"
        )
        self.built_aggregates = await _create_each(
            conn, self.aggregates, _aggregate_sql, lambda a: f"aggregate {a.schema}.{a.name}"
        )
        self.built_matviews = await _create_each(
            conn, self.matviews, _matview_sql, lambda v: f"materialized view {v.schema}.{v.name}"
        )
        probes = {n: (_MATVIEW_PREFIX + str(n), self.matviews[n]) for n in self.built_matviews}
        self.indexed_matviews = await build_index_tables(conn, probes)
        self.built_views = await _create_each(
            conn, self.views, _view_sql, lambda v: f"view {v.schema}.{v.name}"
        )

    def spelled(self, model: Catalog, temp_schema: str, scratch: Catalog) -> Catalog:
        """``model`` with its views and functions as the server read the probes back."""
        if not self:
            return model
        views = dict(enumerate(self.views))
        matviews = dict(enumerate(self.matviews))
        for view in scratch.views:
            number = probe_number(view.name, _MATVIEW_PREFIX, self.built_matviews)
            if number is not None:
                declared_view = self.matviews[number]
                if number in self.indexed_matviews:
                    declared_view = spelled_indexes(number, declared_view, temp_schema, scratch)
                matviews[number] = attrs.evolve(
                    declared_view,
                    definition=view.definition,
                    depends_on=[d for d in view.depends_on if d.schema != temp_schema],
                    resolved=True,
                )
                continue
            number = probe_number(view.name, _VIEW_PREFIX, self.built_views)
            if number is None:
                continue
            declared = self.views[number]
            views[number] = attrs.evolve(
                declared,
                definition=view.definition,
                options=view.options,
                depends_on=[d for d in view.depends_on if d.schema != temp_schema],
                resolved=True,
            )
        functions = dict(enumerate(self.functions))
        for function in scratch.functions:
            number = probe_number(function.name, _FUNCTION_PREFIX, self.built_functions)
            if number is None:
                continue
            declared_function = self.functions[number]
            functions[number] = attrs.evolve(
                function,
                schema=declared_function.schema,
                name=declared_function.name,
                definition=declared_function.definition,
                position=declared_function.position,
            )
        check_overloads(functions.values())
        aggregates = dict(enumerate(self.aggregates))
        for aggregate in scratch.aggregates:
            number = probe_number(aggregate.name, _AGGREGATE_PREFIX, self.built_aggregates)
            if number is None:
                continue
            declared_aggregate = self.aggregates[number]
            aggregates[number] = attrs.evolve(
                aggregate,
                schema=declared_aggregate.schema,
                name=declared_aggregate.name,
                definition=declared_aggregate.definition,
                position=declared_aggregate.position,
            )
        return attrs.evolve(
            model,
            views=list(views.values()),
            functions=list(functions.values()),
            aggregates=list(aggregates.values()),
            materialized_views=list(matviews.values()),
        )


def probe_number(name: str, prefix: str, built: set[int]) -> int | None:
    """The number of the probe called ``name`` (``prefix`` + number) among ``built``."""
    if not name.startswith(prefix):
        return None
    suffix = name[len(prefix) :]
    if not suffix.isdigit() or int(suffix) not in built:
        return None
    return int(suffix)


def check_overloads(functions: Iterable[Function]) -> None:
    """Two declarations of one function (same name and argument types) are a ModelError."""
    seen: set[tuple[QualifiedName, str]] = set()
    for function in functions:
        if function.identity_args is None:
            continue
        key = (function.qualified_name, function.identity_args)
        if key in seen:
            raise ModelError(
                f"function {function.signature} is declared twice; declare each overload once"
            )
        seen.add(key)
