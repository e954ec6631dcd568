"""Online vs offline automatic migrations under traffic: ``python -m benchmarks.online``.

A table of ``--rows`` rows (1,000,000 by default) takes reads and writes from concurrent
clients while one change is migrated, offline (``migrate()``: one transaction) and online
(``migrate(online=True)``). For each change kind it reports the longest any client query
took (waiting on the migration's locks is what makes it long), the longest with no
migration running (the baseline), and the migration's total time. Every run starts from a
copy of the same database (``CREATE DATABASE ... TEMPLATE``). ``--output FILE`` writes the
results as JSON; the Markdown table is printed.

It is not part of the test suite (minutes at a million rows); ``--rows 2000`` is a smoke run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import asyncpg
from attrs import define, field, frozen

from linkgress_async import DbContext, DbModelConfig, PgClient
from linkgress_async._server import TemporaryServer
from linkgress_async.catalog import Catalog
from linkgress_async.execute.retry import DEFAULT_LOCK_TIMEOUT
from linkgress_async.introspect import introspect

OWNERS = 100
WRITERS = 2
READERS = 2

BASE = """
CREATE SCHEMA app;
CREATE TABLE app.owners (id int PRIMARY KEY);
CREATE TABLE app.items (
    id bigint PRIMARY KEY, owner_id int, amount int, code text, qty int
);
"""

FILL = """
INSERT INTO app.owners SELECT g FROM generate_series(1, {owners}) g;
INSERT INTO app.items
SELECT g, 1 + g % {owners}, g % 1000, 'c' || g, g % 7 FROM generate_series(1, {rows}) g;
"""


@frozen
class Change:
    """One change kind: its name and the target schema's extra SQL."""

    name: str
    target: str


CHANGES = (
    Change(
        "add NOT NULL column with volatile default",
        "ALTER TABLE app.items ADD COLUMN token uuid NOT NULL DEFAULT gen_random_uuid();",
    ),
    Change("change column type (int to bigint)", "ALTER TABLE app.items ALTER amount TYPE bigint;"),
    Change("create index", "CREATE INDEX ix_items_code ON app.items (code);"),
    Change(
        "add foreign key",
        "ALTER TABLE app.items ADD CONSTRAINT items_owner_fk FOREIGN KEY (owner_id)"
        " REFERENCES app.owners (id);",
    ),
    Change(
        "add check constraint",
        "ALTER TABLE app.items ADD CONSTRAINT items_qty_check CHECK (qty >= 0);",
    ),
    Change("set NOT NULL", "ALTER TABLE app.items ALTER code SET NOT NULL;"),
)


class Bench(DbContext):
    """The context; its model is the target catalog, set per change."""

    def setup_model(self, model: DbModelConfig) -> None:
        pass


@define
class Traffic:
    """Latencies of the clients' queries while it runs."""

    rows: int
    longest: float = 0.0
    queries: int = 0
    stop: anyio.Event = field(factory=anyio.Event)

    def record(self, seconds: float) -> None:
        """One query's time."""
        self.queries += 1
        self.longest = max(self.longest, seconds)

    async def writer(self, dsn: str, number: int) -> None:
        """Update random rows and insert new ones until stopped."""
        conn = await asyncpg.connect(dsn)
        try:
            step = 0
            while not self.stop.is_set():
                step += 1
                key = 1 + (step * 7919 + number * 104729) % self.rows
                began = time.perf_counter()
                await conn.execute("UPDATE app.items SET qty = qty + 1 WHERE id = $1", key)
                await conn.execute(
                    "INSERT INTO app.items (id, owner_id, amount, code, qty)"
                    " VALUES ($1, 1, 1, 'w', 1)",
                    10_000_000_000 + number * 1_000_000_000 + step,
                )
                self.record((time.perf_counter() - began) / 2)
                await anyio.sleep(0.005)
        finally:
            await conn.close()

    async def reader(self, dsn: str, number: int) -> None:
        """Read random rows until stopped."""
        conn = await asyncpg.connect(dsn)
        try:
            step = 0
            while not self.stop.is_set():
                step += 1
                key = 1 + (step * 6151 + number * 7) % self.rows
                began = time.perf_counter()
                await conn.fetchrow("SELECT * FROM app.items WHERE id = $1", key)
                self.record(time.perf_counter() - began)
                await anyio.sleep(0.005)
        finally:
            await conn.close()


async def under_traffic(
    dsn: str, rows: int, work: Callable[[], Any], settle: float = 0.5
) -> tuple[float, float, int]:
    """Run ``work`` while the clients run: (its seconds, the longest query, queries run)."""
    traffic = Traffic(rows)
    elapsed = 0.0
    async with anyio.create_task_group() as group:
        for number in range(WRITERS):
            group.start_soon(traffic.writer, dsn, number)
        for number in range(READERS):
            group.start_soon(traffic.reader, dsn, number)
        await anyio.sleep(settle)
        began = time.perf_counter()
        await work()
        elapsed = time.perf_counter() - began
        await anyio.sleep(settle)
        traffic.stop.set()
    return elapsed, traffic.longest, traffic.queries


async def target_catalog(
    admin: asyncpg.Connection, server: TemporaryServer, change: Change
) -> Catalog:
    """The model: the catalog of a database holding the target schema."""
    await admin.execute("CREATE DATABASE bench_target")
    try:
        conn = await asyncpg.connect(server.dsn("bench_target"))
        try:
            await conn.execute(BASE + change.target)
        finally:
            await conn.close()
        pool = await asyncpg.create_pool(server.dsn("bench_target"), min_size=1, max_size=2)
        try:
            return await introspect(pool, ["app"])
        finally:
            await pool.close()
    finally:
        await admin.execute("DROP DATABASE bench_target")


