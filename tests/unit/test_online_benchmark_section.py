"""The online benchmark's section of docs/benchmarks.md, from a kept results file."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.online import benchmarks_section


def _results(online_longest: float) -> dict[str, object]:
    run = {"change": "create index", "total_s": 2.5, "queries": 10, "converged": True}
    return {
        "rows": 1000,
        "writers": 2,
        "readers": 2,
        "postgresql": "18.6",
        "baseline_longest_query_s": 0.01,
        "runs": [
            {**run, "mode": "offline", "longest_query_s": 0.979},
            {**run, "mode": "online", "longest_query_s": online_longest},
        ],
    }


def test_the_section_shows_the_table_and_judges_the_target(tmp_path: Path) -> None:
    path = tmp_path / "online_results.json"
    path.write_text(json.dumps(_results(0.022)))
    section = benchmarks_section(path)
    assert "## Online migrations under traffic" in section
    assert "| create index | 979 ms | 2.5 s | 22 ms | 2.5 s |" in section
    assert "Longest online: 22 ms: holds." in section
    path.write_text(json.dumps(_results(6.0)))
    assert "Longest online: 6,000 ms: **does not hold**." in benchmarks_section(path)


def test_no_results_file_no_section(tmp_path: Path) -> None:
    assert benchmarks_section(tmp_path / "missing.json") == ""
