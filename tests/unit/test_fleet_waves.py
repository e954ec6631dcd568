"""Planning the waves of a staged rollout: sizes, shares, listed groups, the canary, rules."""

from __future__ import annotations

import pytest

from linkgress_async.fleet import FleetTarget, FleetTargetError, Wave
from linkgress_async.fleet.waves import PlannedWave, describe_waves, plan_waves


def fleet(count: int) -> list[FleetTarget]:
    return [
        FleetTarget(f"postgresql://app:secret@db/shop_{n}", label=f"shop_{n}") for n in range(count)
    ]


def shape(planned: list[PlannedWave]) -> list[tuple[str, int]]:
    return [(wave.name, len(wave.positions)) for wave in planned]


def test_a_canary_then_one_and_ten_percent_then_the_rest() -> None:
    planned = plan_waves(fleet(200), [Wave("1%"), "10%"], canary=1)
    assert shape(planned) == [
        ("canary", 1),
        ("wave 1 (1%)", 2),
        ("wave 2 (10%)", 20),
        ("the rest", 177),
    ]
    flat = [position for wave in planned for position in wave.positions]
    assert flat == list(range(200))
    assert planned[0].one_at_a_time
    assert not planned[1].one_at_a_time
    assert planned[-1].max_failures is None


def test_shares_round_up_and_counts_stop_when_targets_run_out() -> None:
    assert shape(plan_waves(fleet(5), ["1%", 10, 3], canary=0)) == [
        ("wave 1 (1%)", 1),
        ("wave 2 (10)", 4),
    ]


def test_listed_groups_take_their_targets_wherever_they_are() -> None:
    targets = fleet(6)
    planned = plan_waves(targets, [2, ["shop_4", targets[5]]], canary=1)
    assert [(w.name, w.positions) for w in planned] == [
        ("canary", (0,)),
        ("wave 1 (2)", (1, 2)),
        ("wave 2 (2 listed)", (4, 5)),
        ("the rest", (3,)),
    ]


def test_a_listed_target_must_be_in_the_run_once() -> None:
    with pytest.raises(FleetTargetError, match=r"wave 1 lists 'shop_9', which matches no target"):
        plan_waves(fleet(3), [["shop_9"]], canary=0)
    with pytest.raises(FleetTargetError, match="canary already runs"):
        plan_waves(fleet(3), [["shop_0"]], canary=1)
    with pytest.raises(FleetTargetError, match="earlier wave"):
        plan_waves(fleet(3), [["shop_1"], ["shop_1"]], canary=0)


@pytest.mark.parametrize(
    ("size", "message"),
    [
        (0, "at least 1"),
        ("0%", "written '10%'"),
        ("150%", "written '10%'"),
        ("ten", "written '10%'"),
        ((), "is empty"),
        (True, "a count, a percentage"),
    ],
)
def test_bad_waves_are_refused(size: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Wave(size)  # type: ignore[arg-type]


def test_rules_are_checked() -> None:
    with pytest.raises(ValueError, match="max_failures"):
        Wave(3, max_failures=-1)
    with pytest.raises(ValueError, match="max_failure_rate"):
        Wave(3, max_failure_rate=1.5)
    with pytest.raises(ValueError, match="list of waves"):
        plan_waves(fleet(3), "10%", canary=0)  # type: ignore[arg-type]


def test_a_rule_breaks_on_count_or_rate_and_says_so() -> None:
    wave = PlannedWave("wave 2 (10%)", tuple(range(20)), max_failures=3, max_failure_rate=0.1)
    assert not wave.broken(2)
    assert wave.broken(3)  # more than 10 % of 20
    assert wave.stop_message(3, 170) == (
        "wave 2 (10%): 3 of 20 failed, over max_failures=3 or max_failure_rate=0.1: "
        "stopped the run; 170 targets not run"
    )
    canary = PlannedWave("canary", (0,), one_at_a_time=True)
    assert canary.broken(1)
    assert canary.stop_message(1, 1) == "canary failed: stopped the run; 1 target not run"
    assert not PlannedWave("the rest", (1, 2), max_failures=None).broken(2)


def test_waves_are_described_for_the_record() -> None:
    assert describe_waves(None) is None
    assert describe_waves([1, Wave("10%", max_failure_rate=0.05, name="tenth")]) == [
        "1 (max_failures=0)",
        "tenth (max_failures=0, max_failure_rate=0.05)",
    ]
