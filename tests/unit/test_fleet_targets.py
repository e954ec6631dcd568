"""Target files for fleet runs: one DSN a line, options, and comments."""

from __future__ import annotations

import pytest

from linkgress_async import FleetTarget, FleetTargetError
from linkgress_async.fleet import parse_targets


def test_comments_whole_line_and_after_a_target() -> None:
    text = (
        "# production tenants\n"
        "postgresql://app@db1/one   # the first\n"
        "\n"
        "postgresql://app:pa#ss@db2/two schema=t2 label=second  # a hash inside the DSN stays\n"
    )
    assert parse_targets(text) == [
        FleetTarget("postgresql://app@db1/one"),
        FleetTarget("postgresql://app:pa#ss@db2/two", schema="t2", label="second"),
    ]


def test_an_unknown_option_names_the_line() -> None:
    with pytest.raises(FleetTargetError, match=r"targets\.txt, line 2: unexpected 'shema=x'"):
        parse_targets("postgresql://a@h/one\npostgresql://a@h/two shema=x\n", "targets.txt")


def test_runner_up_many_forwards_every_option_of_the_fleet() -> None:
    """MigrationRunner.up_many spells out fleet.up_many's options; they must stay in step."""
    import inspect

    from linkgress_async import MigrationRunner
    from linkgress_async.fleet import up_many

    runner = inspect.signature(MigrationRunner.up_many)
    fleet = inspect.signature(up_many)
    assert list(runner.parameters) == list(fleet.parameters)
    for name, parameter in fleet.parameters.items():
        assert runner.parameters[name].default == parameter.default, name
        assert runner.parameters[name].kind == parameter.kind, name
