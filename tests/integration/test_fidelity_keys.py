"""Keys, constraints and indexes round-trip catalog -> SQL -> catalog with every option.

The clone test loads ``keys_schema`` into one database, plans it from nothing into another,
and requires equal catalogs and equal ``pg_dump --schema-only``. The drift tests change one
attribute by hand (inside a transaction, so each starts from the same database), and
require the diff to name it and to repair it, in place where PostgreSQL can.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import anyio
import asyncpg
import attrs
import pytest
from attrs import frozen

from linkgress_async.catalog import Catalog, IndexElement
from linkgress_async.diff import diff
from linkgress_async.introspect import introspect, introspect_connection
from linkgress_async.introspect._assemble import assemble
from linkgress_async.introspect._fetch import fetch_sequentially
from linkgress_async.introspect._queries import Family, sql
from linkgress_async.ops import MigrationOperation
from linkgress_async.render.sql import plan_sql
from linkgress_async.testing import DatabaseFactory, LinkgressServer

from .keys_schema import EXTENSIONS, SCHEMAS, schema_sql

# --- shared helpers (kept here, named for this module) ---------------------------------------


def pg_dump_path() -> Path:
    """The ``pg_dump`` of the server the suite runs on."""
    from linkgress_async._server import resolve_bin_dir

    if os.environ.get("LINKGRESS_TEST_DSN"):
        found = shutil.which("pg_dump")
        assert found, "LINKGRESS_TEST_DSN is set: put the server's pg_dump on PATH"
        return Path(found)
    return resolve_bin_dir() / "pg_dump"


async def schema_dump(dsn: str) -> list[str]:
    """``pg_dump --schema-only`` of ``dsn`` as lines, without the random ``\\restrict`` keys."""
    result = await anyio.run_process([str(pg_dump_path()), "--schema-only", "--dbname", dsn])
    lines = result.stdout.decode().splitlines()
    return [line for line in lines if not line.startswith(("\\restrict", "\\unrestrict"))]


async def installed_extensions(conn: asyncpg.Connection[Any]) -> tuple[str, ...]:
    """The test schema's extensions, with pgvector where the server ships it."""
    available = await conn.fetchval(
        "SELECT count(*) FROM pg_available_extensions WHERE name = 'vector'"
    )
    return (*EXTENSIONS, "vector") if available else EXTENSIONS


async def create_extensions(conn: asyncpg.Connection[Any], extensions: tuple[str, ...]) -> None:
    for name in extensions:
        await conn.execute(f'CREATE EXTENSION "{name}"')


@pytest.fixture
async def source(
    linkgress_server: LinkgressServer, linkgress_dsn: str
) -> tuple[str, tuple[str, ...]]:
    """A database holding the edge-case schema, and the extensions it has."""
    conn = await asyncpg.connect(linkgress_dsn)
    try:
        extensions = await installed_extensions(conn)
        await create_extensions(conn, extensions)
        await conn.execute(schema_sql(linkgress_server.server_version_num, extensions))
    finally:
        await conn.close()
    return linkgress_dsn, extensions


async def read(dsn: str) -> Catalog:
    async with asyncpg.create_pool(dsn, min_size=1, max_size=4) as pool:
        return await introspect(pool, SCHEMAS)


async def test_plain_indexes_read_as_the_printer_would(source: tuple[str, tuple[str, ...]]) -> None:
    """The query settles most keys from the catalog alone and sends the rest through
    pg_get_indexdef; sending every index through it must read the same."""
    conn = await asyncpg.connect(source[0])
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            rows = await fetch_sequentially(conn, list(SCHEMAS), own_transaction=True)
            query = sql(Family.INDEXES, conn.get_server_version().major)
            everything = query.replace(
                "LEFT JOIN not_plain AS np",
                "LEFT JOIN (SELECT indexrelid FROM pg_index) AS np",
            )
            assert everything != query
            printed = await conn.fetch(everything, list(SCHEMAS))
    finally:
        await conn.close()
    assert all(row["definition"] is not None for row in printed)
    assert any(row["definition"] is None for row in rows[Family.INDEXES])
    assert assemble({**rows, Family.INDEXES: printed}) == assemble(rows)


# --- the clone round trip ------------------------------------------------------------------


