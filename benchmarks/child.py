"""One measurement in its own process: ``python -m benchmarks.child '<json spec>'``.

A fresh interpreter per measurement keeps each tool's imports, caches and peak memory apart.
The child prints one JSON object: the timed repetitions (seconds), its peak RSS before the
timed work (interpreter, imports, model) and at the end, and tool-specific findings.
"""

from __future__ import annotations

import functools
import json
import resource
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import anyio.to_thread
import asyncpg

# PgClient's default max_size: enough for the concurrent catalog queries and canonicalization.
POOL_SIZE = 10
# Calls before a "warm" process is measured (see latency()).
WARM_UP_CALLS = 4
Spec = dict[str, Any]
Result = dict[str, Any]


def _rss_kb() -> int:
    """Peak RSS of this process so far, in KiB."""
    # VmHWM belongs to this program's address space; ru_maxrss would also count the parent's
    # RSS at fork time, which Linux carries across exec.
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


async def _timed(work: Callable[[], Awaitable[object]]) -> float:
    start = time.perf_counter()
    await work()
    return time.perf_counter() - start


async def analyze(spec: Spec, result: Result) -> None:
    """linkgress ``analyze()`` on an in-sync database, alternating with the catalog floor.

    Alternating the two in one process makes a change of the machine's load hit both alike,
    so their ratio holds even on a busy machine (the floor's memory is measured on its own).
    """
    from benchmarks.floor import CORE_QUERIES, QUERIES, prepare_everywhere, read_catalog
    from benchmarks.schema import context_class, schema_names
    from linkgress_async import PgClient

    context = context_class(spec["n"])
    start = time.perf_counter()
    db = context(PgClient(dsn=spec["dsn"]))  # declares and builds the model
    result["info"]["model_build_s"] = time.perf_counter() - start
    # Every timed analysis reads the catalog (the floor's work); one that takes the catalog
    # the last one read, unchanged since, is timed beside it.
    manager = db.get_schema_manager(reuse_unchanged_catalog=False)
    kept = db.get_schema_manager()
    schemas = schema_names()
    size = len(QUERIES)
    try:
        async with asyncpg.create_pool(spec["dsn"], min_size=size, max_size=size) as pool:
            result["rss_base_kb"] = _rss_kb()
            start = time.perf_counter()
            operations = await manager.analyze()  # warm-up: the pool connects
            result["info"]["first_call_s"] = time.perf_counter() - start
            floor_read = functools.partial(read_catalog, pool, schemas)
            core_read = functools.partial(read_catalog, pool, schemas, CORE_QUERIES)
            await prepare_everywhere(pool, schemas)
            floor: list[float] = []
            core: list[float] = []
            unchanged: list[float] = []
            for _ in range(spec["reps"]):
                floor.append(await _timed(floor_read))
                core.append(await _timed(core_read))
                result["times"].append(await _timed(manager.analyze))
                unchanged.append(await _timed(kept.analyze))
            result["info"]["floor_times"] = floor
            result["info"]["core_floor_times"] = core
            result["info"]["kept_times"] = unchanged
            result["info"]["operations"] = [op.describe() for op in operations][:10]
    finally:
        await db.dispose()


async def floor_catalog(spec: Spec, result: Result) -> None:
    """The raw asyncpg catalog floor."""
    from benchmarks.floor import QUERIES, prepare_everywhere, read_catalog
    from benchmarks.schema import schema_names

    schemas = schema_names()
    size = len(QUERIES)
    async with asyncpg.create_pool(spec["dsn"], min_size=size, max_size=size) as pool:
        result["rss_base_kb"] = _rss_kb()
        await prepare_everywhere(pool, schemas)
        rows = await read_catalog(pool, schemas)
        for _ in range(spec["reps"]):
            result["times"].append(await _timed(functools.partial(read_catalog, pool, schemas)))
        result["info"]["rows"] = rows


