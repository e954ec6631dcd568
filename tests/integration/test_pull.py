"""Pull: the model of a live database, written as a module, recreates that database.

The oracle is ``pg_dump --schema-only``: a database created from the pulled model must dump
exactly like the one it was pulled from, and the model must find nothing to do on either.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from linkgress_async import PgClient, PullError, pull
from linkgress_async.pulling import pull_module
from linkgress_async.testing import DatabaseFactory
from tests.integration.fidelity import load_sql, round_trip, sql_file
from tests.ruff_clean import ruff_problems

SCHEMAS = Path(__file__).parent / "pull_schemas"


@pytest.mark.parametrize("name", ["edge_cases", "hostile"])
async def test_a_pulled_model_recreates_its_database_exactly(
    name: str, linkgress_databases: DatabaseFactory, tmp_path: Path
) -> None:
    source, empty = await linkgress_databases.create(), await linkgress_databases.create()
    await load_sql(source, sql_file(SCHEMAS / f"{name}.sql"))
    result = await round_trip(source, empty, tmp_path)
    assert result.module.undeclared == ()
    assert result.on_source == []
    assert result.on_copy == []
    assert result.differing_lines == [], "\n".join(result.difference)
    assert ruff_problems(result.module.source, tmp_path, "checked.py") == ""


async def test_pull_reads_every_user_schema_and_leaves_the_journal_out(
    linkgress_databases: DatabaseFactory,
) -> None:
    dsn = await linkgress_databases.create()
    await load_sql(
        dsn,
        "CREATE SCHEMA app; CREATE SCHEMA empty; CREATE TABLE app.t (id integer);"
        " CREATE TABLE public.__migrations (id serial PRIMARY KEY);",
    )
    async with PgClient(dsn=dsn) as client:
        pulled = await pull_module(client)
        only_app = await pull(client, schemas=["app"], class_name="AppDb")
    assert [t.name for t in pulled.catalog.tables] == ["t"]
    assert pulled.catalog.schemas == ("app", "empty", "public")
    assert 'model.schema("empty")' in pulled.source
    assert "__migrations" not in pulled.source
    assert "class AppDb(DbContext):" in only_app
    assert 'model.schema("public")' not in only_app


async def test_pull_refuses_a_missing_schema_and_a_bad_class_name(
    linkgress_databases: DatabaseFactory,
) -> None:
    dsn = await linkgress_databases.create()
    async with PgClient(dsn=dsn) as client:
        with pytest.raises(PullError, match="schema 'nope' does not exist"):
            await pull(client, schemas=["public", "nope"])
        with pytest.raises(PullError, match="'integer' cannot name the pulled context class"):
            await pull(client, class_name="integer")
        with pytest.raises(TypeError, match="not the string"):
            await pull(client, schemas="public")


async def test_a_check_with_an_in_list_on_varchar_round_trips(
    linkgress_databases: DatabaseFactory, tmp_path: Path
) -> None:
    # The server stores  ((v)::text = ANY ((ARRAY['a'::character varying, ...])::text[]))
    # and re-parsing that prints (v)::text = ANY (ARRAY[('a'::character varying)::text, ...]):
    # the pulled model writes it so that it parses back the same, and creating a check or an
    # index runs the model's own text, not the server's respelling of it.
    source, empty = await linkgress_databases.create(), await linkgress_databases.create()
    await load_sql(
        source,
        "CREATE TABLE t (v varchar(10) CHECK (v IN ('a', 'b')));"
        " CREATE INDEX ix_t_v ON t (v) WHERE v IN ('a', 'b');",
    )
    result = await round_trip(source, empty, tmp_path)
    assert result.on_source == []
    assert result.differing_lines == []
