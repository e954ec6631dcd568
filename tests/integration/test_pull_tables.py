"""Pull declares the table kinds: partitioning, partitions with their bounds, inheritance
children, UNLOGGED, storage parameters, generated columns, collations, NOT NULL names
(PostgreSQL 18), a serial column that allows NULL and view options.

The oracle is the round trip of ``tests/integration/fidelity.py``: the pulled model finds
nothing to do on its source, creates an equal database from nothing (equal
``pg_dump --schema-only``), and finds nothing to do there either.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from linkgress_async import DbContext, DbModelConfig, PgClient, integer, serial, text, timestamptz
from linkgress_async.testing import DatabaseFactory, LinkgressServer
from tests.integration.fidelity import load_sql, round_trip, sql_file
from tests.ruff_clean import ruff_problems

from .helpers import quiet

SCHEMAS = Path(__file__).parent / "pull_schemas"
# Owners, comments and grants are another group's kinds (pull-security).
_OTHERS = {"owner", "comment", "grant"}


async def test_the_table_kinds_round_trip_through_pull(
    linkgress_server: LinkgressServer, linkgress_databases: DatabaseFactory, tmp_path: Path
) -> None:
    source, empty = await linkgress_databases.create(), await linkgress_databases.create()
    sql = sql_file(SCHEMAS / "tables.sql")
    if linkgress_server.server_version_num >= 180000:
        sql += "\n" + sql_file(SCHEMAS / "tables_18.sql")
    await load_sql(source, sql)
    result = await round_trip(source, empty, tmp_path)
    assert set(result.module.undeclared_by_kind) <= _OTHERS, result.module.undeclared
    assert result.on_source == []
    assert result.on_copy == []
    assert result.differing_lines == [], "\n".join(result.difference)
    assert ruff_problems(result.module.source, tmp_path, "checked.py") == ""
    source_text = result.module.source
    assert 'e.is_partition_of(Events, "FOR VALUES IN' not in source_text  # a sub-partition's
    assert "e.is_partition_of(Events2024, \"FOR VALUES IN ('click', 'tap')\")" in source_text
    assert "e.inherits(Vehicles, Owned)" in source_text
    assert 'e.has_partitioning("range", "at")' in source_text
    assert ".is_required(False)" in source_text


class _Event:
    id: int
    at: object
    kind: str


class _EventOld:
    kind: str
    id: int
    at: object


class _Base:
    id: int


class _Child:
    extra: str | None
    ticket: int | None


class _Declared(DbContext):
    def setup_model(self, model: DbModelConfig) -> None:
        with model.entity(_Event) as e:
            e.to_table("events", schema="app")
            e.has_partitioning("range", "at")
            e.property("id").has_type(integer("id")).is_required()
            e.property("at").has_type(timestamptz("at")).is_required()
            e.property("kind").has_type(text("kind"))
        with model.entity(_EventOld) as e:
            e.to_table("events_old", schema="app")
            # Not as the server prints it: the canonical stage spells it.
            e.is_partition_of(_Event, "for values from (minvalue) to ('2020-01-01')")
            e.property("kind").has_type(text("kind"))
            e.property("id").has_type(integer("id")).is_required()
            e.property("at").has_type(timestamptz("at")).is_required()
            e.has_storage_parameters(fillfactor=70, autovacuum_enabled=False)
        with model.entity(_Base) as e:
            e.to_table("base", schema="app")
            # Named on PostgreSQL 18; before it NOT NULL has no name, and none is compared.
            e.property("id").has_type(integer("id")).is_required(name="base_id_required")
        with model.entity(_Child) as e:
            e.to_table("child", schema="app")
            e.inherits(_Base)
            e.is_unlogged()
            e.property("extra").has_type(text("extra")).has_collation('"C"')
            e.property("ticket").has_type(serial("ticket")).is_required(False)


async def test_a_declared_hierarchy_is_created_and_then_nothing_changes(
    linkgress_dsn: str,
) -> None:
    async with _Declared(PgClient(dsn=linkgress_dsn)) as db:
        manager = db.get_schema_manager(out=quiet)
        await manager.ensure_created()
        assert await manager.analyze() == []
    async with PgClient(dsn=linkgress_dsn) as client:
        rows = await client.query(
            "SELECT c.relname::text AS name, c.relpersistence::text AS persistence,"
            " pg_catalog.pg_get_expr(c.relpartbound, c.oid) AS bound,"
            " c.reloptions::text[] AS options"
            " FROM pg_catalog.pg_class AS c WHERE c.relnamespace = 'app'::regnamespace"
            " AND c.relkind IN ('r', 'p') ORDER BY 1"
        )
        nullable = await client.query(
            "SELECT attnotnull FROM pg_catalog.pg_attribute"
            " WHERE attrelid = 'app.child'::regclass AND attname = 'ticket'"
        )
    by_name = {row["name"]: row for row in rows}
    assert by_name["events_old"]["bound"] == (
        "FOR VALUES FROM (MINVALUE) TO ('2020-01-01 00:00:00+00')"
    )
    assert by_name["events_old"]["options"] == ["fillfactor=70", "autovacuum_enabled=false"]
    assert by_name["child"]["persistence"] == "u"
    assert nullable[0]["attnotnull"] is False


@pytest.mark.parametrize("bound", ["FOR VALUES FROM (1) TO (2)", "DEFAULT"])
async def test_pull_keeps_a_partition_bound_verbatim(
    bound: str, linkgress_databases: DatabaseFactory, tmp_path: Path
) -> None:
    source, empty = await linkgress_databases.create(), await linkgress_databases.create()
    await load_sql(
        source,
        "CREATE TABLE t (id integer NOT NULL) PARTITION BY RANGE (id);"
        f" CREATE TABLE t_1 PARTITION OF t {bound};",
    )
    result = await round_trip(source, empty, tmp_path)
    assert result.on_source == []
    assert result.on_copy == []
    assert result.differing_lines == []
    assert f'e.is_partition_of(T, "{bound}")' in result.module.source
