"""What the diff needs to know about casts and enum spellings on the target server."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping

import asyncpg

from linkgress_async._gc import paused_gc
from linkgress_async.canonical._named_types import prepare_named_objects
from linkgress_async.canonical._scratch import hold_migration_lock_shared, scratch_rows
from linkgress_async.catalog import Catalog, QualifiedName
from linkgress_async.client import AnyConnection, using
from linkgress_async.diff import DiffContext, type_changes
from linkgress_async.render.quote import qualified

__all__ = ["castable_pairs", "diff_context", "enum_spellings", "probe_pairs", "read_enum_spellings"]


async def read_enum_spellings(conn: AnyConnection, model: Catalog) -> dict[QualifiedName, str]:
    """How ``format_type`` spells each enum of ``model`` (and the names they were renamed
    from, when they exist); the caller has pinned ``search_path`` to ``pg_catalog``."""
    if not model.enums:
        return {}
    # The names enums were renamed from are spelled too, so that the diff finds the columns
    # that use them.
    keys = [e.qualified_name for e in model.enums]
    keys += [QualifiedName(e.schema, e.renamed_from) for e in model.enums if e.renamed_from]
    rows = await scratch_rows(
        conn,
        "SELECT pg_catalog.format_type(pg_catalog.to_regtype(n), NULL) AS spelled"
        " FROM unnest({names}) WITH ORDINALITY AS u(n, o) ORDER BY o",
        [qualified(key.schema, key.name) for key in keys],
        ("spelled",),
    )
    return {key: spelled for key, (spelled,) in zip(keys, rows, strict=True) if spelled is not None}


async def enum_spellings(conn: AnyConnection, catalog: Catalog) -> dict[QualifiedName, str]:
    """How the server spells the type of each enum of ``catalog`` (and of the names they were
    renamed from) in a column type, as introspection reads column types."""
    if not catalog.enums:
        return {}
    async with conn.transaction():
        await conn.execute("SET LOCAL search_path = pg_catalog")
        return await read_enum_spellings(conn, catalog)


async def diff_context(
    source: asyncpg.Pool | AnyConnection,
    current: Catalog,
    target: Catalog,
    enum_type_names: Mapping[QualifiedName, str],
) -> DiffContext:
    """The diff's context for turning ``current`` into ``target`` on the database of
    ``source``: which of the type changes an explicit cast converts there (the others are
    drop + add). A pool is only used when there is a type change to ask about."""
    with paused_gc():
        pairs = type_changes(current, target, DiffContext(enum_type_names=enum_type_names))
    accepted: frozenset[tuple[str, str]] = frozenset()
    if pairs:
        async with using(source) as conn:
            accepted = await castable_pairs(conn, target, pairs)

    def castable(old: str, new: str) -> bool:
        return (old, new) in accepted

    return DiffContext(castable=castable, enum_type_names=enum_type_names)


async def castable_pairs(
    conn: AnyConnection, model: Catalog, pairs: Iterable[tuple[str, str]]
) -> frozenset[tuple[str, str]]:
    """The (from, to) type pairs an explicit cast converts (so ``USING col::to`` works)."""

    async def casts(old: str, new: str) -> bool:
        await conn.execute(f"SELECT NULL::{old}::{new}")
        return True

    async def setup() -> None:
        # The named objects are scratch objects: held apart from a migration's as in
        # scratch_transaction.
        await hold_migration_lock_shared(conn)
        await prepare_named_objects(conn, model)

    return await probe_pairs(conn, pairs, setup, casts)


async def probe_pairs(
    conn: AnyConnection,
    pairs: Iterable[tuple[str, str]],
    setup: Callable[[], Awaitable[None]],
    accepts: Callable[[str, str], Awaitable[bool]],
) -> frozenset[tuple[str, str]]:
    """The pairs ``accepts`` holds for, each tried in a savepoint after ``setup``, all in one
    transaction that is rolled back; a pair the server rejects (an error) is not accepted."""
    pairs = sorted(set(pairs))
    if not pairs:
        return frozenset()
    accepted: set[tuple[str, str]] = set()
    transaction = conn.transaction()
    await transaction.start()
    try:
        await setup()
        for old, new in pairs:
            try:
                async with conn.transaction():
                    if await accepts(old, new):
                        accepted.add((old, new))
            except asyncpg.PostgresError:
                continue
    finally:
        await transaction.rollback()
    return frozenset(accepted)
