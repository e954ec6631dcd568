"""Run every measurement on one embedded PostgreSQL and collect the results."""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from importlib import metadata as distributions
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import asyncpg
from attrs import frozen

from benchmarks.fresh import bytecode_kept, measure_fresh_plan
from benchmarks.latency import measure_latency
from benchmarks.schema import context_class
from linkgress_async import PgClient
from linkgress_async._server import TemporaryServer
from linkgress_async.render.quote import quote_ident

ROOT = Path(__file__).resolve().parent.parent
# 5,000 tables with keys, identities and indexes take ~40,000 locks in one transaction.
SERVER_SETTINGS = {"max_locks_per_transaction": "1024"}
MIGRATION_TEMPLATE = """from linkgress_async import DbContext, Migration


class Step{number:05d}(Migration):
    async def up(self, db: DbContext) -> None:
        await db.query("SELECT 1")

    async def down(self, db: DbContext) -> None:
        await db.query("SELECT 1")
"""
IMPORT_STATEMENTS = {
    "import linkgress_async": "import linkgress_async",
    "public names used by an app": (
        "from linkgress_async import DbContext, DbModelConfig, MigrationRunner, PgClient"
    ),
    # What those names cannot avoid: the three runtime dependencies themselves.
    "the dependencies alone": "import asyncpg, attrs, anyio",
}


@frozen
class Config:
    """What to measure."""

    sizes: tuple[int, ...]
    reps: int
    peer_reps: dict[int, int]
    create_reps: dict[int, int]
    migrations: int
    runner_reps: int
    import_reps: int
    latency_sizes: tuple[int, ...] = (1000,)
    """Sizes that also get the latency rows (floor, analyze, migrate through the proxy)."""
    fresh_sizes: tuple[int, ...] = (1000,)
    """Sizes that also get the fresh-process ``linkgress plan`` (the application-start case)."""
    latency_only: bool = False
    """Measure only the latency rows (a quick look at round trips while working)."""


def stats(raw: dict[str, Any]) -> dict[str, Any]:
    """Median and the raw numbers of one child's measurement."""
    times: list[float] = raw["times"]
    return {
        "median_s": statistics.median(times),
        "times_s": times,
        "rss_base_mb": raw.get("rss_base_kb", 0) / 1024,
        "rss_peak_mb": raw["rss_peak_kb"] / 1024,
        "info": raw["info"],
    }


