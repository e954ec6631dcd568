"""The benchmark page's latency rows: times at each one-way latency, round trips, targets."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from benchmarks.report_format import kept_cell as _kept
from benchmarks.report_format import ms as _ms
from benchmarks.report_format import ratio as _ratio

__all__ = ["closing_note", "latency_report", "latency_table", "latency_targets"]


def _rows(sizes: dict[str, Any]) -> Iterator[tuple[int, float, dict[str, Any]]]:
    """Each size's latency rows: (N, one-way latency in seconds, the row)."""
    for n, r in sizes.items():
        for one_way, row in r.get("latency", {}).get("rows", {}).items():
            yield int(n), float(one_way), row


def _medians(row: dict[str, Any]) -> tuple[float, float, float, float]:
    """The row's medians: the floor, the raw queries, ``analyze()`` and ``migrate()``."""
    floor, raw, lg, mig = (row[k]["median_s"] for k in ("floor", "queries", "analyze", "migrate"))
    return floor, raw, lg, mig


def _traffic(entry: dict[str, Any]) -> str:
    t = entry["traffic"]
    kinds = ", ".join(f"{t['messages'].get(k, 0)} {k}" for k in ("Sync", "Query", "Parse"))
    return f"{t['round_trips']} ({kinds}; deepest {t['deepest']})"


def latency_table(sizes: dict[str, Any]) -> list[str]:
    lines = [
        "| N | one-way latency | raw floor | linkgress's queries, raw | `analyze()` "
        "| up-to-date `migrate()` | `analyze()`, catalog unchanged |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    trips = [
        "| N | one-way latency | floor | linkgress's queries, raw | `analyze()` "
        "| up-to-date `migrate()` | `analyze()`, catalog unchanged |",
        "|---:|---:|---|---|---|---|---|",
    ]
    for n, one_way, row in _rows(sizes):
        floor, raw, lg, mig = _medians(row)
        label = "loopback" if one_way == 0 else f"{one_way * 1000:g} ms"
        lines.append(
            f"| {n:,} | {label} | {_ms(floor)} | {_ms(raw)} ({_ratio(raw, floor)}) "
            f"| {_ms(lg)} ({_ratio(lg, floor)}; {_ratio(lg, raw)} the raw queries) "
            f"| {_ms(mig)} ({_ratio(mig, floor)}) "
            f"| {_kept(row.get('kept', {}).get('times_s'), floor)} |"
        )
        trips.append(
            f"| {n:,} | {label} | {_traffic(row['floor'])} "
            f"| {_traffic(row['queries'])} | {_traffic(row['analyze'])} "
            f"| {_traffic(row['migrate'])} "
            f"| {_traffic(row['kept']) if 'kept' in row else '-'} |"
        )
    return [
        *lines,
        "",
        "Round trips (Sync, Query and Parse messages; the deepest connection):",
        "",
        *trips,
    ]


def closing_note(sizes: dict[str, Any]) -> list[str]:
    """The ratios of the latency rows in words, and what they leave to do."""
    out = []
    for n, one_way, row in _rows(sizes):
        floor, raw, lg, mig = _medians(row)
        label = "loopback" if one_way == 0 else f"{one_way * 1000:g} ms one way"
        out.append(
            f"* N={n:,}, {label}: `analyze()` {_ratio(lg, floor)} the raw floor and "
            f"{_ratio(lg, raw)} linkgress's own queries sent raw (those are "
            f"{_ratio(raw, floor)} the floor); an up-to-date `migrate()` "
            f"{_ratio(mig, lg)} one `analyze()`; round trips: analyze "
            f"{row['analyze']['traffic']['round_trips']} (deepest "
            f"{row['analyze']['traffic']['deepest']}), floor "
            f"{row['floor']['traffic']['round_trips']}."
        )
    if out:
        out += [
            "",
            "Every `analyze()` and `migrate()` timed against the floor reads the catalog "
            "(`reuse_unchanged_catalog=False`); the last column is a warm `analyze()` as an "
            "application gets it by default when nothing changed since its last analysis: one "
            "statement reads the catalog's state (a summary of every catalog's row versions) "
            "and the spelling's state token, finds both unchanged and takes the catalog the "
            "last analysis read; it does not read the catalog, so it is no measure against "
            "the floor, and the targets below are judged on the reading `analyze()`. "
            "A warm `analyze()` builds no scratch objects and reads the catalog in two "
            "transactions on two connections sharing one snapshot, one statement each: 6 "
            "round trips for any N and any model (the exporting connection's begin with the "
            "export, statement and commit; the other one's begin with its own snapshot, "
            "statement and commit, and a begin importing the export only when a transaction "
            "ended between the two beginnings), none of them a Parse once the process has "
            "settled (the "
            "statements stay prepared on every pooled connection; the counts are taken after "
            "four warm-up calls). An up-to-date `migrate()` makes the same ones: its look at "
            "the migration lock rides in the export's round trip. An application waits for 2 "
            "of them one after another (the COMMITs travel while the catalog is assembled), "
            "as for the floor's 2 (its query, then the pool's reset on release). What keeps "
            "`analyze()` "
            "above the floor is the server's work on the families only linkgress reads that "
            "way (dependencies resolved to named objects, constraints with their NOT NULL "
            "names, indexes with every key option), on 2 connections where the floor spreads "
            "17 plainer queries over 17, then the client's assembly and diff; the raw-queries "
            "column shows the two statements alone. Times on a 2-core machine are noisy; the "
            "ratios within a row, taken side by side in one process, and the round-trip "
            "counts, which are exact, are what to compare.",
        ]
    return out


def latency_report(results: dict[str, Any]) -> str:
    """The latency rows alone, as Markdown (``python -m benchmarks --latency-only``)."""
    return "\n".join(latency_table(results["sizes"])) + "\n"


def latency_targets(n: int, rows: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """Issue 14's targets that the latency rows judge."""
    out = []
    for one_way, row in rows.items():
        trips = row["analyze"]["traffic"]["round_trips"]
        ratio = row["analyze"]["median_s"] / row["floor"]["median_s"]
        if float(one_way) == 0:
            messages = row["analyze"]["traffic"]["messages"]
            # Parse: a statement new to the pooled connection that got it (asyncpg prepares
            # it first), which a longer-running process no longer pays.
            exchanged = messages.get("Sync", 0) + messages.get("Query", 0)
            measured = f"{trips} ({exchanged} + {messages.get('Parse', 0)} Parse)"
            out.append((f"warm `analyze()` ≤ 8 round trips, N={n:,}", measured, trips <= 8))
            migrate = row["migrate"]["traffic"]["round_trips"]
            out.append(
                (
                    f"up-to-date `migrate()` ≤ one `analyze()` in round trips, N={n:,}",
                    f"{migrate} vs {trips}",
                    migrate <= trips,
                )
            )
        if float(one_way) >= 0.010:
            label = f"`analyze()` ≤ 1.5x floor at {float(one_way) * 1000:g} ms, N={n:,}"
            out.append((label, f"{ratio:.2f}x", ratio <= 1.5))
    return out
