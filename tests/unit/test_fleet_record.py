"""The run record at 10,000 targets: every outcome written, read back in small memory."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import anyio
import asyncpg

from linkgress_async.fleet import FileRecord, FleetResult, FleetTarget, TargetResult, last_run
from linkgress_async.fleet.record import as_record, recording, resume_targets

COUNT = 10_000


def target(n: int) -> FleetTarget:
    return FleetTarget(f"postgresql://app:pw@db{n % 20}:5432/shop_{n}")


def outcome(n: int) -> TargetResult:
    if n % 100 == 7:
        error = asyncpg.TooManyConnectionsError("sorry, too many clients already")
        return TargetResult(n + 1, target(n), "failed", error=f"x: {error}", exception=error)
    return TargetResult(n + 1, target(n), "ok", applied=("001_a.py",), duration=0.01)


async def test_ten_thousand_targets_are_recorded_and_summarised_in_small_memory(
    tmp_path: Path,
) -> None:
    path = tmp_path / "run.jsonl"
    async with recording(
        FileRecord(path), operation="up_many", options={}, targets=COUNT, resumed=None
    ) as recorder:
        for n in range(COUNT):
            recorder.target(outcome(n))
            if n % 1000 == 0:
                await anyio.sleep(0.01)
        recorder.end(FleetResult(()))
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == COUNT + 2
    assert "pw@" not in path.read_text(encoding="utf-8")
    assert json.loads(lines[8])["cause"] == "TooManyConnectionsError (53300)"

    tracemalloc.start()
    try:
        shown = await last_run(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert shown is not None
    assert shown.counts == {"ok": 9_900, "skipped": 0, "failed": 100, "not-run": 0}
    assert shown.causes == (
        ("TooManyConnectionsError (53300)", 100, "x: sorry, too many clients already"),
    )
    assert len(shown.failed_examples) == 10
    # Streamed: the 2.5 MB record is summarised without holding it.
    assert path.stat().st_size > 2_000_000
    assert peak < 1_000_000, peak

    resumed = await resume_targets(as_record(path), "up_many", (target(n) for n in range(COUNT)))
    assert len(resumed.targets) == 100
    assert resumed.finished == 9_900
