"""Staged rollouts: the targets of a fleet run split into waves, each with a stop rule.

A wave is a number of targets (``10``), a share of all of them (``"10%"``, rounded up, at
least one), or an explicit group (a list of labels, DSNs or :class:`FleetTarget` values).
Waves run one after the other; after the last one the rest of the targets run. A wave whose
failures break its rule (more than ``max_failures``, or more than ``max_failure_rate`` of its
targets) stops the run: no new target starts, the targets of the later waves stay
``not-run``, and :attr:`FleetResult.stopped` says which wave stopped it and why. The
``canary=K`` option is wave 0: K targets, one at a time, none may fail.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from attrs import field, frozen

from linkgress_async.fleet.targets import FleetTarget, FleetTargetError, TargetLike

__all__ = ["PlannedWave", "Wave", "WaveLike", "as_wave", "describe_waves", "plan_waves"]


def _size(value: int | str | tuple[TargetLike, ...]) -> int | str | tuple[TargetLike, ...]:
    if isinstance(value, bool):
        raise ValueError(f"a wave is a count, a percentage or a list of targets, got {value!r}")
    if isinstance(value, int):
        if value < 1:
            raise ValueError(f"a wave's count must be at least 1, got {value}")
        return value
    if isinstance(value, str):
        _percent(value)
        return value
    if isinstance(value, list | tuple):
        if not value:
            raise ValueError("a wave's list of targets is empty; name at least one target")
        return tuple(value)
    raise ValueError(f"a wave is a count, a percentage or a list of targets, got {value!r}")


def _percent(text: str) -> float:
    number = text.strip().removesuffix("%")
    try:
        value = float(number)
    except ValueError:
        value = math.nan
    if not text.strip().endswith("%") or not 0 < value <= 100:
        raise ValueError(
            f"a wave's share is written '10%' (more than 0, at most 100), got {text!r}"
        )
    return value


def _rate(value: float | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1:
        raise ValueError(
            f"max_failure_rate is a fraction of the wave's targets, 0 <= rate < 1, got {value!r}"
        )
    return float(value)


def _max_failures(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"max_failures must be a whole number of 0 or more, got {value!r}")
    return value


@frozen
class Wave:
    """One stage of a staged rollout: its targets and the failures it tolerates.

    ``size`` is a count of targets, a share of all targets (``"10%"``) or a list of targets
    (labels, DSNs or :class:`FleetTarget` values). The run stops after the wave (no new
    target starts) once more than ``max_failures`` of its targets failed, or more than
    ``max_failure_rate`` (a fraction, ``0.05``) of them.
    """

    size: int | str | tuple[TargetLike, ...] = field(converter=_size)
    max_failures: int = field(default=0, converter=_max_failures)
    max_failure_rate: float | None = field(default=None, converter=_rate)
    name: str | None = None

    def describe(self) -> str:
        """How the wave was asked for: ``10``, ``10%`` or ``3 listed``."""
        if isinstance(self.size, tuple):
            return f"{len(self.size)} listed"
        return str(self.size)


WaveLike = int | str | Sequence[TargetLike] | Wave
"""What ``waves=`` accepts per wave: a count, ``"N%"``, a list of targets, or a :class:`Wave`."""


@frozen
class PlannedWave:
    """A wave resolved against the run's targets: the positions it runs and its stop rule."""

    name: str
    positions: tuple[int, ...]
    one_at_a_time: bool = False
    max_failures: int | None = 0
    """``None``: no rule (the rest of the targets, after the last wave)."""
    max_failure_rate: float | None = None

    def broken(self, failures: int) -> bool:
        """Whether ``failures`` failed targets of this wave break its rule."""
        if self.max_failures is not None and failures > self.max_failures:
            return True
        rate = self.max_failure_rate
        return rate is not None and failures > rate * len(self.positions)

    def rule(self) -> str:
        """The rule in words, for the message that says why the run stopped."""
        parts = []
        if self.max_failures is not None:
            parts.append(f"max_failures={self.max_failures}")
        if self.max_failure_rate is not None:
            parts.append(f"max_failure_rate={self.max_failure_rate:g}")
        return " or ".join(parts)

    def stop_message(self, failures: int, not_run: int) -> str:
        """``canary failed: stopped the run; 8 targets not run`` and the like."""
        tail = f"stopped the run; {not_run} target{'' if not_run == 1 else 's'} not run"
        if self.one_at_a_time and self.max_failures == 0:
            return f"{self.name} failed: {tail}"
        return (
            f"{self.name}: {failures} of {len(self.positions)} failed, over {self.rule()}: {tail}"
        )