async def ensure_created(spec: Spec, result: Result) -> None:
    """linkgress ``ensure_created()``, each repetition on a new empty database."""
    from benchmarks.schema import context_class
    from linkgress_async import PgClient

    cls = context_class(spec["n"])
    result["rss_base_kb"] = _rss_kb()
    for dsn in spec["dsns"]:
        # The pool's connections are open before the clock starts, as the floor's one is.
        db = cls(PgClient(dsn=dsn, min_size=POOL_SIZE, max_size=POOL_SIZE))
        try:
            await db.client.connect()
            created = await _timed(db.get_schema_manager().ensure_created)
            result["times"].append(created)
            result["info"]["reanalyze_operations"] = len(await db.get_schema_manager().analyze())
        finally:
            await db.dispose()


async def ddl_floor(spec: Spec, result: Result) -> None:
    """The raw DDL floor: one multi-statement call in one transaction."""
    from benchmarks.floor import run_ddl

    script = await anyio.Path(spec["script"]).read_text(encoding="utf-8")
    result["rss_base_kb"] = _rss_kb()
    for dsn in spec["dsns"]:
        conn = await asyncpg.connect(dsn)
        try:
            result["times"].append(await _timed(functools.partial(run_ddl, conn, script)))
        finally:
            await conn.close()


async def runner(spec: Spec, result: Result) -> None:
    """``MigrationRunner.up()`` over a directory of trivial migrations, fresh journal each time."""
    from linkgress_async import DbContext, MigrationRunner, PgClient

    db = DbContext(PgClient(dsn=spec["dsn"]))
    try:
        await db.query("SELECT 1")
        result["rss_base_kb"] = _rss_kb()
        for rep in range(spec["reps"] + 1):
            run = MigrationRunner(
                db,
                migrations_directory=spec["directory"],
                journal_table=f"__bench_journal_{rep}",
                verbose=False,
            )
            elapsed = await _timed(run.up)
            if rep:  # the first run is the warm-up
                result["times"].append(elapsed)
        result["info"]["applied"] = len(await run.get_applied())
    finally:
        await db.dispose()


def alembic(spec: Spec, result: Result) -> None:
    """Alembic ``compare_metadata`` on an in-sync database."""
    import sqlalchemy as sa

    from benchmarks.peers import alembic_compare, sqlalchemy_url
    from benchmarks.schema import metadata

    md = metadata(spec["n"])
    engine = sa.create_engine(sqlalchemy_url(spec["dsn"]))
    result["rss_base_kb"] = _rss_kb()
    diffs: list[str] = []
    for rep in range(spec["reps"] + spec["warmup"]):
        start = time.perf_counter()
        diffs = alembic_compare(engine, md)
        if rep >= spec["warmup"]:
            result["times"].append(time.perf_counter() - start)
    engine.dispose()
    result["info"]["diff_count"] = len(diffs)
    result["info"]["diff_sample"] = sorted(set(diffs))[:8]


def migra(spec: Spec, result: Result) -> None:
    """migra between two identical databases."""
    from benchmarks.peers import migra_compare, sqlalchemy_url

    a, b = sqlalchemy_url(spec["dsn"]), sqlalchemy_url(spec["other_dsn"])
    result["rss_base_kb"] = _rss_kb()
    sql = ""
    for rep in range(spec["reps"] + spec["warmup"]):
        start = time.perf_counter()
        sql = migra_compare(a, b)
        if rep >= spec["warmup"]:
            result["times"].append(time.perf_counter() - start)
    result["info"]["diff_statements"] = sql.count(";")
    result["info"]["diff_sample"] = sql.strip().splitlines()[:5]


async def _mark(label: str) -> None:
    """Tell the parent (which runs the latency proxy) where we are; wait for its go-ahead."""
    print(f"MARK {label}", flush=True)
    await anyio.to_thread.run_sync(sys.stdin.readline)


