"""The server's spelling of a declared materialized view's indexes.

A materialized view's query is spelled by a temporary view (:mod:`._routines`); its indexes
need a relation to be built on, so when one of them has something the server must spell (an
expression, a predicate, an ``sql(...)`` key, a key option), a temporary table with the
view's columns (``CREATE TEMPORARY TABLE ... AS SELECT * FROM <the probe> WITH NO DATA``)
gets them all under scratch names, and they are read back like a table's and mapped onto the
model's by position. An index the server refuses stays as declared (the plan's
``CREATE INDEX`` then says why).
"""

from __future__ import annotations

import asyncpg
import attrs

from linkgress_async.canonical._scratch import ENVIRONMENT_ERRORS, scratch_unavailable
from linkgress_async.canonical._tables import index_needs_server
from linkgress_async.catalog import Catalog, MaterializedView
from linkgress_async.client import AnyConnection
from linkgress_async.render.quote import quote_ident
from linkgress_async.render.sql import index_definition

__all__ = ["build_index_tables", "spelled_indexes"]

_TABLE_PREFIX = "__linkgress_mvtable_"


def _table_name(number: int) -> str:
    return f"{_TABLE_PREFIX}{number}"


def _index_name(number: int, position: int) -> str:
    return f"{_TABLE_PREFIX}{number}_i{position}"


def _statements(number: int, probe: str, view: MaterializedView) -> list[str]:
    table = _table_name(number)
    statements = [
        f"CREATE TEMPORARY TABLE {quote_ident(table)} AS"
        f" SELECT * FROM pg_temp.{quote_ident(probe)} WITH NO DATA"
    ]
    statements.extend(
        index_definition("pg_temp", table, attrs.evolve(index, name=_index_name(number, i)))
        for i, index in enumerate(view.indexes)
    )
    return statements


async def build_index_tables(
    conn: AnyConnection, views: dict[int, tuple[str, MaterializedView]]
) -> set[int]:
    """For each built probe (number -> (probe view name, declared view)) whose indexes need
    the server, the temporary table with those indexes; the numbers of those built."""
    built: set[int] = set()
    for number, (probe, view) in views.items():
        if not any(index_needs_server(index) for index in view.indexes):
            continue
        try:
            async with conn.transaction():
                await conn.execute(";\n".join(_statements(number, probe, view)))
        except ENVIRONMENT_ERRORS as error:
            raise scratch_unavailable(error) from error
        except asyncpg.PostgresError:
            continue
        built.add(number)
    return built


def spelled_indexes(
    number: int, view: MaterializedView, temp_schema: str, scratch: Catalog
) -> MaterializedView:
    """``view`` with its indexes as the server read them on its temporary table."""
    table = scratch.table(temp_schema, _table_name(number))
    if table is None:
        return view
    read = {index.name: index for index in table.indexes}
    indexes = tuple(
        attrs.evolve(read[_index_name(number, i)], name=index.name)
        if _index_name(number, i) in read
        else index
        for i, index in enumerate(view.indexes)
    )
    return attrs.evolve(view, indexes=indexes)
