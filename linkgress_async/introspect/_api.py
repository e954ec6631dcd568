"""The public entry points: read the live catalog of some schemas into a ``Catalog``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import asyncpg

from linkgress_async._gc import paused_gc
from linkgress_async.catalog import Catalog, QualifiedName

from ._assemble import assemble
from ._fetch import AnyConnection, FamilyRows, fetch_concurrently_then, fetch_sequentially

__all__ = ["introspect", "introspect_connection", "introspect_with_state"]


def _schema_names(schemas: Iterable[str]) -> list[str]:
    # A bare string is an iterable of one-letter schema names: certainly a mistake.
    if isinstance(schemas, str):
        raise TypeError(f"schemas must be an iterable of names, not the string {schemas!r}")
    return list(dict.fromkeys(schemas))


async def introspect(
    pool: asyncpg.Pool[Any],
    schemas: Iterable[str],
    *,
    exclude_tables: Iterable[QualifiedName] = (),
    concurrent: bool = True,
) -> Catalog:
    """Read the schemas, enums, sequences and tables of ``schemas`` from the live database.

    With ``concurrent=True`` the catalog families are queried on two pool connections (one
    statement each) sharing one exported snapshot; with ``concurrent=False`` (or a pool of
    one connection) all of them go in one statement in one repeatable-read transaction.
    Both give the same catalog. Schemas that do not exist are absent from
    ``Catalog.schemas``; tables in ``exclude_tables`` are left out with their constraints
    and indexes.
    """
    catalog, _ = await introspect_with_state(
        pool, schemas, "", exclude_tables=exclude_tables, concurrent=concurrent
    )
    return catalog


async def introspect_with_state(
    pool: asyncpg.Pool[Any],
    schemas: Iterable[str],
    state: str,
    *,
    exclude_tables: Iterable[QualifiedName] = (),
    concurrent: bool = True,
) -> tuple[Catalog, str]:
    """:func:`introspect`, and the value of the SQL expression ``state`` read in the same
    snapshot (in a round trip that runs anyway; "" without one)."""
    names = _schema_names(schemas)
    excluded = frozenset(exclude_tables)
    holder = [state] if state else None

    def build(rows: FamilyRows) -> Catalog:
        with paused_gc():
            return assemble(rows, excluded)

    if concurrent and pool.get_max_size() > 1:
        catalog = await fetch_concurrently_then(pool, names, holder, build)
    else:
        async with (
            pool.acquire() as conn,
            conn.transaction(isolation="repeatable_read", readonly=True),
        ):
            rows = await fetch_sequentially(conn, names, holder, own_transaction=True)
        catalog = build(rows)
    return catalog, holder[0] if holder else ""


async def introspect_connection(
    conn: AnyConnection,
    schemas: Iterable[str],
    *,
    exclude_tables: Iterable[QualifiedName] = (),
) -> Catalog:
    """Read the catalog like :func:`introspect`, sequentially on ``conn``.

    Inside an open transaction the queries see what that transaction sees (including its
    own uncommitted DDL) and run in a savepoint that is rolled back, so the session settings
    they need do not leak into the caller's transaction; its ``lock_timeout`` holds for them.
    Outside one they run in their own repeatable-read, read-only transaction, waiting for
    locks however long (as pg_dump does).
    """
    names = _schema_names(schemas)
    excluded = frozenset(exclude_tables)
    if conn.is_in_transaction():
        savepoint = conn.transaction()
        await savepoint.start()
        try:
            rows = await fetch_sequentially(conn, names, own_transaction=False)
        finally:
            await savepoint.rollback()
    else:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            rows = await fetch_sequentially(conn, names, own_transaction=True)
    with paused_gc():
        return assemble(rows, excluded)