async def test_clone_round_trip(
    source: tuple[str, tuple[str, ...]], linkgress_databases: DatabaseFactory
) -> None:
    source_dsn, extensions = source
    original = await read(source_dsn)
    operations = diff(Catalog(schemas=("public",)), original)
    clone_dsn = await linkgress_databases.create()
    conn = await asyncpg.connect(clone_dsn)
    try:
        await create_extensions(conn, extensions)
        async with conn.transaction():
            for statement in plan_sql(operations):
                await conn.execute(statement)
    finally:
        await conn.close()

    cloned = await read(clone_dsn)
    assert cloned == original
    assert diff(original, cloned) == []
    assert await schema_dump(clone_dsn) == await schema_dump(source_dsn)


async def test_every_option_is_read(source: tuple[str, tuple[str, ...]]) -> None:
    catalog = await read(source[0])
    child = catalog.table("public", "child")
    parent = catalog.table("public", "parent")
    assert child is not None
    assert parent is not None
    indexes = {index.name: index for index in child.indexes}
    assert indexes["child_name_trgm"].elements == (
        IndexElement(column="name", opclass="public.gin_trgm_ops"),
    )
    assert indexes["child_name_trgm"].options == ("fastupdate=off",)
    assert indexes["child_name_gist"].elements == (
        IndexElement(column="name", opclass="public.gist_trgm_ops", opclass_options=("siglen=32",)),
    )
    assert indexes["child_addr"].elements == (IndexElement(column="addr", opclass="inet_ops"),)
    assert indexes["child_title_pattern"].elements == (
        IndexElement(column="title", opclass="text_pattern_ops"),
    )
    assert indexes["child_sorted"].elements == (
        IndexElement(column="parent_id", descending=True, nulls_first=False),
        IndexElement(column="name", collation='"POSIX"', nulls_first=True),
        IndexElement(
            expression="lower(title::text)",
            collation='"C"',
            opclass="text_pattern_ops",
            descending=True,
        ),
        IndexElement(column="parent_region", descending=True),
    )
    assert indexes["child_expr_trgm"].elements == (
        IndexElement(
            expression="lower(title::text)",
            opclass="public.gist_trgm_ops",
            opclass_options=("siglen=16",),
        ),
    )
    assert indexes["child_title_text_ops"].elements == (
        IndexElement(column="title"),
        IndexElement(column="addr", descending=True),
    )
    assert indexes["child_room_exprs"].elements == (
        IndexElement(expression="(room + 1)"),
        IndexElement(expression="(title::bpchar)"),
        IndexElement(expression="lower(name)"),
    )
    assert indexes["child_name_default"].elements == (
        IndexElement(column="name"),
        IndexElement(expression="lower(name)", collation='"C"'),
    )
    title_key = indexes["child_title_key"]
    assert title_key.nulls_not_distinct
    assert title_key.options == ("fillfactor=70", "deduplicate_items=off")

    assert parent.primary_key is not None
    assert parent.primary_key.include == ("region",)
    assert parent.primary_key.options == ("fillfactor=90",)
    code_key = next(u for u in parent.uniques if u.name == "parent_code_key")
    assert (code_key.nulls_not_distinct, code_key.deferrable, code_key.initially_deferred) == (
        True,
        True,
        True,
    )
    tag = catalog.table("other", "tag")
    assert tag is not None
    assert tag.primary_key is not None
    assert (tag.primary_key.deferrable, tag.primary_key.initially_deferred) == (True, True)

    fks = {fk.name: fk for fk in child.foreign_keys}
    parent_fk = fks["child_parent_fkey"]
    assert (parent_fk.deferrable, parent_fk.initially_deferred) == (True, True)
    full = fks["child_parent_full"]
    assert (full.match, full.not_valid, full.delete_set_columns) == (
        "full",
        True,
        ("parent_region",),
    )
    checks = {check.name: check for check in child.checks}
    assert checks["child_amount_check"].no_inherit
    assert checks["child_name_check"].not_valid
    (exclusion,) = child.exclusions
    assert exclusion.definition == (
        "EXCLUDE USING gist (room WITH =, during WITH &&) WHERE (room > 0)"
    )
    assert (exclusion.deferrable, exclusion.initially_deferred) == (True, False)


