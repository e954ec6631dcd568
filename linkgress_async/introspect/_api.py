"""The public entry points: read the live catalog of some schemas into a ``Catalog``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import asyncpg

from linkgress_async._clean_release import left_clean
from linkgress_async._gc import paused_gc
from linkgress_async.catalog import Catalog, QualifiedName

from ._assemble import assemble
from ._catalog_state import CATALOG_STATE
from ._fetch import (
    AnyConnection,
    FamilyRows,
    decoded,
    fetch_concurrently_then,
    fetch_sequentially,
    fetch_texts_sequentially,
)
from ._fingerprint import CatalogFingerprint, KeptCatalog, ReadDigests

__all__ = [
    "introspect",
    "introspect_connection",
    "introspect_connection_if_changed",
    "read_catalog",
]


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
    statement each) reading one snapshot; with ``concurrent=False`` (or a pool of
    one connection) all of them go in one statement in one repeatable-read transaction.
    Both give the same catalog. Schemas that do not exist are absent from
    ``Catalog.schemas``; tables in ``exclude_tables`` are left out with their constraints
    and indexes.
    """
    catalog, _, _ = await read_catalog(
        pool, schemas, exclude_tables=exclude_tables, concurrent=concurrent
    )
    return catalog


async def read_catalog(
    pool: asyncpg.Pool[Any],
    schemas: Iterable[str],
    state: str = "",
    *,
    exclude_tables: Iterable[QualifiedName] = (),
    concurrent: bool = True,
    fingerprinted: bool = False,
    since: KeptCatalog | None = None,
) -> tuple[Catalog, str, CatalogFingerprint | None]:
    """:func:`introspect`, the value of the SQL expression ``state`` read in the same
    snapshot (in a round trip that runs anyway; "" without one), and with ``fingerprinted``
    the read's fingerprint (else ``None``), by which :func:`introspect_connection_if_changed`
    tells a later read of the same catalog.

    With ``since`` (an earlier fingerprinted read of the same scope, on the same pool's
    server), the catalog's state and ``state`` are read first, in one statement: when the
    state is ``since``'s, the catalog is ``since``'s, with its fingerprint, and nothing more
    is read; else the catalog is read as without it (one round trip more)."""
    names = _schema_names(schemas)
    excluded = frozenset(exclude_tables)
    if since is not None and since.fingerprint.catalog_state is not None:
        async with pool.acquire() as conn:
            unchanged, value = await _state_unchanged(
                conn, since.fingerprint, names, excluded, state
            )
            # At most one autocommit statement ran: no setting, lock or cursor outlives it.
            left_clean(conn)
        if unchanged:
            return since.catalog, value, since.fingerprint
    holder = [state] if state else None
    digests = ReadDigests(with_state=True) if fingerprinted else None

    def build(rows: FamilyRows) -> Catalog:
        with paused_gc():
            return assemble(rows, excluded)

    if concurrent and pool.get_max_size() > 1:
        catalog = await fetch_concurrently_then(pool, names, holder, build, digests)
    else:
        async with (
            pool.acquire() as conn,
            conn.transaction(isolation="repeatable_read", readonly=True),
        ):
            rows = await fetch_sequentially(
                conn, names, holder, own_transaction=True, digests=digests
            )
        catalog = build(rows)
    fingerprint = None if digests is None else digests.fingerprint(names, excluded)
    return catalog, holder[0] if holder else "", fingerprint


async def _state_unchanged(
    conn: AnyConnection,
    since: CatalogFingerprint,
    schemas: list[str],
    exclude_tables: frozenset[QualifiedName],
    state: str = "",
) -> tuple[bool, str]:
    """Whether a read of this scope on ``conn`` would read what ``since``'s read did, by the
    catalog's state alone (never without it), and the value of the SQL expression ``state``
    ("" without one), read in the same statement."""
    if since.catalog_state is None or not since.same_scope(
        conn.get_server_version().major, schemas, exclude_tables
    ):
        return False, ""
    if not state:
        return await conn.fetchval(f"SELECT {CATALOG_STATE}") == since.catalog_state, ""
    row = await conn.fetchrow(f"SELECT {CATALOG_STATE}, ({state})::text")
    assert row is not None
    return row[0] == since.catalog_state, row[1] or ""


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
    catalog = await _read_on(conn, schemas, exclude_tables, None)
    assert catalog is not None
    return catalog


async def introspect_connection_if_changed(
    conn: AnyConnection,
    schemas: Iterable[str],
    since: CatalogFingerprint | None,
    *,
    exclude_tables: Iterable[QualifiedName] = (),
) -> Catalog | None:
    """:func:`introspect_connection`, or ``None`` when the catalog reads exactly as it did
    for ``since`` (same server version, schemas, tables left out and statement texts): the
    catalog is then the one ``since``'s read assembled, and is not assembled again. When
    ``since`` has the catalog's state and it is unchanged, the catalog is not even read
    again (one short statement). With ``since=None`` the catalog is always read and
    assembled."""
    names = _schema_names(schemas)
    excluded = frozenset(exclude_tables)
    if since is not None and (await _state_unchanged(conn, since, names, excluded))[0]:
        return None
    return await _read_on(conn, names, excluded, since)


async def _read_on(
    conn: AnyConnection,
    schemas: Iterable[str],
    exclude_tables: Iterable[QualifiedName],
    since: CatalogFingerprint | None,
) -> Catalog | None:
    names = _schema_names(schemas)
    excluded = frozenset(exclude_tables)
    digests = None if since is None else ReadDigests()
    if conn.is_in_transaction():
        savepoint = conn.transaction()
        await savepoint.start()
        try:
            texts = await fetch_texts_sequentially(
                conn, names, own_transaction=False, digests=digests
            )
        finally:
            await savepoint.rollback()
    else:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            texts = await fetch_texts_sequentially(
                conn, names, own_transaction=True, digests=digests
            )
    if digests is not None and digests.fingerprint(names, excluded) == since:
        return None
    with paused_gc():
        return assemble(decoded(texts, conn.get_server_version().major), excluded)
