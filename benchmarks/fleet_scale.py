"""``python -m benchmarks.fleet_scale [--quick] [--databases N] [--tenants M] [--output FILE]``.

A fleet as a team with thousands of tenants meets it (issue 18): N databases and M tenant
schemas on one embedded PostgreSQL, migrated by one ``MigrationRunner.up_many`` call, with
1 % of the targets of each kind broken in each of four ways:

- a silent endpoint: a TCP listener that accepts and never answers;
- a held lock: another session holds the target's migration lock;
- full connection slots: the target's database accepts no connection (``CONNECTION LIMIT
  0``: SQLSTATE 53300, as a full server says it);
- a conflicting object: a table the second file creates is already there.

It reports whether the run ended within its deadline, whether every healthy target was
migrated (checked again with ``status_many``), the failures grouped by cause, the size of
the report, throughput and the client's memory (RSS, sampled through the run, and when each
eighth of the targets has finished). Benchmarks
measure; nothing here asserts a time. ``--quick`` (20 databases, 40 tenants) is for CI.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any

import anyio
import anyio.abc
import asyncpg
from attrs import frozen

from linkgress_async import DbContext, FleetTarget, MigrationRunner
from linkgress_async._server import TemporaryServer
from linkgress_async.fleet import FleetResult, TargetResult, status_many
from linkgress_async.migrations.journal import Journal
from linkgress_async.render.quote import quote_ident

ROLE = "fleet_app"
WAYS = ("silent endpoint", "held lock", "full connection slots", "conflicting object")
# Room for the fleet's pools (concurrency x 2), the lock holders and the set-up connections.
SERVER_SETTINGS = {"max_connections": "300", "max_locks_per_transaction": "256"}
FILES = {
    "001_items.py": "CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL)",
    "002_prices.py": "CREATE TABLE prices (item bigint, amount numeric NOT NULL)",
}
FILE_TEMPLATE = """from linkgress_async import DbContext, Migration


class Step(Migration):
    async def up(self, db: DbContext) -> None:
        await db.execute({sql!r})

    async def down(self, db: DbContext) -> None:
        await db.execute("SELECT 1")
"""


@frozen
class Plan:
    """The size of the fleet and the bounds of its run."""

    databases: int
    tenants: int
    concurrency: int = 16
    connect_timeout: float = 3.0
    lock_timeout: float = 3.0
    target_timeout: float = 60.0
    deadline: float = 900.0


def broken(count: int) -> dict[int, str]:
    """Which positions (of ``count`` targets) are broken in which way: 1 % of them in each
    way (at least one), spread over the list."""
    each = max(1, count // 100)
    step = max(1, count // (len(WAYS) * each))
    chosen: dict[int, str] = {}
    for round_ in range(each):
        for number, way in enumerate(WAYS):
            position = (round_ * len(WAYS) + number) * step + 1
            if position < count:
                chosen[position] = way
    return chosen


def rss_mb() -> float:
    """The resident set of this process now (MB)."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def as_role(dsn: str) -> str:
    """The server's superuser DSN as the unprivileged role (a database's connection limit
    does not apply to a superuser)."""
    return dsn.replace("postgresql://postgres@", f"postgresql://{ROLE}@", 1)


async def serve_silently(group: anyio.abc.TaskGroup) -> int:
    """A TCP listener on 127.0.0.1 that accepts every connection and never says a word."""
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")

    async def hold(stream: anyio.abc.SocketStream) -> None:
        async with stream:
            await anyio.sleep_forever()

    async def serve() -> None:
        async with listener:
            await listener.serve(hold)

    port: int = listener.extra(anyio.abc.SocketAttribute.local_port)
    group.start_soon(serve)
    return port


async def in_parallel(jobs: list[Callable[[], Awaitable[None]]], width: int = 4) -> None:
    """Run ``jobs``, ``width`` at a time."""
    limit = anyio.Semaphore(width)

    async def one(job: Callable[[], Awaitable[None]]) -> None:
        async with limit:
            await job()

    async with anyio.create_task_group() as group:
        for job in jobs:
            group.start_soon(one, job)