async def test_postgresql_18_features_are_read(
    linkgress_server: LinkgressServer, source: tuple[str, tuple[str, ...]]
) -> None:
    catalog = await read(source[0])
    child = catalog.table("public", "child")
    assert child is not None
    if linkgress_server.server_version_num < 180000:
        # None of them exists here: every constraint is enforced and none is temporal.
        assert all(check.enforced for check in child.checks)
        assert all(fk.enforced and not fk.period for fk in child.foreign_keys)
        assert catalog.table("public", "price") is None
        return
    price = catalog.table("public", "price")
    override = catalog.table("public", "price_override")
    assert price is not None
    assert override is not None
    assert price.primary_key is not None
    assert price.primary_key.without_overlaps
    assert price.uniques[0].without_overlaps
    (period_fk,) = override.foreign_keys
    assert period_fk.period
    assert not next(c for c in child.checks if c.name == "child_amount_cap").enforced
    loose = next(fk for fk in child.foreign_keys if fk.name == "child_parent_loose")
    assert (loose.enforced, loose.not_valid) == (False, False)
    named = catalog.table("public", "named_not_null")
    renamed = catalog.table("public", "after_rename")
    assert named is not None
    assert renamed is not None
    assert [c.not_null_name for c in named.columns] == ["named_not_null_a_required", None]
    # pg_dump prints the name a table kept from before its rename: the catalog keeps it too.
    assert [c.not_null_name for c in renamed.columns] == ["before_rename_x_not_null"]


# --- drift: one attribute changed by hand, found and repaired ---------------------------------


@frozen
class Drift:
    """A change made by hand, the object the plan must name, and the kinds of operation
    expected (the alter path where PostgreSQL has one)."""

    sql: str
    names: str
    expected: tuple[str, ...]
    since: int = 150000


