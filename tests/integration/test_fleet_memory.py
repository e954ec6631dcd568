"""A fleet run's memory is bounded by its concurrency: what stays after each target is the
small record the result needs, measured with tracemalloc over runs of N and 3N targets."""

from __future__ import annotations

import gc
import textwrap
import tracemalloc
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import asyncpg
import pytest

from linkgress_async import DbContext, FleetTarget, MigrationRunner
from linkgress_async.fleet import FleetResult
from linkgress_async.render.quote import quote_ident

SMALL = 40
FAILING_EVERY = 4
# One result: the record (index, target reference, status, duration), the applied names and,
# when it failed, its one-line error and the exception without its traceback. Measured at
# about 230 bytes per target that succeeded and 1.2 KB per failed one (asyncpg's error
# keeps the server's fields); keeping each failed target's traceback (and through its frames
# the target's context and pool) measured 6.3 KB per target on average.
BOUND_PER_TARGET = 600


def write_files(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for filename, table in (("001_items.py", "items"), ("002_prices.py", "prices")):
        (directory / filename).write_text(
            textwrap.dedent(
                f"""\
                from linkgress_async.migrations import Migration


                class Step(Migration):
                    async def up(self, db):
                        await db.execute("CREATE TABLE {table} (id int)")

                    async def down(self, db):
                        pass
                """
            ),
            encoding="utf-8",
        )
    return directory


@pytest.fixture
def traced() -> Iterator[None]:
    tracemalloc.start()
    try:
        yield
    finally:
        tracemalloc.stop()


async def tenants(dsn: str, prefix: str, count: int) -> list[FleetTarget]:
    """``count`` tenant schemas; every FAILING_EVERY-th already has a conflicting table, so
    its second file fails (and its result keeps an error and an exception)."""
    conn = await asyncpg.connect(dsn)
    try:
        for n in range(0, count, FAILING_EVERY):
            schema = quote_ident(f"{prefix}_{n:04d}")
            await conn.execute(f"CREATE SCHEMA {schema}; CREATE TABLE {schema}.prices (x text)")
    finally:
        await conn.close()
    return [FleetTarget(dsn, schema=f"{prefix}_{n:04d}") for n in range(count)]


async def retained(run: Callable[[], Awaitable[FleetResult]]) -> tuple[int, FleetResult]:
    """The bytes still allocated after ``run`` ended, with its result held."""
    gc.collect()
    before = tracemalloc.get_traced_memory()[0]
    result = await run()
    gc.collect()
    return tracemalloc.get_traced_memory()[0] - before, result


@pytest.mark.usefixtures("traced")
async def test_memory_kept_per_target_is_a_small_record(linkgress_dsn: str, tmp_path: Path) -> None:
    directory = write_files(tmp_path / "migrations")

    async def up(prefix: str, count: int) -> tuple[int, FleetResult]:
        targets = await tenants(linkgress_dsn, prefix, count)
        return await retained(
            lambda: MigrationRunner.up_many(
                DbContext, targets, migrations_directory=directory, concurrency=4
            )
        )

    await up("warm", 8)  # module caches, the worker thread, asyncpg's codecs
    small_bytes, small = await up("small", SMALL)
    large_bytes, large = await up("large", 3 * SMALL)

    for result, count in ((small, SMALL), (large, 3 * SMALL)):
        assert len(result.failed) == count // FAILING_EVERY, result.report()
        assert result.counts()["ok"] == count - count // FAILING_EVERY, result.report()
    per_target = (large_bytes - small_bytes) / (2 * SMALL)
    assert per_target < BOUND_PER_TARGET, (
        f"{per_target:.0f} bytes kept per target ({small_bytes} after {SMALL} targets, "
        f"{large_bytes} after {3 * SMALL})"
    )
