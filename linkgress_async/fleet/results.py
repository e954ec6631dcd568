"""What a fleet run did, per target; the table of every target, and (from :mod:`.report`)
the reports that stay small at any size."""

from __future__ import annotations

from typing import Any, Literal

from attrs import field, frozen

from linkgress_async.fleet import report as reports
from linkgress_async.fleet.report import FailureGroup
from linkgress_async.fleet.targets import FleetTarget

__all__ = ["FleetResult", "TargetResult", "TargetStatus"]

TargetStatus = Literal["ok", "skipped", "failed", "not-run"]
"""``ok``: changes applied; ``skipped``: already up to date, nothing to do; ``failed``: an
error (the target's own transaction rolled back what it was doing); ``not-run``: never
started because a canary or, with ``stop_on_failure``, another target failed first."""

_ERROR_WIDTH = 120


@frozen
class TargetResult:
    """The outcome of one target: its status, what it applied, how long it took, the error."""

    index: int
    """Position of the target in the list given to the run, from 1."""
    target: FleetTarget
    status: TargetStatus
    applied: tuple[str, ...] = ()
    """Files applied (file migrations) or operations applied, as described (``migrate_many``).
    A failed target lists what it applied before the failure; they stay applied."""
    duration: float = 0.0
    """Seconds, connection and clean-up included."""
    error: str | None = None
    """One line: the failing file (file migrations), the exception type and message."""
    exception: BaseException | None = field(default=None, eq=False, repr=False)

    @property
    def label(self) -> str:
        """The target's name, with no password in it."""
        return self.target.name

    @property
    def ok(self) -> bool:
        """Whether the target is now up to date (``ok`` or ``skipped``)."""
        return self.status in ("ok", "skipped")


@frozen
class FleetResult:
    """One :class:`TargetResult` per target, in the order the targets were given."""

    targets: tuple[TargetResult, ...]
    duration: float = 0.0
    stopped: str | None = None
    """Why the run stopped before every target ran (``canary failed: stopped the run; 8
    targets not run``), naming the wave or target that stopped it; ``None`` otherwise."""
    resumed_skipped: int = 0
    """With ``resume=``: the targets left out because the recorded run finished them."""

    @property
    def ok(self) -> bool:
        """Whether every target is up to date: none failed and none was left unrun."""
        return all(result.ok for result in self.targets)

    @property
    def failed(self) -> list[TargetResult]:
        """The targets that failed."""
        return self.with_status("failed")

    @property
    def not_run(self) -> list[TargetResult]:
        """The targets never started because the run stopped early; a rerun reaches them."""
        return self.with_status("not-run")

    def with_status(self, status: TargetStatus) -> list[TargetResult]:
        """The targets whose status is ``status``."""
        return [result for result in self.targets if result.status == status]

    def counts(self) -> dict[TargetStatus, int]:
        """How many targets ended in each status."""
        statuses: tuple[TargetStatus, ...] = ("ok", "skipped", "failed", "not-run")
        return {status: len(self.with_status(status)) for status in statuses}

    def summary(self) -> str:
        """One line: the number of targets in each status and the total time."""
        parts = ", ".join(f"{count} {status}" for status, count in self.counts().items())
        line = f"{len(self.targets)} targets: {parts} in {self.duration:.2f} s"
        if self.resumed_skipped:
            line += f" ({self.resumed_skipped} finished by the recorded run left out)"
        return line if self.stopped is None else f"{line}; {self.stopped}"

    def table(self) -> str:
        """A plain-text table: one row per target (number, target, status, applied, time,
        error)."""
        header = ("#", "target", "status", "applied", "time", "error")
        rows = [
            (
                str(result.index),
                result.label,
                result.status,
                "-" if result.status == "not-run" else str(len(result.applied)),
                "-" if result.status == "not-run" else f"{result.duration:.2f}s",
                _clip(result.error or ""),
            )
            for result in self.targets
        ]
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
        right = {0, 3, 4}

        def line(cells: tuple[str, ...]) -> str:
            padded = [
                cell.rjust(width) if i in right else cell.ljust(width)
                for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
            ]
            return "  ".join(padded).rstrip()

        rule = "  ".join("-" * width for width in widths)
        return "\n".join([line(header), rule, *(line(row) for row in rows)])

    def render(self) -> str:
        """The table followed by the summary line."""
        return f"{self.table()}\n{self.summary()}"

    def __str__(self) -> str:
        return self.render()

    def failures_by_cause(self, *, examples: int = 3) -> list[FailureGroup]:
        """The failed targets grouped by cause (error class and message, without what names
        the target), the largest group first, each with ``examples`` target labels."""
        return reports.group_failures(self.failed, examples=examples)

    def report(self, *, examples: int = 3) -> str:
        """A few lines at any size: the summary, the failures grouped by cause and the
        targets not run, each with a few example targets (``render()`` has every target)."""
        return reports.report(self, examples=examples)

    def as_document(self) -> dict[str, Any]:
        """The whole result as JSON-ready values (what ``--json`` prints)."""
        return reports.as_document(self)

    def junit_xml(self, suite: str = "linkgress") -> str:
        """JUnit XML: one test case per target, failures with their cause (``--junit-xml``)."""
        return reports.junit_xml(self, suite=suite)


def _clip(text: str) -> str:
    return text if len(text) <= _ERROR_WIDTH else text[: _ERROR_WIDTH - 3] + "..."
