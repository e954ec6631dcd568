"""The public surface: every exported name resolves, and API.md's names are all exported."""

from __future__ import annotations

import subprocess
import sys

import pytest

import linkgress_async

API_NAMES = """PgClient DbContext DbModelConfig sql smallint integer bigint serial bigserial numeric
decimal real double_precision varchar char text boolean date time timestamp timestamptz interval
uuid json jsonb bytea inet cidr enum_column pg_enum custom_type LinkgressError ModelError
DestructiveMigrationError NoSchemaDifferencesError MigrationError""".split()  # noqa: SIM905


def test_every_exported_name_resolves() -> None:
    for name in linkgress_async.__all__:
        assert getattr(linkgress_async, name) is not None, name
    assert sorted(dir(linkgress_async)) == sorted(linkgress_async.__all__)


def test_api_names_are_exported() -> None:
    missing = [n for n in API_NAMES if n not in linkgress_async.__all__]
    assert missing == []


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="NoSuchThing"):
        _ = linkgress_async.NoSuchThing  # type: ignore[attr-defined]


def test_importing_a_submodule_does_not_load_the_manager() -> None:
    code = (
        "import sys, linkgress_async.render.quote; "
        "print('linkgress_async.manager' in sys.modules, 'asyncpg' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_functions_named_like_modules_stay_functions_once_the_modules_are_imported() -> None:
    code = (
        "import linkgress_async.cli.live, linkgress_async.pulling.emit, linkgress_async; "
        "print(callable(linkgress_async.pull), callable(linkgress_async.compare))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True"]
