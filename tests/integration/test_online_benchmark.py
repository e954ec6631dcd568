"""The online benchmark's smoke run: a tiny table, one change kind, both modes converge."""

from __future__ import annotations

from benchmarks.online import markdown, run


async def test_a_tiny_run_measures_both_modes() -> None:
    results = await run(300, ["create index"])
    modes = [(r["change"], r["mode"], r["converged"]) for r in results["runs"]]
    assert modes == [("create index", "offline", True), ("create index", "online", True)]
    assert all(r["queries"] > 0 for r in results["runs"])
    table = markdown(results)
    assert "| create index | " in table
    assert table.startswith("300 rows; 2 writers and 2 readers throughout")
