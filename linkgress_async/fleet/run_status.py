"""What the last recorded fleet run did, read back from its record (``linkgress fleet-status``).

The record is streamed: only counts, the failures grouped by cause and a few examples are
kept, so a run of 10,000 targets is summarised in the same small memory as one of ten.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from attrs import define, field, frozen

from linkgress_async.fleet.record import Entry, RecordLike, as_record, read_last_run

__all__ = ["RecordedRun", "last_run"]

_EXAMPLES = 10
_CAUSES = 20
_STATUSES = ("ok", "skipped", "failed", "not-run")


@frozen
class RecordedRun:
    """The last run of a record: its header, its counts, and its failures by cause."""

    run_id: str
    operation: str
    started: str
    targets: int
    """Targets of the run, those carried over from the run it resumed included."""
    options: dict[str, Any]
    counts: dict[str, int]
    """Targets per status; targets the run never recorded (it was killed) count as not-run."""
    unrecorded: int
    """Targets with no entry: the run did not end (killed, or still running)."""
    carried: int
    """Targets finished by an earlier run and carried into this one by ``resume``."""
    causes: tuple[tuple[str, int, str], ...]
    """(cause, failed targets, one example error), most frequent first."""
    failed_examples: tuple[tuple[str, str], ...]
    """(label, error) of the first failed targets."""
    ended: bool
    finished: str | None = None
    duration: float | None = None
    stopped: str | None = None
    resumed_from: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the run ended with every target up to date."""
        return self.ended and self.counts["failed"] == 0 and self.counts["not-run"] == 0

    def render(self) -> str:
        """Several lines: the run, its counts, why it stopped, its failures by cause."""
        lines = [
            f"run {self.run_id}: {self.operation} of {self.targets} targets, started {self.started}"
        ]
        if self.resumed_from:
            lines.append(f"resumed run {self.resumed_from} ({self.carried} finished there)")
        counts = ", ".join(f"{self.counts[status]} {status}" for status in _STATUSES)
        if self.ended:
            lines.append(f"ended {self.finished} after {self.duration or 0:.2f} s: {counts}")
        else:
            lines.append(
                f"did not end (killed, or still running): {counts}, of which "
                f"{self.unrecorded} never recorded an outcome"
            )
        if self.stopped:
            lines.append(self.stopped)
        if self.causes:
            lines.append("failures by cause:")
            lines += [f"  {count:>6}  {cause}: {example}" for cause, count, example in self.causes]
        if self.failed_examples:
            lines.append(f"first failed targets (of {self.counts['failed']}):")
            lines += [f"  {label}: {error}" for label, error in self.failed_examples]
        if not self.ok:
            lines.append(
                "resume it: rerun the same command with --resume (resume=True) and the same "
                "record; only the failed and not-run targets run"
            )
        return "\n".join(lines)


@define
class _Tally:
    header: Entry = field(factory=dict)
    end: Entry = field(factory=dict)
    counts: Counter[str] = field(factory=Counter)
    causes: Counter[str] = field(factory=Counter)
    examples: dict[str, str] = field(factory=dict)
    failed: list[tuple[str, str]] = field(factory=list)
    carried: int = 0

    def take(self, entry: Entry) -> None:
        kind = entry.get("entry")
        if kind == "run":
            self.header = entry
        elif kind == "end":
            self.end = entry
        elif kind == "target":
            status = str(entry.get("status"))
            self.counts[status] += 1
            self.carried += bool(entry.get("carried"))
            if status == "failed":
                self._failure(entry)

    def _failure(self, entry: Entry) -> None:
        cause = str(entry.get("cause") or "unknown")
        error = str(entry.get("error") or "")
        self.causes[cause] += 1
        # Bounded: one example per cause for the first causes, and the first failures.
        if cause not in self.examples and len(self.examples) < _CAUSES:
            self.examples[cause] = error
        if len(self.failed) < _EXAMPLES:
            self.failed.append((str(entry.get("label")), error))


async def last_run(record: RecordLike) -> RecordedRun | None:
    """The last run recorded in ``record`` (a path, a ``postgresql://`` URL, a
    :class:`~linkgress_async.fleet.FileRecord` or :class:`~linkgress_async.fleet.TableRecord`),
    or ``None`` when it holds none."""
    tally = _Tally()
    if not await read_last_run(as_record(record), tally.take) or not tally.header:
        return None
    total = int(tally.header.get("targets") or 0)
    recorded = sum(tally.counts.values())
    unrecorded = max(0, total - recorded)
    counts = {status: tally.counts[status] for status in _STATUSES}
    counts["not-run"] += unrecorded
    causes = tuple(
        (cause, count, tally.examples.get(cause, ""))
        for cause, count in tally.causes.most_common(_CAUSES)
    )
    end = tally.end
    return RecordedRun(
        run_id=str(tally.header.get("run")),
        operation=str(tally.header.get("operation")),
        started=str(tally.header.get("started")),
        targets=total,
        options=dict(tally.header.get("options") or {}),
        counts=counts,
        unrecorded=unrecorded,
        carried=tally.carried,
        causes=causes,
        failed_examples=tuple(tally.failed),
        ended=bool(end),
        finished=end.get("finished"),
        duration=end.get("duration"),
        stopped=end.get("stopped"),
        resumed_from=tally.header.get("resumed_from"),
    )
