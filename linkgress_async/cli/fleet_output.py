"""What a run over many databases prints while it runs and when it ends, at any size.

While it runs: on a terminal, one progress line rewritten in place (counts, rate, ETA); off
a terminal (a CI log), a progress line at each tenth of the targets. ``--log-format text``
adds a line per target as it ends, ``--log-format json`` one JSON object per target instead.
When it ends: the summary and the failures grouped by cause (a few lines however many
targets), or with ``--json`` the whole result as one JSON document; ``--junit-xml FILE``
writes one test case per target. With ``--json`` everything else goes to stderr, so stdout
stays one JSON document.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import anyio.to_thread

from linkgress_async.cli.config import ConfigurationError
from linkgress_async.cli.output import Output
from linkgress_async.fleet.report import target_document
from linkgress_async.fleet.results import FleetResult

__all__ = [
    "LOG_FORMATS",
    "FleetProgress",
    "add_output_options",
    "duration_text",
    "write_junit",
]

LOG_FORMATS = ("text", "json")

# A terminal line is redrawn at most this often (seconds): thousands of targets a minute
# must not become thousands of writes.
_REDRAW_EVERY = 0.1
_MILESTONES = 10


def add_output_options(
    group: argparse._ArgumentGroup, *, whole_json: bool, junit: bool = True
) -> None:
    """``--log-format``, ``--junit-xml`` (unless not ``junit``) and, for ``up``/``migrate``
    (``whole_json``), ``--json``."""
    group.add_argument(
        "--log-format",
        choices=LOG_FORMATS,
        metavar="FORMAT",
        help="a line per target as it ends: 'text', or 'json' (one JSON object a line)",
    )
    if junit:
        group.add_argument(
            "--junit-xml",
            metavar="FILE",
            help="write JUnit XML for CI: one test case per target, failures with their cause",
        )
    if whole_json:
        group.add_argument(
            "--json",
            action="store_true",
            default=False,
            help="print the whole result as one JSON document on stdout (progress to stderr)",
        )


def duration_text(seconds: float) -> str:
    """``42s``, ``3m05s`` or ``2h10m``: an ETA, short."""
    whole = max(0, round(seconds))
    if whole < 60:
        return f"{whole}s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty is not None and isatty())


class FleetProgress:
    """The ``on_result`` of a CLI fleet run: progress and per-target lines as targets end.

    ``stream`` receives everything (stdout, or stderr under ``--json``); ``log_format`` is
    ``None``, ``"text"`` or ``"json"``. The results are :class:`TargetResult` values, or
    others with ``index``, ``status`` and ``label`` when ``statuses`` (counted on the
    progress line), ``describe`` (a text line) and ``document`` (a JSON line) are given.
    ``clock`` is for tests.
    """

    def __init__(
        self,
        output: Output,
        stream: TextIO,
        total: int,
        *,
        log_format: str | None = None,
        verb: str = "done",
        statuses: tuple[str, ...] = ("ok", "skipped", "failed"),
        describe: Callable[[Any], str] | None = None,
        document: Callable[[Any], dict[str, Any]] = target_document,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.output = output
        self.stream = stream
        self.total = total
        self.log_format = log_format
        self.verb = verb
        self.statuses = statuses
        self.describe = describe
        self.document = document
        self.clock = clock
        self.terminal = _is_terminal(stream)
        self.counts: Counter[str] = Counter()
        self.started = clock()
        self._drawn = False
        self._last_draw = -1.0
        self._next_milestone = 1

    @property
    def done(self) -> int:
        """Targets that have ended so far."""
        return sum(self.counts.values())

    def line(self) -> str:
        """``120/5000 done: 110 ok, 8 skipped, 2 failed · 40.1/s · ETA 2m01s``."""
        done = self.done
        elapsed = self.clock() - self.started
        rate = done / elapsed if elapsed > 0 else 0.0
        parts = ", ".join(f"{self.counts[status]} {status}" for status in self.statuses)
        text = f"{done}/{self.total} {self.verb}: {parts} · {rate:.1f}/s"
        if 0 < done < self.total and rate > 0:
            text += f" · ETA {duration_text((self.total - done) / rate)}"
        return text

    def __call__(self, result: Any) -> None:
        """Count ``result``, print its line if asked, and update the progress."""
        self.counts[result.status] += 1
        if self.log_format is not None:
            self._clear()
            self._print(self._target_line(result))
        if self.terminal:
            now = self.clock()
            if now - self._last_draw >= _REDRAW_EVERY or self.done == self.total:
                self._last_draw = now
                self._draw()
        elif self.log_format is None and self.done * _MILESTONES >= (
            self._next_milestone * self.total
        ):
            while self.done * _MILESTONES >= self._next_milestone * self.total:
                self._next_milestone += 1
            self._print(self.line())

    def finish(self) -> None:
        """End the progress line, so what follows starts on a line of its own."""
        if self._drawn:
            self._draw()
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False

    def _target_line(self, result: Any) -> str:
        if self.log_format == "json":
            return json.dumps(self.document(result))
        if self.describe is not None:
            return f"target {result.index} of {self.total}: {self.describe(result)}"
        style = {"ok": "green", "skipped": "green", "failed": "red", "not-run": "yellow"}
        status: str = result.status
        if self.stream is self.output.stdout:
            status = self.output.styled(status, style[status])
        text = f"target {result.index} of {self.total}: {result.label} ... {status}"
        text += f" ({len(result.applied)} applied, {result.duration:.2f} s)"
        if result.error:
            text += f": {result.error}"
        return text

    def _draw(self) -> None:
        self.stream.write(f"\r\033[K{self.line()}")
        self.stream.flush()
        self._drawn = True

    def _clear(self) -> None:
        if self._drawn:
            self.stream.write("\r\033[K")
            self._drawn = False

    def _print(self, text: str) -> None:
        print(text, file=self.stream, flush=True)
        if self.terminal and self._last_draw >= 0:
            self._draw()


def output_stream(output: Output, args: argparse.Namespace) -> TextIO:
    """Where progress goes: stdout, or stderr when stdout is kept for ``--json``."""
    return output.stderr if getattr(args, "json", False) else output.stdout


async def write_junit(args: argparse.Namespace, cwd: Path, result: FleetResult, suite: str) -> None:
    """Write ``--junit-xml FILE`` (relative to the working directory), if asked."""
    if not getattr(args, "junit_xml", None):
        return
    path = Path(args.junit_xml)
    if not path.is_absolute():
        path = cwd / path
    text = result.junit_xml(suite=suite)
    try:
        await anyio.to_thread.run_sync(path.write_text, text, "utf-8")
    except OSError as error:
        raise ConfigurationError(
            f"cannot write --junit-xml {args.junit_xml}: {error.strerror or error}; "
            "name a file in a directory that exists and is writable"
        ) from error
