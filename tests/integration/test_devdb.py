"""The development database's Python functions: shared use, background running, stopping."""

from __future__ import annotations

from pathlib import Path

import pytest

from linkgress_async.devdb import (
    development_database,
    development_database_url,
    open_development_database,
    stop_development_database,
)
from tests.integration.helpers import servers_using
from tests.integration.test_cli import fetch
from tests.integration.test_docs import DOCS, blocks


def test_uses_share_the_server_and_the_last_one_stops_it(project: Path) -> None:
    data_dir = project / ".linkgress" / "pgdata"
    first = open_development_database(project)
    dev = first.__enter__()
    try:
        assert dev.started
        assert not dev.background
        with development_database(project) as dsn:
            assert dsn == dev.dsn
            fetch(dsn, "CREATE TABLE kept (x int)")
            # The one that started the server leaves first: the server stays for the other.
            first.__exit__(None, None, None)
            first = None
            assert fetch(dsn, "SELECT count(*) AS n FROM kept")[0]["n"] == 0
        assert servers_using(data_dir) == []
    finally:
        if first is not None:
            first.__exit__(None, None, None)
    # The data is kept for the next use.
    with development_database(project) as dsn:
        assert fetch(dsn, "SELECT count(*) AS n FROM kept")[0]["n"] == 0


def test_url_leaves_it_running_until_stopped(project: Path) -> None:
    data_dir = project / ".linkgress" / "pgdata"
    dsn = development_database_url(project)
    assert fetch(dsn, "SELECT current_user AS who")[0]["who"] == "postgres"
    with open_development_database(project) as dev:
        assert not dev.started
        assert dev.background
    assert servers_using(data_dir)
    assert development_database_url(project) == dsn

    # Stopping while a block uses it leaves the stop to the end of that block.
    with development_database(project) as inner:
        assert stop_development_database(project) == "in use"
        assert fetch(inner, "SELECT 1 AS one")[0]["one"] == 1
    assert servers_using(data_dir) == []
    assert stop_development_database(project) == "not running"
    # Its socket directory is gone with it.
    with pytest.raises(FileNotFoundError):
        fetch(dsn, "SELECT 1")


def test_the_example_of_docs_cli_md_runs(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (example,) = [block for block in blocks(DOCS / "cli.md") if block.lang == "python"]
    monkeypatch.chdir(project)
    with development_database() as dsn:
        fetch(dsn, "CREATE TABLE made_before (x int)")
        exec(compile(example.code, "cli.md", "exec"), {"__name__": "__main__"})
    assert capsys.readouterr().out == "['made_before']\n"
    assert servers_using(project / ".linkgress" / "pgdata") == []
