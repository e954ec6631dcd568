"""The CLI's fleet progress: one line rewritten in place on a terminal, a line at each tenth
of the targets off one, and per-target lines (text or JSON) when asked (issue 18, item 7)."""

from __future__ import annotations

import io
import json

from linkgress_async.cli.fleet_output import FleetProgress, duration_text
from linkgress_async.cli.output import Output
from linkgress_async.fleet import FleetTarget, TargetResult


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def result(index: int, status: str = "ok", error: str | None = None) -> TargetResult:
    target = FleetTarget(f"postgresql://app:secret@db:5432/shop_{index}", label=f"shop_{index}")
    applied = ("001_a.py",) if status == "ok" else ()
    return TargetResult(index, target, status, applied, 0.25, error)  # type: ignore[arg-type]


def test_on_a_terminal_one_line_is_rewritten_with_counts_rate_and_eta() -> None:
    stream = Terminal()
    clock = Clock()
    progress = FleetProgress(Output(stream, io.StringIO(), {}), stream, 1000, clock=clock)
    for index in range(1, 1001):
        clock.now += 0.01
        progress(result(index, "failed" if index % 100 == 0 else "ok", "DuplicateTableError: x"))
        if index == 500:
            assert (
                progress.line() == "500/1000 done: 495 ok, 0 skipped, 5 failed · 100.0/s · ETA 5s"
            )
    progress.finish()

    text = stream.getvalue()
    assert text.endswith("1000/1000 done: 990 ok, 0 skipped, 10 failed · 100.0/s\n")
    # Redrawn at most ten times a second, never a line per target.
    assert text.count("\r\033[K") <= 102
    assert text.count("\n") == 1
    assert len(text.encode()) < 10_000


def test_off_a_terminal_a_line_at_each_tenth() -> None:
    stream = io.StringIO()
    progress = FleetProgress(Output(stream, io.StringIO(), {}), stream, 5000, clock=Clock())
    for index in range(1, 5001):
        progress(result(index))
    progress.finish()
    lines = stream.getvalue().splitlines()
    assert [line.split()[0] for line in lines] == [f"{n * 500}/5000" for n in range(1, 11)]
    assert "\r" not in stream.getvalue()


def test_log_format_gives_a_line_or_a_json_object_per_target() -> None:
    text, structured = io.StringIO(), io.StringIO()
    for stream, log_format in ((text, "text"), (structured, "json")):
        progress = FleetProgress(
            Output(stream, io.StringIO(), {}), stream, 2, log_format=log_format, clock=Clock()
        )
        progress(result(1))
        progress(result(2, "failed", 'x.py: DuplicateTableError: relation "t" already exists'))
        progress.finish()
    assert text.getvalue().splitlines() == [
        "target 1 of 2: shop_1 ... ok (1 applied, 0.25 s)",
        "target 2 of 2: shop_2 ... failed (0 applied, 0.25 s): x.py: DuplicateTableError: "
        'relation "t" already exists',
    ]
    first, second = (json.loads(line) for line in structured.getvalue().splitlines())
    assert first == {
        "index": 1,
        "target": "shop_1",
        "status": "ok",
        "applied": ["001_a.py"],
        "duration": 0.25,
    }
    assert second["error_type"] == "DuplicateTableError"
    assert second["cause"] == 'x.py: DuplicateTableError: relation "" already exists'


def test_durations_read_short() -> None:
    assert [duration_text(s) for s in (0.4, 42, 185, 7800)] == ["0s", "42s", "3m05s", "2h10m"]