async def latency(spec: Spec, result: Result) -> None:
    """The catalog floor, ``analyze()`` and an up-to-date ``migrate()`` through the parent's
    latency proxy: each counted once at every latency (between marks), then timed alternately.
    """
    from benchmarks.floor import (
        QUERIES,
        prepare_everywhere,
        read_catalog,
        read_introspection_queries,
    )
    from benchmarks.schema import context_class, schema_names
    from linkgress_async import PgClient
    from linkgress_async.client import CACHEABLE_STATEMENT_SIZE
    from linkgress_async.introspect._queries import SPLIT

    db = context_class(spec["n"])(PgClient(dsn=spec["dsn"]))
    # Each analysis and migration reads the catalog; "kept" takes the last read's, unchanged.
    manager = db.get_schema_manager(out=lambda _line: None, reuse_unchanged_catalog=False)
    kept = db.get_schema_manager(out=lambda _line: None)
    schemas = schema_names()
    size = len(QUERIES)
    try:
        async with (
            asyncpg.create_pool(spec["dsn"], min_size=size, max_size=size) as pool,
            asyncpg.create_pool(
                spec["dsn"],
                min_size=len(SPLIT),
                max_size=len(SPLIT),
                # As PgClient's pools do: the statements are larger than asyncpg's default.
                max_cacheable_statement_size=CACHEABLE_STATEMENT_SIZE,
            ) as family_pool,
        ):
            floor_read = functools.partial(read_catalog, pool, schemas)
            queries_read = functools.partial(read_introspection_queries, family_pool, schemas)
            result["rss_base_kb"] = _rss_kb()
            # Warm-up until the steady state of a process that has run these before: the
            # pool has its connections and each has prepared the statements of both
            # introspection roles (which connection gets which role varies from call to call).
            for _ in range(WARM_UP_CALLS):
                await manager.analyze()
                await manager.migrate()
                await kept.analyze()
            await prepare_everywhere(pool, schemas)
            await queries_read()
            await queries_read()
            rows: dict[str, Any] = {}
            for one_way in spec["latencies"]:
                await _mark(f"latency {one_way}")
                await _mark("floor")
                await floor_read()
                await _mark("queries")
                await queries_read()
                await _mark("analyze")
                await manager.analyze()
                await _mark("migrate")
                await manager.migrate()
                await _mark("kept")
                await kept.analyze()
                await _mark("timing")
                times: dict[str, list[float]] = {
                    "floor": [],
                    "queries": [],
                    "analyze": [],
                    "migrate": [],
                    "kept": [],
                }
                for _ in range(spec["reps"]):
                    times["floor"].append(await _timed(floor_read))
                    times["queries"].append(await _timed(queries_read))
                    times["analyze"].append(await _timed(manager.analyze))
                    times["migrate"].append(await _timed(manager.migrate))
                    times["kept"].append(await _timed(kept.analyze))
                rows[str(one_way)] = times
            await _mark("end")
            result["info"]["latencies"] = rows
            result["times"] = rows[str(spec["latencies"][0])]["analyze"]
    finally:
        await db.dispose()


ASYNC_TOOLS: dict[str, Callable[[Spec, Result], Awaitable[None]]] = {
    "latency": latency,
    "analyze": analyze,
    "floor_catalog": floor_catalog,
    "ensure_created": ensure_created,
    "ddl_floor": ddl_floor,
    "runner": runner,
}
SYNC_TOOLS: dict[str, Callable[[Spec, Result], None]] = {"alembic": alembic, "migra": migra}


def main(argv: list[str]) -> int:
    """Run the measurement described by the JSON in ``argv[0]``; print the result as JSON."""
    spec: Spec = json.loads(argv[0])
    result: Result = {"times": [], "info": {}}
    tool = spec["tool"]
    if tool in SYNC_TOOLS:
        SYNC_TOOLS[tool](spec, result)
    else:
        anyio.run(ASYNC_TOOLS[tool], spec, result)
    result["rss_peak_kb"] = _rss_kb()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
