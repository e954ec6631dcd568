"""Running one piece of work per target: canaries first, then the rest with bounded concurrency.

Failures stay with their target: the work's exceptions are caught and recorded, so no target
cancels another and nothing escapes as an exception group. Each target runs under its own
cancel scope, whose deadline is the sooner of its ``target_timeout`` and the run's
``deadline``: when it passes, the target's work is cancelled, rolls back what it was doing
and closes its pool (each of those steps bounded; see :mod:`linkgress_async.execute.session`), and
the target is recorded as failed with a :class:`FleetDeadlineError`. Targets not started by
the run's deadline are ``not-run``. A target that failed for want of a connection slot
(:func:`is_capacity_error`) is run again after a jittered, growing pause, up to
``capacity_retries`` times, within its deadline.
"""

from __future__ import annotations

import math
import random
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Sequence

import anyio
import asyncpg
from attrs import define, field, frozen

from linkgress_async.dsn import server_of
from linkgress_async.errors import LinkgressError, one_line
from linkgress_async.fleet.heap import TRIM_EVERY, release_free_memory
from linkgress_async.fleet.results import FleetResult, TargetResult, TargetStatus
from linkgress_async.fleet.targets import FleetTarget
from linkgress_async.fleet.waves import PlannedWave, plan_waves

__all__ = [
    "FleetDeadlineError",
    "Limits",
    "Outcome",
    "Progress",
    "Work",
    "check_options",
    "is_capacity_error",
    "run_fleet",
]

# Capacity back-off: the first pause, its growth, and its cap (seconds); full jitter spreads
# the targets of a crowded server so they do not come back together.
_FIRST_PAUSE = 0.25
_MAX_PAUSE = 8.0

# SQLSTATEs that say "not now, the server is full or starting": 53300 too_many_connections
# (also "remaining connection slots are reserved"), 57P03 cannot_connect_now.
_CAPACITY = (asyncpg.TooManyConnectionsError, asyncpg.CannotConnectNowError)


class FleetDeadlineError(LinkgressError):
    """A target did not finish within ``target_timeout`` or the run's ``deadline``; its work
    was cancelled (the migration it was running rolled back) and its pool closed."""


@frozen
class Outcome:
    """What the work did on one target; ``error`` set means it failed partway."""

    applied: tuple[str, ...] = ()
    error: str | None = None
    exception: BaseException | None = field(default=None, eq=False, repr=False)


@define
class Progress:
    """What a target's work has applied so far, kept by the work as it goes, so that a
    target cancelled by its deadline still reports what it applied."""

    applied: list[str] = field(factory=list)


Work = Callable[[FleetTarget, Progress], Awaitable[Outcome]]
"""The work of a run, done once per target (again after a capacity failure)."""