async def child(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter and return its statistics."""
    done = await anyio.run_process(
        [sys.executable, "-m", "benchmarks.child", json.dumps(spec)],
        cwd=ROOT,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"measurement {spec['tool']} failed (exit {done.returncode}):\n"
            + done.stderr.decode(errors="replace")[-4000:]
        )
    return stats(json.loads(done.stdout))


class Databases:
    """Creates and drops the databases of the run through one admin connection."""

    def __init__(self, server: TemporaryServer, admin: asyncpg.Connection[Any]) -> None:
        self.server, self.admin = server, admin

    async def create(self, name: str) -> str:
        await self.admin.execute(f"CREATE DATABASE {quote_ident(name)}")
        return self.server.dsn(name)

    async def drop(self, name: str) -> None:
        await self.admin.execute(f"DROP DATABASE IF EXISTS {quote_ident(name)} WITH (FORCE)")


async def ddl_script(dbs: Databases, n: int, path: Path) -> int:
    """Write the statements ``ensure_created`` runs on an empty database; return their count."""
    db = context_class(n)(PgClient(dsn=await dbs.create(f"probe_{n}")))
    try:
        manager = db.get_schema_manager()
        statements = manager.to_sql(await manager.analyze())
    finally:
        await db.dispose()
        await dbs.drop(f"probe_{n}")
    await anyio.Path(path).write_text(";\n".join(statements) + ";\n", encoding="utf-8")
    return len(statements)


async def measure_size(dbs: Databases, config: Config, n: int, work: Path) -> dict[str, Any]:
    """Every per-N measurement; the databases it creates are dropped at the end."""
    if config.latency_only:
        return await measure_latency_only(dbs, config, n)
    script = work / f"ddl_{n}.sql"
    statements = await ddl_script(dbs, n, script)
    made = [f"lg_{n}_{r}" for r in range(config.create_reps[n])]
    raw = [f"raw_{n}_{r}" for r in range(config.create_reps[n])]
    results: dict[str, Any] = {"statements": statements}
    try:
        lg_dsns = [await dbs.create(name) for name in made]
        raw_dsns = [await dbs.create(name) for name in raw]
        results["ensure_created"] = await child({"tool": "ensure_created", "n": n, "dsns": lg_dsns})
        results["ddl_floor"] = await child(
            {"tool": "ddl_floor", "script": str(script), "dsns": raw_dsns}
        )
        for name in made[:-1] + raw[:-1]:
            await dbs.drop(name)
        synced, twin = lg_dsns[-1], raw_dsns[-1]
        results["analyze"] = await child(
            {"tool": "analyze", "n": n, "dsn": synced, "reps": config.reps}
        )
        if n in config.latency_sizes:
            results["latency"] = await measure_latency(synced, n, config.reps)
        if n in config.fresh_sizes:
            results["fresh_plan"] = await measure_fresh_plan(synced, n, work, min(config.reps, 3))
        floor = await child({"tool": "floor_catalog", "dsn": synced, "reps": config.reps})
        # The floor's times are those taken alternately with analyze(); its own process
        # gives its memory (and its separately timed median, kept for reference).
        floor["separate_median_s"] = floor["median_s"]
        floor["times_s"] = results["analyze"]["info"]["floor_times"]
        floor["median_s"] = statistics.median(floor["times_s"])
        results["floor_catalog"] = floor
        core_times = results["analyze"]["info"]["core_floor_times"]
        results["core_floor_catalog"] = {
            "median_s": statistics.median(core_times),
            "times_s": core_times,
        }
        peer = {"reps": config.peer_reps[n], "warmup": int(config.peer_reps[n] > 1)}
        results["migra"] = await child({"tool": "migra", "dsn": synced, "other_dsn": twin, **peer})
        results["alembic"] = await child({"tool": "alembic", "n": n, "dsn": synced, **peer})
    finally:
        for name in made + raw:
            await dbs.drop(name)
    return results


async def measure_latency_only(dbs: Databases, config: Config, n: int) -> dict[str, Any]:
    """Only the latency rows of ``n`` tables, on a database made by ``ensure_created()``."""
    name = f"latency_{n}"
    dsn = await dbs.create(name)
    try:
        db = context_class(n)(PgClient(dsn=dsn))
        try:
            await db.get_schema_manager().ensure_created()
        finally:
            await db.dispose()
        return {"latency": await measure_latency(dsn, n, config.reps)}
    finally:
        await dbs.drop(name)


async def import_times(reps: int) -> dict[str, Any]:
    """Wall and CPU time of a fresh interpreter running each import, minus an empty one.

    CPU time (user + system of the child) barely moves with the machine's load; wall time
    does, a lot, on a busy 2-core machine. Both are medians.
    """

    async def timed(code: str) -> tuple[float, float]:
        walls, cpus = [], []
        for _ in range(reps):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            await anyio.run_process([sys.executable, "-c", code], cwd=ROOT, env=bytecode_kept())
            walls.append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        return statistics.median(walls), statistics.median(cpus)

    base_wall, base_cpu = await timed("pass")
    result: dict[str, Any] = {"interpreter_s": base_wall, "interpreter_cpu_s": base_cpu}
    for label, code in IMPORT_STATEMENTS.items():
        wall, cpu = await timed(code)
        result[label] = {
            "wall_s": wall,
            "net_s": wall - base_wall,
            "cpu_s": cpu,
            "net_cpu_s": cpu - base_cpu,
        }
    return result


def machine(server: TemporaryServer) -> dict[str, Any]:
    """The machine, the versions and the load the numbers were taken with."""
    model = ""
    with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    packages = ["linkgress_async", "asyncpg", "alembic", "sqlalchemy", "migra", "schemainspect"]
    return {
        "platform": platform.platform(),
        "cpu": model,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "postgresql": server.version,
        "packages": {name: distributions.version(name) for name in packages},
        "load_average": os.getloadavg(),
    }


async def run(config: Config) -> dict[str, Any]:
    """Start the server, measure everything, return the results."""
    started = time.time()
    results: dict[str, Any] = {"sizes": {}}
    with TemporaryServer(settings=SERVER_SETTINGS) as server, tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        # The service account running PostgreSQL never reads these, but the children do.
        results["machine"] = machine(server)
        admin = await asyncpg.connect(server.dsn())
        try:
            dbs = Databases(server, admin)
            for n in config.sizes:
                print(f"N = {n} ...", file=sys.stderr, flush=True)
                results["sizes"][str(n)] = await measure_size(dbs, config, n, work)
            if not config.latency_only:
                print("migration runner ...", file=sys.stderr, flush=True)
                results["runner"] = await measure_runner(dbs, config, work)
        finally:
            await admin.close()
        if not config.latency_only:
            results["imports"] = await import_times(config.import_reps)
        results["machine"]["load_average_end"] = os.getloadavg()
    results["config"] = {
        "sizes": list(config.sizes),
        "reps": config.reps,
        "peer_reps": {str(k): v for k, v in config.peer_reps.items()},
        "create_reps": {str(k): v for k, v in config.create_reps.items()},
        "migrations": config.migrations,
    }
    results["elapsed_s"] = time.time() - started
    return results


def write_migrations(directory: Path, count: int) -> None:
    """Write ``count`` trivial migration files into a new ``directory``."""
    directory.mkdir()
    for number in range(count):
        path = directory / f"{number:05d}_step.py"
        path.write_text(MIGRATION_TEMPLATE.format(number=number), encoding="utf-8")


async def measure_runner(dbs: Databases, config: Config, work: Path) -> dict[str, Any]:
    """``MigrationRunner.up()`` over ``config.migrations`` trivial files."""
    directory = work / "migrations"
    await anyio.to_thread.run_sync(write_migrations, directory, config.migrations)
    dsn = await dbs.create("runner")
    try:
        spec = {
            "tool": "runner",
            "dsn": dsn,
            "directory": str(directory),
            "reps": config.runner_reps,
        }
        result = await child(spec)
    finally:
        await dbs.drop("runner")
    result["per_migration_ms"] = result["median_s"] * 1000 / config.migrations
    return result
