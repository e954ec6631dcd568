"""The fleet benchmark (benchmarks/fleet_scale.py) at a tiny size, so it cannot rot: every
healthy target migrated, every broken one failed, four causes (issue 18, the proof)."""

from __future__ import annotations

from benchmarks.fleet_scale import WAYS, Plan, broken, run


def test_one_percent_broken_each_way_spread_over_the_list() -> None:
    chosen = broken(2000)
    assert len(chosen) == 80
    assert sorted(chosen.values()) == sorted(WAYS * 20)
    assert min(chosen) >= 1
    assert max(chosen) < 2000
    assert sorted(broken(8).values()) == sorted(WAYS)


async def test_the_fleet_benchmark_at_a_tiny_size() -> None:
    measured = await run(Plan(databases=8, tenants=8, concurrency=4, deadline=120.0))

    assert measured["targets"] == 16
    assert measured["healthy"] == 8
    assert measured["healthy_migrated"] == 8
    assert measured["healthy_clean_in_status_many"] == 8
    assert measured["broken_failed"] == 8
    assert measured["within_deadline"] is True
    groups = measured["failures_by_cause"]
    assert [g["count"] for g in groups] == [2, 2, 2, 2]
    assert sorted(g["error_type"] for g in groups) == [
        "ConnectionFailedError",  # the silent endpoint
        "ConnectionFailedError",  # the full connection slots
        "DuplicateTableError",
        "MigrationLockTimeoutError",
    ]
    causes = " | ".join(g["cause"] for g in groups)
    assert "did not answer within connect_timeout=3 s" in causes
    assert "no free connection slots" in causes
    assert measured["report_bytes"] < 2000
    assert list(measured["rss_by_finished_targets_mb"]) == [2, 4, 6, 8, 10, 12, 14, 16]
    # Resumed with the broken targets still broken: only those run again, and fail again.
    resume = measured["resume"]
    assert resume["only_unfinished_touched"] is True
    assert (resume["targets_run"], resume["left_out_as_finished"]) == (8, 8)
    assert resume["counts"]["failed"] == 8