DRIFTS: dict[str, Drift] = {
    "index opclass": Drift(
        "DROP INDEX child_title_pattern; CREATE INDEX child_title_pattern ON child (title)",
        "child_title_pattern",
        ("drop_index", "create_index"),
    ),
    "index collation": Drift(
        "DROP INDEX child_sorted; CREATE INDEX child_sorted ON child (parent_id DESC NULLS LAST,"
        ' name NULLS FIRST, (lower(title)) COLLATE "C" text_pattern_ops DESC,'
        " parent_region DESC)",
        "child_sorted",
        ("drop_index", "create_index"),
    ),
    "index ordering": Drift(
        "DROP INDEX child_sorted; CREATE INDEX child_sorted ON child (parent_id,"
        ' name COLLATE "POSIX", (lower(title)) COLLATE "C" text_pattern_ops,'
        " parent_region)",
        "child_sorted",
        ("drop_index", "create_index"),
    ),
    "opclass options": Drift(
        "DROP INDEX child_name_gist;"
        " CREATE INDEX child_name_gist ON child USING gist (name gist_trgm_ops (siglen = 64))",
        "child_name_gist",
        ("drop_index", "create_index"),
    ),
    "index storage parameter": Drift(
        "ALTER INDEX child_name_trgm SET (fastupdate = on)",
        "child_name_trgm",
        ("alter_index_options",),
    ),
    "index storage parameter reset": Drift(
        "ALTER INDEX child_title_key RESET (deduplicate_items)",
        "child_title_key",
        ("alter_index_options",),
    ),
    "index nulls distinct": Drift(
        "DROP INDEX child_title_key; CREATE UNIQUE INDEX child_title_key ON child (title)"
        " WITH (fillfactor = 70, deduplicate_items = off)",
        "child_title_key",
        ("drop_index", "create_index"),
    ),
    "primary key storage parameter": Drift(
        "ALTER INDEX parent_pkey SET (fillfactor = 50)", "parent_pkey", ("alter_index_options",)
    ),
    "primary key include": Drift(
        "ALTER TABLE parent DROP CONSTRAINT parent_pkey CASCADE;"
        " ALTER TABLE parent ADD CONSTRAINT parent_pkey PRIMARY KEY (id) WITH (fillfactor = 90)",
        "parent_pkey",
        ("drop_primary_key", "add_primary_key", "create_foreign_key"),
    ),
    "primary key deferral": Drift(
        "ALTER TABLE other.tag DROP CONSTRAINT tag_pkey;"
        " ALTER TABLE other.tag ADD CONSTRAINT tag_pkey PRIMARY KEY (id)",
        "tag_pkey",
        ("drop_primary_key", "add_primary_key"),
    ),
    "unique deferral": Drift(
        "ALTER TABLE parent DROP CONSTRAINT parent_code_key;"
        " ALTER TABLE parent ADD CONSTRAINT parent_code_key UNIQUE NULLS NOT DISTINCT (code)"
        " WITH (fillfactor = 80)",
        "parent_code_key",
        ("drop_unique_constraint", "create_unique_constraint"),
    ),
    "unique nulls distinct": Drift(
        "ALTER TABLE parent DROP CONSTRAINT parent_code_key;"
        " ALTER TABLE parent ADD CONSTRAINT parent_code_key UNIQUE (code)"
        " WITH (fillfactor = 80) DEFERRABLE INITIALLY DEFERRED",
        "parent_code_key",
        ("drop_unique_constraint", "create_unique_constraint"),
    ),
    "foreign key deferral": Drift(
        "ALTER TABLE child ALTER CONSTRAINT child_parent_fkey NOT DEFERRABLE",
        "child_parent_fkey",
        ("alter_constraint",),
    ),
    "foreign key validated": Drift(
        "ALTER TABLE child VALIDATE CONSTRAINT child_parent_full",
        "child_parent_full",
        ("alter_constraint",),
    ),
    "foreign key match": Drift(
        "ALTER TABLE child DROP CONSTRAINT child_parent_full;"
        " ALTER TABLE child ADD CONSTRAINT child_parent_full FOREIGN KEY"
        " (parent_region, parent_id) REFERENCES parent (region, id)"
        " ON DELETE SET NULL (parent_region) NOT VALID",
        "child_parent_full",
        ("drop_foreign_key", "create_foreign_key"),
    ),
    "foreign key set null columns": Drift(
        "ALTER TABLE child DROP CONSTRAINT child_parent_full;"
        " ALTER TABLE child ADD CONSTRAINT child_parent_full FOREIGN KEY"
        " (parent_region, parent_id) REFERENCES parent (region, id) MATCH FULL"
        " ON DELETE SET NULL NOT VALID",
        "child_parent_full",
        ("drop_foreign_key", "create_foreign_key"),
    ),
    "check not valid": Drift(
        "ALTER TABLE child DROP CONSTRAINT child_amount_check;"
        " ALTER TABLE child ADD CONSTRAINT child_amount_check CHECK (amount > 0) NO INHERIT"
        " NOT VALID",
        "child_amount_check",
        ("alter_constraint",),
    ),
    "check validated": Drift(
        "ALTER TABLE child VALIDATE CONSTRAINT child_name_check",
        "child_name_check",
        ("alter_constraint",),
    ),
    "check inherit": Drift(
        "ALTER TABLE child DROP CONSTRAINT child_amount_check;"
        " ALTER TABLE child ADD CONSTRAINT child_amount_check CHECK (amount > 0)",
        "child_amount_check",
        ("alter_constraint",),
    ),
    "exclusion deferral": Drift(
        "ALTER TABLE child DROP CONSTRAINT child_no_overlap;"
        " ALTER TABLE child ADD CONSTRAINT child_no_overlap"
        " EXCLUDE USING gist (room WITH =, during WITH &&) WHERE (room > 0)",
        "child_no_overlap",
        ("drop_exclusion_constraint", "create_exclusion_constraint"),
    ),
    "exclusion definition": Drift(
        "ALTER TABLE child DROP CONSTRAINT child_no_overlap;"
        " ALTER TABLE child ADD CONSTRAINT child_no_overlap"
        " EXCLUDE USING gist (room WITH =, during WITH &&) DEFERRABLE",
        "child_no_overlap",
        ("drop_exclusion_constraint", "create_exclusion_constraint"),
    ),
    "check enforced": Drift(
        "ALTER TABLE child DROP CONSTRAINT child_amount_cap;"
        " ALTER TABLE child ADD CONSTRAINT child_amount_cap CHECK (amount < 1000)",
        "child_amount_cap",
        ("alter_constraint",),
        since=180000,
    ),
    "foreign key enforced": Drift(
        "ALTER TABLE child ALTER CONSTRAINT child_parent_loose ENFORCED",
        "child_parent_loose",
        ("alter_constraint",),
        since=180000,
    ),
    "foreign key not enforced": Drift(
        "ALTER TABLE child ALTER CONSTRAINT child_parent_fkey NOT ENFORCED",
        "child_parent_fkey",
        ("alter_constraint",),
        since=180000,
    ),
    "temporal unique": Drift(
        "ALTER TABLE price DROP CONSTRAINT price_rate_key;"
        " ALTER TABLE price ADD CONSTRAINT price_rate_key UNIQUE (rate, valid_at)",
        "price_rate_key",
        ("drop_unique_constraint", "create_unique_constraint"),
        since=180000,
    ),
    "temporal foreign key": Drift(
        "ALTER TABLE price_override DROP CONSTRAINT price_override_price_fkey",
        "price_override_price_fkey",
        ("create_foreign_key",),
        since=180000,
    ),
    "not null name": Drift(
        "ALTER TABLE named_not_null RENAME CONSTRAINT named_not_null_a_required TO other_name",
        "named_not_null.a",
        ("alter_column",),
        since=180000,
    ),
    "not null default name": Drift(
        "ALTER TABLE named_not_null RENAME CONSTRAINT named_not_null_b_not_null TO b_required",
        "named_not_null.b",
        ("alter_column",),
        since=180000,
    ),
}


