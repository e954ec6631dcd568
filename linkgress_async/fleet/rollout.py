"""How a fleet run is staged and recorded: its waves, its run record, and resuming it.

:func:`run_rollout` sits between the entry points (``up_many``, ``migrate_many``) and the
scheduler: it narrows the targets to those a recorded run left unfinished (``resume``),
splits them into waves, and writes each target's outcome to the record as it ends.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import attrs
from attrs import frozen

from linkgress_async.fleet.record import (
    FileRecord,
    RecordLike,
    Resumption,
    TableRecord,
    as_record,
    recording,
    resume_targets,
)
from linkgress_async.fleet.results import FleetResult, TargetResult
from linkgress_async.fleet.targets import FleetTarget
from linkgress_async.fleet.waves import PlannedWave, WaveLike, as_wave, describe_waves, plan_waves

__all__ = ["Rollout", "Schedule", "run_rollout"]

Report = Callable[[TargetResult], object]
Schedule = Callable[[list[FleetTarget], Report | None, list[PlannedWave]], Awaitable[FleetResult]]
"""Runs the targets given, in the waves given, reporting each result as it ends."""


@frozen
class Rollout:
    """The staging and recording options of one fleet run, checked before anything runs."""

    operation: str
    canary: int = 0
    waves: tuple[WaveLike, ...] | None = None
    record: FileRecord | TableRecord | None = None
    resume: bool = False
    options: Mapping[str, Any] = attrs.field(factory=dict)

    @classmethod
    def of(
        cls,
        operation: str,
        *,
        canary: int,
        waves: Sequence[WaveLike] | None,
        record: RecordLike | None,
        resume: bool,
        options: Mapping[str, Any],
    ) -> Rollout:
        """Check the options (a bad wave, ``resume`` without a record) and keep them."""
        if isinstance(waves, str):
            raise ValueError("waves is a list of waves, such as [1, '1%', '10%']")
        staged = None if waves is None else tuple(as_wave(wave) for wave in waves)
        if resume and record is None:
            raise ValueError(
                "resume=True continues the run recorded in record=; pass the record the run "
                "was started with"
            )
        recorded = {"canary": canary, "waves": describe_waves(staged), **options}
        return cls(
            operation,
            canary=canary,
            waves=staged,
            record=None if record is None else as_record(record),
            resume=resume,
            options=recorded,
        )


async def run_rollout(
    targets: list[FleetTarget], rollout: Rollout, schedule: Schedule, report: Report | None
) -> FleetResult:
    """Run ``targets`` as ``rollout`` says: resumed, in waves, recorded."""
    chosen = targets
    resumed: Resumption | None = None
    if rollout.resume:
        assert rollout.record is not None, "Rollout.of requires a record to resume"
        resumed = await resume_targets(rollout.record, rollout.operation, targets)
        chosen = resumed.targets
    planned = plan_waves(chosen, rollout.waves, rollout.canary)
    if rollout.record is None:
        result = await schedule(chosen, report, planned)
    else:
        async with recording(
            rollout.record,
            operation=rollout.operation,
            options=rollout.options,
            targets=len(chosen),
            resumed=resumed,
        ) as recorder:

            def record_then_report(target: TargetResult) -> None:
                # Recorded first: a report that raises ends the run, but not before the
                # outcome it was told of is on its way to the record.
                recorder.target(target)
                if report is not None:
                    report(target)

            result = await schedule(chosen, record_then_report, planned)
            recorder.end(result)
    if len(chosen) == len(targets):
        return result
    return attrs.evolve(result, resumed_skipped=len(targets) - len(chosen))