async def measure(
    server: TemporaryServer, admin: asyncpg.Connection, rows: int, change: Change, online: bool
) -> dict[str, Any]:
    """One migration of ``change`` on a fresh copy, under traffic."""
    model = await target_catalog(admin, server, change)
    await admin.execute("CREATE DATABASE bench_run TEMPLATE bench_base")
    try:
        dsn = server.dsn("bench_run")
        db = Bench(PgClient(dsn=dsn))
        db.model = model
        async with db:
            manager = db.get_schema_manager(out=lambda _line: None)

            async def migrate() -> None:
                await manager.migrate(online=online, allow_destructive=True)

            seconds, longest, queries = await under_traffic(dsn, rows, migrate)
            left = await db.get_schema_manager(out=lambda _line: None).analyze()
        return {
            "change": change.name,
            "mode": "online" if online else "offline",
            "total_s": seconds,
            "longest_query_s": longest,
            "queries": queries,
            "converged": not left,
        }
    finally:
        await admin.execute("DROP DATABASE bench_run WITH (FORCE)")


async def baseline(server: TemporaryServer, admin: asyncpg.Connection, rows: int) -> float:
    """The longest query with no migration running (three seconds of traffic)."""
    await admin.execute("CREATE DATABASE bench_run TEMPLATE bench_base")
    try:
        _, longest, _ = await under_traffic(
            server.dsn("bench_run"), rows, lambda: anyio.sleep(3), settle=0
        )
        return longest
    finally:
        await admin.execute("DROP DATABASE bench_run WITH (FORCE)")


async def run(rows: int, kinds: list[str] | None) -> dict[str, Any]:
    """Start a server, build the base database, measure each change both ways."""
    results: dict[str, Any] = {"rows": rows, "writers": WRITERS, "readers": READERS}
    with TemporaryServer() as server:
        admin = await asyncpg.connect(server.dsn())
        try:
            results["postgresql"] = server.version
            await admin.execute("CREATE DATABASE bench_base")
            conn = await asyncpg.connect(server.dsn("bench_base"))
            try:
                await conn.execute(BASE + FILL.format(owners=OWNERS, rows=rows))
                await conn.execute("VACUUM ANALYZE app.items")
            finally:
                await conn.close()
            results["baseline_longest_query_s"] = await baseline(server, admin, rows)
            results["runs"] = []
            for change in CHANGES:
                if kinds and not any(kind in change.name for kind in kinds):
                    continue
                for online in (False, True):
                    print(
                        f"{change.name}, {'online' if online else 'offline'} ...", file=sys.stderr
                    )
                    results["runs"].append(await measure(server, admin, rows, change, online))
        finally:
            await admin.close()
    return results


def markdown(results: dict[str, Any]) -> str:
    """The results as a Markdown table."""
    lines = [
        f"{results['rows']:,} rows; {results['writers']} writers and {results['readers']} "
        f"readers throughout; PostgreSQL {results['postgresql']}. Longest query with no "
        f"migration running: {results['baseline_longest_query_s'] * 1000:.0f} ms.",
        "",
        "| Change | Offline: longest query | Offline: total | Online: longest query "
        "| Online: total |",
        "|---|---:|---:|---:|---:|",
    ]
    by_change: dict[str, dict[str, dict[str, Any]]] = {}
    for run_ in results["runs"]:
        by_change.setdefault(run_["change"], {})[run_["mode"]] = run_
    for change, modes in by_change.items():
        cells = []
        for mode in ("offline", "online"):
            one = modes.get(mode)
            if one is None:
                cells += ["-", "-"]
                continue
            mark = "" if one["converged"] else " (not converged)"
            cells += [f"{one['longest_query_s'] * 1000:,.0f} ms", f"{one['total_s']:.1f} s{mark}"]
        lines.append(f"| {change} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


RESULTS = Path(__file__).with_name("online_results.json")


def benchmarks_section(path: Path = RESULTS) -> str:
    """The section of ``docs/benchmarks.md`` with the last online run's table (empty when
    there is none): the 1,000,000-row run takes minutes, so it is run on its own and kept."""
    if not path.exists():
        return ""
    results = json.loads(path.read_text(encoding="utf-8"))
    online = [r for r in results["runs"] if r["mode"] == "online"]
    longest = max((r["longest_query_s"] for r in online), default=0.0)
    holds = "holds" if longest < DEFAULT_LOCK_TIMEOUT else "**does not hold**"
    return "\n".join(
        [
            "",
            "## Online migrations under traffic",
            "",
            "From `python -m benchmarks.online --output benchmarks/online_results.json` (a",
            "separate run; see [online migrations](online-migrations.md#measured) for the",
            "method). The longest time any client query took while the migration ran, offline",
            "and online, and the whole migration's time:",
            "",
            markdown(results),
            "",
            f"Target: no query waits longer than the lock timeout ({DEFAULT_LOCK_TIMEOUT:g} s) "
            f"online. Longest online: {longest * 1000:,.0f} ms: {holds}.",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.online", description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the table")
    parser.add_argument("--only", nargs="+", help="change kinds to run (substrings of names)")
    parser.add_argument("--output", type=Path, help="write the results as JSON here")
    args = parser.parse_args(argv)
    results = anyio.run(run, args.rows, args.only)
    if args.output is not None:
        args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
