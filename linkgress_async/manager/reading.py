"""An analysis' first read: the live database and the model's spelling, together."""

from __future__ import annotations

import json
import weakref
from typing import TYPE_CHECKING, Any

import anyio
import asyncpg

from linkgress_async._locks import MIGRATE_LOCK_KEY
from linkgress_async.canonical import Canonical, cached_spelling, spelling_cache, spelling_state
from linkgress_async.catalog import Catalog
from linkgress_async.client import PgClient
from linkgress_async.introspect import CatalogFingerprint, KeptCatalog, read_catalog
from linkgress_async.render.quote import render_literal

if TYPE_CHECKING:
    from linkgress_async.manager import DbSchemaManager

__all__ = ["read_with_spelling"]


async def read_with_spelling(
    manager: DbSchemaManager, pool: asyncpg.Pool, check_lock: bool = False
) -> tuple[Catalog, Canonical, bool | None, CatalogFingerprint | None]:
    """The live database and the model's spelling, read concurrently; when this process
    spelled the model before, the introspection's snapshot tells whether that spelling
    still holds, and the server is asked again only when it does not. With
    ``check_lock`` (a plan to apply), that round trip also tells whether the migration
    lock was free (else ``None``: not asked), and the read's fingerprint comes back for the
    re-check under the lock (else ``None``)."""
    client = manager.db.client
    since = _kept_reads.get(client) if manager.reuse_unchanged_catalog else None
    if _spelled_through(client, manager.model):
        expression = spelling_state(manager.model)
        if check_lock:
            # A shared hold until the read commits; a migration at work holds it alone.
            lock = render_literal(MIGRATE_LOCK_KEY)
            expression = (
                f"pg_catalog.json_build_array(({expression}),"
                f" pg_catalog.pg_try_advisory_xact_lock_shared({lock}))::text"
            )
        current, value, fingerprint = await read_catalog(
            pool,
            manager.model.schemas,
            expression,
            exclude_tables=manager.db.journal_tables,
            concurrent=manager.concurrent_introspection,
            fingerprinted=True,
            since=since,
        )
        lock_free: bool | None = None
        state = value
        if check_lock:
            state, lock_free = json.loads(value)
        kept = cached_spelling(manager.model, state)
        canonical = kept if kept is not None else await manager._canonical(pool)
        _keep(client, current, fingerprint)
        return current, canonical, lock_free, fingerprint if check_lock else None
    results: dict[str, Any] = {}

    async def run_introspection() -> None:
        results["current"], results["fingerprint"] = await manager._introspect(True, since)

    async def run_canonical() -> None:
        results["canonical"] = await manager._canonical(pool)

    try:
        async with anyio.create_task_group() as group:
            group.start_soon(run_introspection)
            group.start_soon(run_canonical)
    except BaseExceptionGroup as failure:
        # A ModelError (or a driver error) is what the caller can handle, not a group.
        error = _first_failure(failure)
        raise error from error.__cause__
    _spelled_via[client] = weakref.ref(manager.model)
    _keep(client, results["current"], results["fingerprint"])
    fingerprint = results["fingerprint"] if check_lock else None
    return results["current"], results["canonical"], None, fingerprint


def _first_failure(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The first error of a task group's failure, nested groups flattened."""
    error: BaseException = group
    while isinstance(error, BaseExceptionGroup):
        error = error.exceptions[0]
    return error


# The model last spelled through each client: where it was, the next analysis of it reads
# the state token first and, on a match, spells nothing; elsewhere (a fleet's other
# databases, each with its own client) spelling runs alongside the introspection, as on a
# first call, and finds its spelling kept after one round trip if the state matches.
_spelled_via: weakref.WeakKeyDictionary[PgClient, weakref.ref[Catalog]] = (
    weakref.WeakKeyDictionary()
)


# The catalog each client read last, with its fingerprint: a later analysis through the
# client whose read finds the catalog's state unchanged takes it instead of reading the
# catalog again (:func:`read_catalog`'s ``since``). Kept while the client lives: about 3 MB
# per 1,000 tables.
_kept_reads: weakref.WeakKeyDictionary[PgClient, KeptCatalog] = weakref.WeakKeyDictionary()


def _keep(client: PgClient, catalog: Catalog, fingerprint: CatalogFingerprint | None) -> None:
    """Keep ``catalog`` as ``client``'s last read, when its read kept the catalog's state."""
    if fingerprint is not None and fingerprint.catalog_state is not None:
        _kept_reads[client] = KeptCatalog(catalog, fingerprint)


def _spelled_through(client: PgClient, model: Catalog) -> bool:
    """Whether ``model`` was spelled through ``client`` last (and its spelling is kept)."""
    last = _spelled_via.get(client)
    return last is not None and last() is model and spelling_cache.knows(model)
