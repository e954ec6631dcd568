"""The server's own spelling of the model's views and functions.

Each model view is created as a temporary view and each model function as a ``pg_temp``
function, inside a transaction that is always rolled back, and read back with the very
queries introspection uses (``pg_get_viewdef``, ``pg_get_function_*``, ``pg_proc``), so a
model object and its live counterpart compare equal exactly when the server stores the same
thing. Temporary views may use permanent tables, so a view over existing tables is spelled
as ``CREATE VIEW`` will store it.

An object the server cannot build yet, because it uses a table, column, type or function
that the plan itself creates, stays *unresolved* (the user's text, ``View.resolved`` false,
``Function.identity_args`` ``None``): the diff creates it after everything else, and once the
plan has run the next analysis resolves it and finds nothing to do. A syntax error, though,
will never resolve and is a :class:`~linkgress_async.errors.ModelError` at once.

This runs only when the model declares views or functions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TypeVar

import asyncpg
import attrs

from linkgress_async.canonical import _prepare_types
from linkgress_async.catalog import Catalog, Function, QualifiedName, View
from linkgress_async.client import AnyConnection
from linkgress_async.errors import ModelError
from linkgress_async.introspect._assemble import function_of, view_of
from linkgress_async.introspect._queries import SESSION_SETUP, Family, sql
from linkgress_async.render.quote import quote_ident

__all__ = ["canonicalize_routines"]

_VIEW_PREFIX = "__linkgress_view_"
_FUNCTION_PREFIX = "__linkgress_fn_"

# Errors that no later plan can cure: the declaration itself is wrong.
_MODEL_ERRORS: tuple[type[asyncpg.PostgresError], ...] = (
    asyncpg.PostgresSyntaxError,
    asyncpg.InvalidFunctionDefinitionError,
    asyncpg.DuplicateFunctionError,
)

_T = TypeVar("_T", View, Function)


def _view_sql(number: int, view: View) -> str:
    return f"CREATE TEMPORARY VIEW {quote_ident(_VIEW_PREFIX + str(number))} AS {view.definition}"


def _function_sql(number: int, function: Function) -> str:
    name = f"pg_temp.{quote_ident(_FUNCTION_PREFIX + str(number))}"
    definition = function.definition
    gap = "" if definition.startswith("(") else " "
    return f"CREATE FUNCTION {name}{gap}{definition}"


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


def _built(
    rows: Iterable[asyncpg.Record], column: str, prefix: str, built: set[int]
) -> Iterator[tuple[int, asyncpg.Record]]:
    """The number and row of each probe the server built, among introspection's rows."""
    for row in rows:
        name: str = row[column]
        if name.startswith(prefix) and (number := int(name[len(prefix) :])) in built:
            yield number, row


async def canonicalize_routines(conn: AnyConnection, model: Catalog) -> Catalog:
    """``model`` with its views and functions in the server's spelling (where it can)."""
    if not model.views and not model.functions:
        return model
    views = sorted(model.views, key=lambda v: v.position)
    functions = sorted(model.functions, key=lambda f: f.position)
    transaction = conn.transaction()
    await transaction.start()
    try:
        await _prepare_types(conn, model)
        # Bodies are checked when the plan runs; here only the declaration is wanted, and a
        # body may use tables the plan has not created yet.
        await conn.execute("SET LOCAL check_function_bodies = off")
        built_functions = await _create_each(
            conn, functions, _function_sql, lambda f: f"function {f.schema}.{f.name}"
        )
        built_views = await _create_each(
            conn, views, _view_sql, lambda v: f"view {v.schema}.{v.name}"
        )
        temp_schema = await conn.fetchval(
            "SELECT nspname FROM pg_catalog.pg_namespace WHERE oid = pg_catalog.pg_my_temp_schema()"
        )
        # Read exactly as introspection reads the live objects.
        await conn.execute(SESSION_SETUP)
        view_rows = await conn.fetch(sql(Family.VIEWS), [temp_schema]) if built_views else []
        function_rows = (
            await conn.fetch(sql(Family.FUNCTIONS), [temp_schema]) if built_functions else []
        )
    finally:
        await transaction.rollback()

    spelled_views = {n: v for n, v in enumerate(views) if n not in built_views}
    for number, row in _built(view_rows, "view_name", _VIEW_PREFIX, built_views):
        declared = views[number]
        live = view_of(row)
        spelled_views[number] = attrs.evolve(
            declared,
            definition=live.definition,
            depends_on=[d for d in live.depends_on if d.schema != temp_schema],
            resolved=True,
        )
    spelled_functions = {n: f for n, f in enumerate(functions) if n not in built_functions}
    for number, row in _built(function_rows, "function_name", _FUNCTION_PREFIX, built_functions):
        function = functions[number]
        spelled_functions[number] = attrs.evolve(
            function_of(row),
            schema=function.schema,
            name=function.name,
            definition=function.definition,
            position=function.position,
        )
    _check_overloads(spelled_functions.values())
    return attrs.evolve(
        model, views=list(spelled_views.values()), functions=list(spelled_functions.values())
    )


def _check_overloads(functions: Iterable[Function]) -> None:
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