def _seconds(name: str, value: float | None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ValueError(f"{name} must be None or a number of seconds > 0, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be None or a number of seconds > 0, got {value!r}")


def _count(name: str, value: int | None, minimum: int) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be a whole number of at least {minimum}, got {value!r}")


@frozen
class Limits:
    """How a fleet run is bounded: targets at once (overall and per server), time per target
    and for the whole run, and retries after a full server."""

    concurrency: int = 4
    per_host: int | None = None
    target_timeout: float | None = None
    deadline: float | None = None
    capacity_retries: int = 3

    def recorded(self) -> dict[str, float | int | None]:
        """The bounds other than concurrency, by name, for the run record."""
        return {
            "per_host": self.per_host,
            "target_timeout": self.target_timeout,
            "deadline": self.deadline,
            "capacity_retries": self.capacity_retries,
        }

    def __attrs_post_init__(self) -> None:
        _count("concurrency", self.concurrency, 1)
        _count("per_host", self.per_host, 1)
        _count("capacity_retries", self.capacity_retries, 0)
        _seconds("target_timeout", self.target_timeout)
        _seconds("deadline", self.deadline)


def check_options(concurrency: int, canary: int) -> None:
    """Reject a concurrency below one or a negative canary count."""
    _count("concurrency", concurrency, 1)
    if isinstance(canary, bool) or not isinstance(canary, int) or canary < 0:
        raise ValueError(f"canary must be a whole number of 0 or more, got {canary!r}")


def is_capacity_error(error: BaseException | None) -> bool:
    """Whether ``error`` (or what caused it) says the server has no connection slot free now
    (SQLSTATE 53300) or accepts none yet (57P03): worth trying again later."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, _CAPACITY):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def without_tracebacks(error: BaseException | None) -> BaseException | None:
    """``error`` with the tracebacks of it and of its causes dropped.

    A traceback holds every frame it passed through, and so the target's context, pool and
    plan: kept for thousands of failed targets, that was hundreds of megabytes. The report
    needs the exception's type, message and attributes, which stay.
    """
    seen: set[int] = set()
    pending = [error]
    while pending:
        link = pending.pop()
        if link is None or id(link) in seen:
            continue
        seen.add(id(link))
        link.__traceback__ = None
        pending += [link.__cause__, link.__context__]
        if isinstance(link, BaseExceptionGroup):
            pending += link.exceptions
    return error


def backoff(attempt: int) -> float:
    """The pause before capacity retry ``attempt`` (from 0): full jitter up to a cap."""
    return random.uniform(0, min(_MAX_PAUSE, _FIRST_PAUSE * 2**attempt))


async def run_fleet(
    targets: Sequence[FleetTarget],
    work: Work,
    *,
    concurrency: int,
    canary: int = 0,
    stop_on_failure: bool = False,
    on_result: Callable[[TargetResult], object] | None = None,
    limits: Limits | None = None,
    waves: Sequence[PlannedWave] | None = None,
) -> FleetResult:
    """Run ``work`` on every target and collect one result per target, in target order.

    The first ``canary`` targets run one at a time, in order; the others start only when
    every canary succeeded. Then at most ``concurrency`` targets run at once, and at most
    ``limits.per_host`` on one server. With ``stop_on_failure`` a failure stops new targets
    from starting; those already running finish (each migration is its own transaction, so
    interrupting one gains nothing). ``on_result`` is called as each target ends; an
    exception it raises ends the run. ``waves`` (from :func:`plan_waves`) replaces the
    canary: each wave runs after the one before, and one whose failures break its rule
    stops the run, which :attr:`FleetResult.stopped` then explains.
    """
    check_options(concurrency, canary)
    bounds = limits if limits is not None else Limits(concurrency=concurrency)
    started = time.perf_counter()
    run_deadline = math.inf if bounds.deadline is None else anyio.current_time() + bounds.deadline
    results: list[TargetResult | None] = [None] * len(targets)
    stopped = False
    stages = list(waves) if waves is not None else plan_waves(targets, None, canary)
    wave_of = {position: stage for stage in stages for position in stage.positions}
    failures: Counter[str] = Counter()
    stopped_by: PlannedWave | TargetResult | None = None
    finished = 0

    def deadline_error(target_deadline: float) -> FleetDeadlineError:
        if target_deadline >= run_deadline:
            return FleetDeadlineError(
                f"the run's deadline={bounds.deadline:g} s passed while this target ran; it was "
                "cancelled and rolled back what it was doing. Rerun to finish it, or raise deadline"
            )
        return FleetDeadlineError(
            f"did not finish within target_timeout={bounds.target_timeout:g} s; it was cancelled "
            "and rolled back what it was doing. Rerun to finish it, or raise target_timeout"
        )

    async def attempts(target: FleetTarget, progress: Progress, target_deadline: float) -> Outcome:
        attempt = 0
        while True:
            try:
                outcome = await work(target, progress)
            except Exception as error:
                outcome = Outcome(tuple(progress.applied), error=one_line(error), exception=error)
            if (
                outcome.error is None
                or attempt >= bounds.capacity_retries
                or not is_capacity_error(outcome.exception)
            ):
                return outcome
            pause = backoff(attempt)
            if anyio.current_time() + pause >= target_deadline:
                return outcome
            attempt += 1
            await anyio.sleep(pause)

    async def run_one(position: int) -> TargetResult:
        nonlocal stopped, stopped_by, finished
        target = targets[position]
        begin = time.perf_counter()
        progress = Progress()
        target_deadline = run_deadline
        if bounds.target_timeout is not None:
            target_deadline = min(target_deadline, anyio.current_time() + bounds.target_timeout)
        outcome: Outcome | None = None
        with anyio.CancelScope(deadline=target_deadline) as scope:
            outcome = await attempts(target, progress, target_deadline)
        if outcome is None or (scope.cancelled_caught and outcome.error is None):
            error = deadline_error(target_deadline)
            outcome = Outcome(tuple(progress.applied), error=one_line(error), exception=error)
        result = TargetResult(
            index=position + 1,
            target=target,
            status=_status(outcome),
            applied=outcome.applied,
            duration=time.perf_counter() - begin,
            error=outcome.error,
            exception=without_tracebacks(outcome.exception),
        )
        results[position] = result
        finished += 1
        if finished % TRIM_EVERY == 0:
            # Otherwise the client's RSS grows with every target (see fleet/heap.py).
            release_free_memory()
        if result.status == "failed":
            stage = wave_of[position]
            failures[stage.name] += 1
            if not stopped and stage.broken(failures[stage.name]):
                stopped, stopped_by = True, stage
            elif not stopped and stop_on_failure:
                stopped, stopped_by = True, result
        if on_result is not None:
            on_result(result)
        return result

    for stage in stages:
        if stopped or anyio.current_time() >= run_deadline:
            break
        if stage.one_at_a_time:
            for position in stage.positions:
                if stopped or anyio.current_time() >= run_deadline:
                    break
                await run_one(position)
        else:
            await _run_rest(
                targets, stage.positions, run_one, bounds, run_deadline, lambda: stopped
            )

    final = [
        result if result is not None else TargetResult(position + 1, targets[position], "not-run")
        for position, result in enumerate(results)
    ]
    return FleetResult(
        tuple(final), time.perf_counter() - started, stopped=_why(stopped_by, failures, final)
    )


def _why(
    stopped_by: PlannedWave | TargetResult | None,
    failures: Counter[str],
    final: Sequence[TargetResult],
) -> str | None:
    """Why the run stopped before every target ran, or ``None``."""
    not_run = sum(1 for result in final if result.status == "not-run")
    if isinstance(stopped_by, PlannedWave):
        return stopped_by.stop_message(failures[stopped_by.name], not_run)
    if isinstance(stopped_by, TargetResult):
        return (
            f"target {stopped_by.index} ({stopped_by.label}) failed with stop_on_failure: "
            f"stopped the run; {not_run} target{'' if not_run == 1 else 's'} not run"
        )
    return None


async def _run_rest(
    targets: Sequence[FleetTarget],
    positions: Sequence[int],
    run_one: Callable[[int], Awaitable[TargetResult]],
    bounds: Limits,
    run_deadline: float,
    stopped: Callable[[], bool],
) -> None:
    """Start the targets at ``positions`` in order, each as soon as a slot is free overall
    and on its server; a server at its limit does not hold up the targets of the others."""
    queues: dict[str, deque[int]] = {}
    for position in positions:
        queues.setdefault(server_of(targets[position].dsn), deque()).append(position)
    running: Counter[str] = Counter()
    slots = anyio.Semaphore(bounds.concurrency)
    freed = anyio.Event()
    limit = bounds.per_host or len(targets) or 1

    def next_target() -> tuple[str, int] | None:
        ready = [host for host, queue in queues.items() if queue and running[host] < limit]
        if not ready:
            return None
        host = min(ready, key=lambda name: queues[name][0])
        return host, queues[host].popleft()

    async def run_in_slot(host: str, position: int) -> None:
        nonlocal freed
        try:
            if anyio.current_time() < run_deadline and not stopped():
                await run_one(position)
        finally:
            running[host] -= 1
            slots.release()
            freed.set()
            freed = anyio.Event()

    try:
        async with anyio.create_task_group() as group:
            # Past the run's deadline nothing new starts: the rest stay not-run.
            with anyio.CancelScope(deadline=run_deadline):
                while any(queues.values()):
                    # A slot is taken before the target starts, so a stop decided while
                    # waiting for it is seen before anything new begins.
                    await slots.acquire()
                    picked = next_target()
                    while picked is None and not stopped():
                        await freed.wait()
                        picked = next_target()
                    if stopped() or picked is None:
                        slots.release()
                        break
                    host, position = picked
                    running[host] += 1
                    group.start_soon(run_in_slot, host, position)
    except BaseExceptionGroup as group_error:
        # Only an on_result callback (or KeyboardInterrupt) gets here: work errors are
        # recorded per target. Raise it plainly, as a caller would expect.
        first = group_error.exceptions[0]
        raise first from first.__cause__


def _status(outcome: Outcome) -> TargetStatus:
    if outcome.error is not None:
        return "failed"
    return "ok" if outcome.applied else "skipped"
