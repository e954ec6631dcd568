"""Running one piece of work per target: canaries first, then the rest with bounded concurrency.

Failures stay with their target: the work's exceptions are caught and recorded, so no target
cancels another and nothing escapes as an exception group. Cancelling the whole run cancels
the targets in flight; their work closes its own pools (see :mod:`linkgress_async.fleet.api`).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence

import anyio
from attrs import field, frozen

from linkgress_async.errors import one_line
from linkgress_async.fleet.results import FleetResult, TargetResult, TargetStatus
from linkgress_async.fleet.targets import FleetTarget

__all__ = ["Outcome", "Work", "run_fleet"]


@frozen
class Outcome:
    """What the work did on one target; ``error`` set means it failed partway."""

    applied: tuple[str, ...] = ()
    error: str | None = None
    exception: BaseException | None = field(default=None, eq=False, repr=False)


Work = Callable[[FleetTarget], Awaitable[Outcome]]
"""The work of a run, done once per target."""


def check_options(concurrency: int, canary: int) -> None:
    """Reject a concurrency below one or a negative canary count."""
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ValueError(f"concurrency must be a whole number of at least 1, got {concurrency!r}")
    if isinstance(canary, bool) or not isinstance(canary, int) or canary < 0:
        raise ValueError(f"canary must be a whole number of 0 or more, got {canary!r}")


async def run_fleet(
    targets: Sequence[FleetTarget],
    work: Work,
    *,
    concurrency: int,
    canary: int = 0,
    stop_on_failure: bool = False,
    on_result: Callable[[TargetResult], object] | None = None,
) -> FleetResult:
    """Run ``work`` on every target and collect one result per target, in target order.

    The first ``canary`` targets run one at a time, in order; the others start only when
    every canary succeeded. Then at most ``concurrency`` targets run at once. With
    ``stop_on_failure`` a failure stops new targets from starting; those already running
    finish (each migration is its own transaction, so interrupting one gains nothing).
    ``on_result`` is called as each target ends; an exception it raises ends the run.
    """
    check_options(concurrency, canary)
    started = time.perf_counter()
    results: list[TargetResult | None] = [None] * len(targets)
    stopped = False

    async def run_one(position: int) -> TargetResult:
        nonlocal stopped
        target = targets[position]
        begin = time.perf_counter()
        try:
            outcome = await work(target)
        except Exception as error:
            outcome = Outcome(error=one_line(error), exception=error)
        result = TargetResult(
            index=position + 1,
            target=target,
            status=_status(outcome),
            applied=outcome.applied,
            duration=time.perf_counter() - begin,
            error=outcome.error,
            exception=outcome.exception,
        )
        results[position] = result
        if result.status == "failed" and stop_on_failure:
            stopped = True
        if on_result is not None:
            on_result(result)
        return result

    canaries = min(canary, len(targets))
    for position in range(canaries):
        if (await run_one(position)).status == "failed":
            stopped = True
            break

    if not stopped:
        slots = anyio.Semaphore(concurrency)

        async def run_in_slot(position: int) -> None:
            try:
                await run_one(position)
            finally:
                slots.release()

        try:
            async with anyio.create_task_group() as group:
                for position in range(canaries, len(targets)):
                    # A slot is taken before the target starts, so a stop decided while
                    # waiting for it is seen before anything new begins.
                    await slots.acquire()
                    if stopped:
                        slots.release()
                        break
                    group.start_soon(run_in_slot, position)
        except BaseExceptionGroup as group_error:
            # Only an on_result callback (or KeyboardInterrupt) gets here: work errors are
            # recorded per target. Raise it plainly, as a caller would expect.
            first = group_error.exceptions[0]
            raise first from first.__cause__

    final = [
        result if result is not None else TargetResult(position + 1, targets[position], "not-run")
        for position, result in enumerate(results)
    ]
    return FleetResult(tuple(final), time.perf_counter() - started)


def _status(outcome: Outcome) -> TargetStatus:
    if outcome.error is not None:
        return "failed"
    return "ok" if outcome.applied else "skipped"
