"""The latency rows: the catalog floor, ``analyze()`` and an up-to-date ``migrate()`` through a
proxy adding one-way latency, with their round trips counted exactly, and ``analyze()`` on a
catalog unchanged since the last read ("kept").

The proxy runs here, in the harness process, which is idle while its child measures; the
child (``benchmarks.child`` tool ``latency``) prints ``MARK <label>`` before each step and
waits for our answer, so the counts between two marks are exactly that step's traffic, and a
``latency <seconds>`` mark changes the proxy's latency before the child goes on.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path
from typing import Any

import anyio
import anyio.abc
from anyio.streams.buffered import BufferedByteReceiveStream

from benchmarks.proxy import LatencyProxy, Traffic

ROOT = Path(__file__).resolve().parent.parent
LATENCIES = (0.0, 0.001, 0.010)
"""One-way latencies of the rows, in seconds (0: loopback, through the proxy)."""


async def measure_latency(dsn: str, n: int, reps: int) -> dict[str, Any]:
    """Each latency's medians and the round trips of each step, for the workload of ``n``."""
    async with LatencyProxy.around(dsn) as proxy:
        spec = {"tool": "latency", "n": n, "dsn": proxy.route(dsn), "reps": reps}
        spec["latencies"] = list(LATENCIES)
        marks, raw = await _run_marked(spec, proxy)
    rows: dict[str, Any] = {}
    for one_way, times in raw["info"]["latencies"].items():
        counted = marks[one_way]
        rows[one_way] = {
            tool: {
                "median_s": statistics.median(times[tool]),
                "times_s": times[tool],
                "traffic": counted[tool].as_dict(),
            }
            for tool in ("floor", "queries", "analyze", "migrate", "kept")
        }
    return {"rows": rows, "rss_peak_mb": raw["rss_peak_kb"] / 1024}


async def _run_marked(
    spec: dict[str, Any], proxy: LatencyProxy
) -> tuple[dict[str, dict[str, Traffic]], dict[str, Any]]:
    """Run the child, answering its marks; the traffic between marks, per latency and step."""
    command = [sys.executable, "-m", "benchmarks.child", json.dumps(spec)]
    marks: dict[str, dict[str, Traffic]] = {}
    errors: list[bytes] = []
    async with await anyio.open_process(command, cwd=ROOT) as process:
        assert process.stdin is not None
        assert process.stdout is not None
        assert process.stderr is not None
        lines = BufferedByteReceiveStream(process.stdout)

        async def drain(stream: anyio.abc.ByteReceiveStream) -> None:
            async for chunk in stream:
                errors.append(chunk)

        async with anyio.create_task_group() as group:
            group.start_soon(drain, process.stderr)
            current, step, before, final = "", "", proxy.snapshot(), "{}"
            while True:
                try:
                    line = (await lines.receive_until(b"\n", 1 << 30)).decode()
                except anyio.IncompleteRead:
                    break
                if not line.startswith("MARK "):
                    final = line
                    continue
                label = line[5:]
                now = proxy.snapshot()
                if step:
                    marks.setdefault(current, {})[step] = now - before
                before = now
                if label.startswith("latency "):
                    current, step = label.split()[1], ""
                    proxy.latency = float(current)
                elif label in ("timing", "end"):
                    step = ""
                else:
                    step = label
                await process.stdin.send(b"ok\n")
        await process.wait()
    if process.returncode != 0:
        raise RuntimeError(
            f"latency measurement failed (exit {process.returncode}):\n"
            + b"".join(errors).decode(errors="replace")[-4000:]
        )
    return marks, json.loads(final)