def as_wave(item: WaveLike) -> Wave:
    """``item`` as a :class:`Wave` (a count, a share or a list keeps the default rule)."""
    if isinstance(item, Wave):
        return item
    if isinstance(item, int | str):
        return Wave(item)
    return Wave(tuple(item))


def _matches(entry: TargetLike, target: FleetTarget) -> bool:
    if isinstance(entry, FleetTarget):
        return (entry.dsn, entry.schema) == (target.dsn, target.schema)
    return entry in (target.label, target.name, target.dsn) and (
        entry != target.dsn or target.schema is None
    )


def _listed(
    wave: Wave, number: int, targets: Sequence[FleetTarget], taken: set[int]
) -> tuple[int, ...]:
    assert isinstance(wave.size, tuple)
    positions: list[int] = []
    for entry in wave.size:
        found = [p for p, target in enumerate(targets) if _matches(entry, target)]
        if len(found) != 1:
            shown = entry.name if isinstance(entry, FleetTarget) else entry
            problem = "matches no target of the run" if not found else "matches several targets"
            raise FleetTargetError(
                f"wave {number} lists {shown!r}, which {problem}; list labels or DSNs of the "
                "targets given to the run, each once"
            )
        if found[0] in taken:
            raise FleetTargetError(
                f"wave {number} lists {targets[found[0]].name}, which an earlier wave or the "
                "canary already runs; list each target in one wave"
            )
        taken.add(found[0])
        positions.append(found[0])
    return tuple(positions)


def plan_waves(
    targets: Sequence[FleetTarget], waves: Sequence[WaveLike] | None, canary: int
) -> list[PlannedWave]:
    """The waves of a run, in order, ending with the rest of the targets (no rule).

    The canary comes first (the first ``canary`` targets, one at a time); listed groups take
    their targets wherever they are; counts and shares take the next targets in the order
    given, skipping those a group lists. Empty waves (the targets ran out) are dropped.
    """
    if isinstance(waves, str | Wave):
        raise ValueError("waves is a list of waves, such as [1, '1%', '10%']; wrap a single one")
    total = len(targets)
    planned: list[PlannedWave] = []
    taken: set[int] = set(range(min(canary, total)))
    if taken:
        planned.append(PlannedWave("canary", tuple(sorted(taken)), one_at_a_time=True))
    asked = [as_wave(item) for item in waves or ()]
    # Listed groups first, so the counted waves can skip the targets they reserve.
    listed = {
        number: _listed(wave, number, targets, taken)
        for number, wave in enumerate(asked, start=1)
        if isinstance(wave.size, tuple)
    }
    free = (position for position in range(total) if position not in taken)
    for number, wave in enumerate(asked, start=1):
        if number in listed:
            positions = listed[number]
        else:
            size = wave.size
            count = size if isinstance(size, int) else math.ceil(total * _percent(str(size)) / 100)
            positions = tuple(position for _, position in zip(range(count), free, strict=False))
        if positions:
            name = wave.name or f"wave {number} ({wave.describe()})"
            planned.append(
                PlannedWave(
                    name,
                    positions,
                    max_failures=wave.max_failures,
                    max_failure_rate=wave.max_failure_rate,
                )
            )
    used = {position for wave in planned for position in wave.positions}
    rest = tuple(position for position in range(total) if position not in used)
    if rest:
        planned.append(PlannedWave("the rest", rest, max_failures=None))
    return planned


def describe_waves(waves: Sequence[WaveLike] | None) -> list[str] | None:
    """The waves as plain strings, for the run record."""
    if waves is None:
        return None
    described = []
    for item in waves:
        wave = as_wave(item)
        rule = f"max_failures={wave.max_failures}"
        if wave.max_failure_rate is not None:
            rule += f", max_failure_rate={wave.max_failure_rate:g}"
        described.append(f"{wave.name or wave.describe()} ({rule})")
    return described
