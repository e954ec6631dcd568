"""Functions of the model that index expressions call, made to exist in the scratch.

An index on ``public.search_normalize(name)`` can only be spelled by the server once that
function exists under its real name; the routine probes are temporary copies under other
names. Inside the scratch transaction (always rolled back) a declared function that an index
expression names and that the database lacks is created for real, so the index can be built.
"""

from __future__ import annotations

import asyncpg

from linkgress_async.catalog import Catalog
from linkgress_async.catalog.routines import calls_function
from linkgress_async.client import AnyConnection
from linkgress_async.render.quote import qualified

__all__ = ["create_index_functions"]


def _called_names(model: Catalog) -> str:
    return "\n".join(
        element.expression
        for table in model.tables
        for index in table.indexes
        for element in index.elements
        if element.expression is not None
    )


async def create_index_functions(conn: AnyConnection, model: Catalog) -> None:
    """In a scratch transaction: create the model's functions index expressions call."""
    called = _called_names(model)
    if not called:
        return
    for function in model.functions:
        if function.kind != "function" or not calls_function(
            called, function.schema, function.name
        ):
            continue
        gap = "" if function.definition.startswith("(") else " "
        statement = (
            f"CREATE FUNCTION {qualified(function.schema, function.name)}{gap}{function.definition}"
        )
        try:
            async with conn.transaction():
                await conn.execute(statement)
        except asyncpg.PostgresError:
            # It exists already, or needs what the plan creates: the index says which.
            continue
