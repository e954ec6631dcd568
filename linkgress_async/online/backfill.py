"""The batch loop of a backfill, shared by ``migrate(online=True)`` and migration files.

Each batch is one short transaction that holds the row locks of its rows only; its size
doubles while a batch takes under half of ``batch_seconds`` and halves when one takes
longer, so a batch holds its locks about that long whatever the rows cost.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio
import asyncpg

from linkgress_async.catalog import QualifiedName
from linkgress_async.context import DbContext
from linkgress_async.online.progress import terminal_progress
from linkgress_async.online.rewrite import Backfill

__all__ = ["BATCH_SECONDS", "backfill", "run_batches"]

BATCH_SECONDS = 0.2
"""How long one backfill batch should take: its row locks are held that long at most."""
FIRST_BATCH = 1000
MIN_BATCH = 100
MAX_BATCH = 50_000

Fetch = Callable[[str, tuple[object, ...]], Awaitable[asyncpg.Record | None]]


async def run_batches(
    fetch: Fetch, backfill: Backfill, *, batch_seconds: float = BATCH_SECONDS
) -> tuple[int, float]:
    """Run ``backfill`` batch by batch through ``fetch`` (one transaction per call);
    returns the rows updated and the seconds it took. Reports progress on a terminal."""
    size, last, updated = FIRST_BATCH, None, 0
    started = anyio.current_time()
    progress = terminal_progress()
    try:
        while True:
            sql = backfill.batch_sql(first=last is None)
            args: tuple[object, ...] = (size,) if last is None else (last, size)
            began = anyio.current_time()
            row = await fetch(sql, args)
            took = anyio.current_time() - began
            if row is None or row["last"] is None:
                break
            last = row["last"]
            updated += row["updated"]
            if progress is not None:
                progress.backfill(backfill.describe(), updated, anyio.current_time() - started)
            if took < batch_seconds / 2:
                size = min(size * 2, MAX_BATCH)
            elif took > batch_seconds:
                size = max(size // 2, MIN_BATCH)
    finally:
        if progress is not None:
            progress.end()
    return updated, anyio.current_time() - started


async def backfill(
    db: DbContext,
    *,
    table: tuple[str, str],
    key: str,
    column: str,
    expression: str,
    only_null: bool = False,
    batch_seconds: float = BATCH_SECONDS,
) -> int:
    """In a migration file (``transactional = False``): set ``column`` to ``expression``
    on every row of ``table`` (schema, name) in batches ordered by its one-column key
    ``key``, each its own short transaction; ``only_null`` skips rows that have a value.
    ``scaffold --online`` writes these calls. Returns the rows updated."""
    job = Backfill(QualifiedName(*table), key, column, expression, only_null)

    async def fetch(sql: str, args: tuple[object, ...]) -> asyncpg.Record | None:
        rows = await db.query(sql, *args)
        return rows[0] if rows else None

    updated, _ = await run_batches(fetch, job, batch_seconds=batch_seconds)
    return updated