async def _execute(conn: asyncpg.Connection[Any], operations: list[MigrationOperation]) -> None:
    for statement in plan_sql(operations):
        await conn.execute(statement)


@pytest.mark.parametrize("case", list(DRIFTS), ids=list(DRIFTS))
async def test_drift_is_found_and_repaired(
    linkgress_server: LinkgressServer, source: tuple[str, tuple[str, ...]], case: str
) -> None:
    drift = DRIFTS[case]
    version = linkgress_server.server_version_num
    conn = await asyncpg.connect(source[0])
    try:
        original = await introspect_connection(conn, SCHEMAS)
        if version < drift.since:
            # The feature (or the object using it) does not exist on this server.
            with pytest.raises(asyncpg.PostgresError):
                await conn.execute(drift.sql)
            return
        # A transaction that is always rolled back: every case starts from the same schema.
        transaction = conn.transaction()
        await transaction.start()
        try:
            await conn.execute(drift.sql)
            drifted = await introspect_connection(conn, SCHEMAS)
            assert drifted != original
            operations = diff(drifted, original)
            assert {op.type for op in operations} == set(drift.expected)
            table_or_object = drift.names.split(".")[-1]
            assert any(table_or_object in op.describe() for op in operations)
            await _execute(conn, operations)
            assert await introspect_connection(conn, SCHEMAS) == original
            # ...and back: the reverse plan (a scaffolded down()) undoes the repair.
            reverse = [op.reverse() for op in reversed(operations)]
            assert None not in reverse
            await _execute(conn, [op for op in reverse if op is not None])
            assert await introspect_connection(conn, SCHEMAS) == drifted
        finally:
            await transaction.rollback()
    finally:
        await conn.close()


# --- drops ------------------------------------------------------------------------------------


async def test_every_kind_is_dropped_in_order(source: tuple[str, tuple[str, ...]]) -> None:
    """A target without the keys, constraints and indexes drops them all, in an order
    PostgreSQL accepts (foreign keys before the keys they reference)."""
    conn = await asyncpg.connect(source[0])
    try:
        original = await introspect_connection(conn, SCHEMAS)
        bare = attrs.evolve(
            original,
            tables=[
                attrs.evolve(
                    t,
                    primary_key=None,
                    uniques=(),
                    checks=(),
                    foreign_keys=(),
                    indexes=(),
                    exclusions=(),
                )
                for t in original.tables
            ],
        )
        operations = diff(original, bare)
        kinds = [op.type for op in operations]
        assert kinds.index("drop_foreign_key") < kinds.index("drop_primary_key")
        assert "drop_exclusion_constraint" in kinds
        async with conn.transaction():
            await _execute(conn, operations)
            after = await introspect_connection(conn, SCHEMAS)
        assert diff(after, bare) == []
        assert all(not (t.exclusions or t.indexes or t.foreign_keys) for t in after.tables)
    finally:
        await conn.close()
