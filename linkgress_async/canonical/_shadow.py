"""Spell the model on a scratch database when the target database cannot host scratch objects.

A read-only role, a read-only transaction or a hot standby cannot create the temporary objects
the canonical stage builds (:mod:`._scratch`). Given a scratch database (a DSN of an empty
database on a server of the same PostgreSQL major version, or ``"embedded"`` for a temporary
embedded server), the analysis opens one transaction there, recreates in it what it read from
the target (``diff(empty, current)``: the schemas, types, tables, views and functions the
model's expressions may name), spells the model in it, and rolls everything back: the scratch
database is left as it was, and the role needs no CREATEDB.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import asyncpg
import attrs

from linkgress_async.catalog import Catalog
from linkgress_async.client import AnyConnection
from linkgress_async.diff import diff
from linkgress_async.errors import ScratchDatabaseError
from linkgress_async.render.sql import plan_sql
from linkgress_async.scratch_database import scratch_server

__all__ = ["shadow"]

_OCCUPIED: tuple[type[asyncpg.PostgresError], ...] = (
    asyncpg.DuplicateObjectError,
    asyncpg.DuplicateTableError,
    asyncpg.DuplicateSchemaError,
    asyncpg.DuplicateFunctionError,
)


@asynccontextmanager
async def shadow(
    scratch: str, current: Catalog, major_version: int
) -> AsyncIterator[AnyConnection]:
    """A connection to the scratch database, in a transaction that holds a copy of
    ``current`` and is rolled back at the end."""
    async with scratch_server(scratch) as options:
        conn = await asyncpg.connect(**options)
        try:
            found = conn.get_server_version().major
            if found != major_version:
                raise ScratchDatabaseError(
                    f"the scratch database is on PostgreSQL {found} but the database is "
                    f"PostgreSQL {major_version}: the server's spelling of types and "
                    "expressions can differ between versions; give a scratch database on a "
                    f"PostgreSQL {major_version} server"
                )
            transaction = conn.transaction()
            await transaction.start()
            try:
                await _copy(conn, current)
                yield conn
            finally:
                with anyio.CancelScope(shield=True):
                    await transaction.rollback()
        finally:
            with anyio.CancelScope(shield=True):
                await conn.close()


async def _copy(conn: AnyConnection, current: Catalog) -> None:
    # As pg_dump does: a function body may use tables created later in the copy.
    await conn.execute("SET LOCAL check_function_bodies = off")
    for statement in plan_sql(diff(Catalog(), _without_roles(current))):
        try:
            await conn.execute(statement)
        except _OCCUPIED as error:
            raise ScratchDatabaseError(
                f"the scratch database is not empty ({error}); give an empty database, whose "
                "copy of the database's schema is rolled back after the analysis"
            ) from error


def _without_roles(current: Catalog) -> Catalog:
    # Roles belong to the cluster: a scratch database on another server may not have the
    # database's roles, and grants, owners and policy roles do not change how the server
    # spells a type or an expression.
    tables = tuple(
        attrs.evolve(
            table,
            policies=tuple(attrs.evolve(policy, roles=("public",)) for policy in table.policies),
        )
        if table.policies
        else table
        for table in current.tables
    )
    return attrs.evolve(current, tables=tables, grants=(), owners=())