class Fleet:
    """Creates the databases and tenants, breaks 1 % of each in each way, and holds what
    must stay held (locks, the silent listener) while the run goes."""

    def __init__(self, server: TemporaryServer, plan: Plan, silent_port: int) -> None:
        self.server = server
        self.plan = plan
        self.silent_port = silent_port
        self.holders: list[asyncpg.Connection] = []
        self.ways: dict[int, str] = {}

    def silent(self, database: str) -> str:
        return f"postgresql://{ROLE}@127.0.0.1:{self.silent_port}/{database}?sslmode=disable"

    async def admin(self, database: str = "postgres") -> asyncpg.Connection:
        return await asyncpg.connect(self.server.dsn(database))

    async def build(self) -> list[FleetTarget]:
        admin = await self.admin()
        try:
            await admin.execute(f"DROP ROLE IF EXISTS {ROLE}")
            await admin.execute(f"CREATE ROLE {ROLE} LOGIN")
        finally:
            await admin.close()
        databases = await self._databases()
        tenants = await self._tenants()
        return databases + tenants

    async def _create(self, name: str, *, limit: int = -1) -> None:
        admin = await self.admin()
        try:
            await admin.execute(
                f"CREATE DATABASE {quote_ident(name)} OWNER {ROLE} CONNECTION LIMIT {limit}"
            )
        finally:
            await admin.close()

    async def _databases(self) -> list[FleetTarget]:
        names = [f"fleet_db_{n:05d}" for n in range(self.plan.databases)]
        ways = broken(len(names))
        await in_parallel(
            [
                partial(self._database, name, ways.get(i))
                for i, name in enumerate(names)
                if ways.get(i) != "silent endpoint"
            ]
        )
        for i, way in ways.items():
            self.ways[i] = way
        return [
            FleetTarget(
                self.silent(name)
                if ways.get(i) == "silent endpoint"
                else as_role(self.server.dsn(name)),
                label=name,
            )
            for i, name in enumerate(names)
        ]

    async def _database(self, name: str, way: str | None) -> None:
        await self._create(name, limit=0 if way == "full connection slots" else -1)
        if way == "conflicting object":
            conn = await asyncpg.connect(as_role(self.server.dsn(name)))
            try:
                await conn.execute("CREATE TABLE prices (legacy text)")
            finally:
                await conn.close()
        elif way == "held lock":
            holder = await self.admin(name)
            await holder.execute(
                "SELECT pg_advisory_lock($1)", Journal("public", "__migrations").lock_key
            )
            self.holders.append(holder)

    async def _tenants(self) -> list[FleetTarget]:
        await self._create("fleet_tenants")
        await self._create("fleet_tenants_full", limit=0)
        ways = broken(self.plan.tenants)
        offset = self.plan.databases
        owner = await asyncpg.connect(as_role(self.server.dsn("fleet_tenants")))
        holder = await self.admin("fleet_tenants")
        self.holders.append(holder)
        targets = []
        try:
            for n in range(self.plan.tenants):
                schema = f"tenant_{n:05d}"
                way = ways.get(n)
                if way is not None:
                    self.ways[offset + n] = way
                dsn = as_role(self.server.dsn("fleet_tenants"))
                if way == "silent endpoint":
                    dsn = self.silent("fleet_tenants")
                elif way == "full connection slots":
                    dsn = as_role(self.server.dsn("fleet_tenants_full"))
                elif way == "conflicting object":
                    await owner.execute(
                        f"CREATE SCHEMA {quote_ident(schema)};"
                        f" CREATE TABLE {quote_ident(schema)}.prices (legacy text)"
                    )
                elif way == "held lock":
                    key = Journal(schema, "__migrations").lock_key
                    await holder.execute("SELECT pg_advisory_lock($1)", key)
                targets.append(FleetTarget(dsn, schema=schema, label=schema))
        finally:
            await owner.close()
        return targets

    async def release(self) -> None:
        for holder in self.holders:
            await holder.close()


