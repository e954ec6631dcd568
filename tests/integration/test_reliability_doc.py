"""docs/reliability.md names, for every guarantee, a test that exists, and lists them all."""

from __future__ import annotations

import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
DOC = HERE.parents[1] / "docs" / "reliability.md"


def test_every_reference_exists_and_every_reliability_test_is_listed() -> None:
    refs = set(re.findall(r"`(test_\w+\.py)::(\w+)`", DOC.read_text()))
    missing = [
        f"{name}::{test}"
        for name, test in sorted(refs)
        if not (HERE / name).exists()
        or not re.search(rf"^(async )?def {test}\(", (HERE / name).read_text(), re.M)
    ]
    assert missing == []
    ours = {
        (path.name, test)
        for path in HERE.glob("test_reliability_*.py")
        if path.name != Path(__file__).name
        for test in re.findall(r"^(?:async )?def (test_\w+)\(", path.read_text(), re.M)
    }
    assert len(ours) > 20
    assert sorted(ours - refs) == []