def write_files(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, sql in FILES.items():
        (directory / name).write_text(FILE_TEMPLATE.format(sql=sql), encoding="utf-8")


class RssByProgress:
    """The RSS when each eighth of the targets has finished: flat when what the run keeps
    per target is small."""

    def __init__(self, total: int) -> None:
        self.marks = {max(1, total * eighth // 8) for eighth in range(1, 9)}
        self.done = 0
        self.samples: dict[int, float] = {}

    def finished(self, _result: TargetResult) -> None:
        self.done += 1
        if self.done in self.marks:
            self.samples[self.done] = round(rss_mb(), 1)


async def sample_rss(peak: list[float]) -> None:
    """Keep the highest RSS seen in ``peak[0]`` (every 0.2 s)."""
    while True:
        peak[0] = max(peak[0], rss_mb())
        await anyio.sleep(0.2)


def outcome(
    result: FleetResult, ways: dict[int, str], checked_clean: int, plan: Plan
) -> dict[str, Any]:
    healthy = [t for t in result.targets if (t.index - 1) not in ways]
    return {
        "targets": len(result.targets),
        "broken": {way: sum(1 for w in ways.values() if w == way) for way in WAYS},
        "counts": dict(result.counts()),
        "healthy": len(healthy),
        "healthy_migrated": sum(1 for t in healthy if t.status == "ok"),
        "healthy_clean_in_status_many": checked_clean,
        "broken_failed": sum(1 for t in result.failed if (t.index - 1) in ways),
        "within_deadline": result.duration <= plan.deadline,
        "failures_by_cause": [
            {"count": g.count, "error_type": g.error_type, "cause": g.cause}
            for g in result.failures_by_cause()
        ],
    }


def resume_outcome(first: FleetResult, resumed: FleetResult) -> dict[str, Any]:
    """What ``resume=True`` ran after ``first``: only its failed and not-run targets."""
    unfinished = {t.label for t in first.targets if t.status in ("failed", "not-run")}
    touched = {t.label for t in resumed.targets}
    return {
        "resume_s": round(resumed.duration, 1),
        "targets_run": len(resumed.targets),
        "left_out_as_finished": resumed.resumed_skipped,
        "only_unfinished_touched": touched == unfinished,
        "counts": dict(resumed.counts()),
    }


async def run(plan: Plan) -> dict[str, Any]:
    """Build the fleet, migrate it once, check it once; return the measurements."""
    with TemporaryServer(settings=SERVER_SETTINGS) as server, tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp) / "migrations"
        write_files(directory)
        async with anyio.create_task_group() as group:
            port = await serve_silently(group)
            fleet = Fleet(server, plan, port)
            began = time.perf_counter()
            print(
                f"creating {plan.databases} databases, {plan.tenants} tenants ...",
                file=sys.stderr,
                flush=True,
            )
            targets = await fleet.build()
            setup = time.perf_counter() - began
            base = rss_mb()
            peak = [base]
            group.start_soon(sample_rss, peak)
            progress = RssByProgress(len(targets))
            record = Path(tmp) / "run.jsonl"
            bounds: dict[str, Any] = {
                "migrations_directory": directory,
                "concurrency": plan.concurrency,
                "connect_timeout": plan.connect_timeout,
                "lock_timeout": plan.lock_timeout,
                "target_timeout": plan.target_timeout,
                "deadline": plan.deadline,
                "capacity_retries": 2,
                "record": record,
            }
            print(f"migrating {len(targets)} targets ...", file=sys.stderr, flush=True)
            result = await MigrationRunner.up_many(
                DbContext, targets, on_result=progress.finished, **bounds
            )
            migrated_peak = peak[0]
            # The broken targets are still broken: a resumed run must touch them and only them.
            print("resuming ...", file=sys.stderr, flush=True)
            resumed = await MigrationRunner.up_many(DbContext, targets, resume=True, **bounds)
            print("status_many ...", file=sys.stderr, flush=True)
            checked = time.perf_counter()
            check = await status_many(
                DbContext,
                targets,
                migrations_directory=directory,
                concurrency=plan.concurrency,
                connect_timeout=plan.connect_timeout,
                deadline=plan.deadline,
                capacity_retries=0,
            )
            check_time = time.perf_counter() - checked
            await fleet.release()
            group.cancel_scope.cancel()
    clean = sum(1 for t in check.targets if t.status == "clean" and (t.index - 1) not in fleet.ways)
    report = result.report()
    return {
        "plan": {
            "databases": plan.databases,
            "tenants": plan.tenants,
            "concurrency": plan.concurrency,
            "connect_timeout_s": plan.connect_timeout,
            "lock_timeout_s": plan.lock_timeout,
            "deadline_s": plan.deadline,
        },
        "setup_s": round(setup, 1),
        "migrate_s": round(result.duration, 1),
        "targets_per_s": round(len(targets) / result.duration, 1),
        "status_many_s": round(check_time, 1),
        "status_many_per_s": round(len(targets) / check_time, 1),
        "rss_before_mb": round(base, 1),
        "rss_peak_migrate_mb": round(migrated_peak, 1),
        "rss_peak_mb": round(peak[0], 1),
        "rss_by_finished_targets_mb": progress.samples,
        "resume": resume_outcome(result, resumed),
        "report_bytes": len(report.encode()),
        "table_bytes": len(result.render().encode()),
        **outcome(result, fleet.ways, clean, plan),
        "report": report,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the fleet benchmark and print its measurements as JSON."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fleet_scale", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="20 databases, 40 tenants (CI)")
    parser.add_argument("--databases", type=int, default=500, metavar="N")
    parser.add_argument("--tenants", type=int, default=2000, metavar="M")
    parser.add_argument("--concurrency", type=int, default=16, metavar="C")
    parser.add_argument("--deadline", type=float, default=900.0, metavar="SECONDS")
    parser.add_argument("--output", type=Path, help="also write the JSON here")
    args = parser.parse_args(argv)
    plan = (
        Plan(20, 40, concurrency=8, deadline=120.0)
        if args.quick
        else Plan(
            args.databases, args.tenants, concurrency=args.concurrency, deadline=args.deadline
        )
    )
    measured = anyio.run(run, plan)
    text = json.dumps(measured, indent=2)
    if args.output is not None:
        args.output.write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
