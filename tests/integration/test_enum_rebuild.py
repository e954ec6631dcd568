"""Enums that round-trip: removing values rebuilds the type, destructive only when rows hold
a removed value (the manager asks the database)."""

from __future__ import annotations

import anyio
import pytest

from linkgress_async import (
    DbModelConfig,
    DestructiveMigrationError,
    PgClient,
    bigint,
    enum_column,
)
from linkgress_async.ops import RebuildEnum
from tests.integration.helpers import Setup, context, quiet, table


def moods(*values: str) -> Setup:
    """Two tables use the enum: a scalar column with a default, and an array column."""

    def setup(model: DbModelConfig) -> None:
        mood = model.enum("mood", list(values))
        e = table(model, "t", bigint("id").primary_key(), enum_column("m", mood))
        e.property("m").is_required().has_default_value("ok")
        table(model, "u", bigint("id").primary_key(), enum_column("ms", mood).array())

    return setup


async def seed(dsn: str, *statements: str) -> None:
    async with context(moods("sad", "ok", "meh", "happy"))(PgClient(dsn=dsn)) as db:
        await db.get_schema_manager(out=quiet).migrate()
        for statement in statements:
            await db.query(statement)


async def test_removing_values_no_row_holds_is_not_destructive(linkgress_dsn: str) -> None:
    await seed(
        linkgress_dsn,
        "INSERT INTO t VALUES (1, 'sad'), (2, 'happy')",
        "INSERT INTO u VALUES (1, '{ok,happy}'), (2, NULL)",
    )
    async with context(moods("happy", "ok", "sad"))(PgClient(dsn=linkgress_dsn)) as db:
        sm = db.get_schema_manager(out=quiet)
        plan = await sm.analyze()
        assert [op.type for op in plan] == ["rebuild_enum"]
        rebuild = plan[0]
        assert isinstance(rebuild, RebuildEnum)
        assert rebuild.removed_values == ("meh",)
        assert rebuild.rows_hold_removed_values is False
        assert not rebuild.destructive
        # No confirmation needed: nothing is lost.
        await sm.migrate(interactive=False)
        assert await sm.analyze() == []
        await db.query("INSERT INTO t (id) VALUES (3)")
        rows = await db.query(
            "SELECT t.id, t.m::text, u.ms::text[], enum_range(NULL::mood)::text[] AS r"
            " FROM t LEFT JOIN u USING (id) ORDER BY t.m, t.id"
        )
        assert [tuple(r.values()) for r in rows] == [
            (2, "happy", None, ["happy", "ok", "sad"]),
            (3, "ok", None, ["happy", "ok", "sad"]),
            (1, "sad", ["ok", "happy"], ["happy", "ok", "sad"]),
        ]


@pytest.mark.parametrize(
    "holder",
    ["INSERT INTO t VALUES (1, 'meh')", "INSERT INTO u VALUES (1, '{ok,meh}')"],
    ids=["scalar", "array"],
)
async def test_rows_holding_a_removed_value_make_the_rebuild_destructive(
    linkgress_dsn: str, holder: str
) -> None:
    await seed(linkgress_dsn, "INSERT INTO t VALUES (5, 'sad')", holder)
    async with context(moods("sad", "ok", "happy"))(PgClient(dsn=linkgress_dsn)) as db:
        sm = db.get_schema_manager(out=quiet)
        plan = await sm.analyze()
        rebuild = plan[0]
        assert isinstance(rebuild, RebuildEnum)
        assert rebuild.rows_hold_removed_values is True
        assert rebuild.destructive
        assert rebuild.reverse() is None
        with pytest.raises(DestructiveMigrationError) as raised:
            await sm.migrate(interactive=False)
        assert raised.value.operations == [rebuild]
        rows = await db.query("SELECT enum_range(NULL::mood)::text[] AS r")
        assert rows[0]["r"] == ["sad", "ok", "meh", "happy"]


async def test_rebuild_on_a_pool_of_one_connection(linkgress_dsn: str) -> None:
    """Re-checking the plan under the lock asks about outside uses on the locked connection
    (another pool connection would wait forever for it)."""
    await seed(linkgress_dsn)
    client = PgClient(dsn=linkgress_dsn, min_size=1, max_size=1)
    async with context(moods("happy", "ok", "sad"))(client) as db:
        with anyio.fail_after(30):
            applied = await db.get_schema_manager(out=quiet).migrate(interactive=False)
        assert [op.type for op in applied] == ["rebuild_enum"]
        rows = await db.query("SELECT enum_range(NULL::mood)::text[] AS r")
        assert rows[0]["r"] == ["happy", "ok", "sad"]


async def test_rebuild_in_the_same_plan_as_a_table_rename(linkgress_dsn: str) -> None:
    """The data check reads the table under its current name, before the plan renames it."""
    await seed(linkgress_dsn, "INSERT INTO t VALUES (1, 'sad')")

    def renamed(model: DbModelConfig) -> None:
        mood = model.enum("mood", ["sad", "ok", "happy"])
        e = table(model, "t2", bigint("id").primary_key(), enum_column("m", mood))
        e.to_table("t2", renamed_from="t")
        e.property("m").is_required().has_default_value("ok")
        table(model, "u", bigint("id").primary_key(), enum_column("ms", mood).array())

    async with context(renamed)(PgClient(dsn=linkgress_dsn)) as db:
        sm = db.get_schema_manager(out=quiet)
        plan = await sm.analyze()
        assert [op.type for op in plan][:2] == ["rename_table", "rename_constraint"]
        rebuild = next(op for op in plan if isinstance(op, RebuildEnum))
        assert rebuild.rows_hold_removed_values is False
        await sm.migrate(interactive=False)
        assert await sm.analyze() == []
        rows = await db.query("SELECT id, m::text FROM t2")
        assert [tuple(r.values()) for r in rows] == [(1, "sad")]


async def test_columns_outside_the_models_schemas_keep_and_follow_the_enum(
    linkgress_dsn: str,
) -> None:
    await seed(linkgress_dsn)
    async with context(moods("sad", "ok", "meh", "happy"))(PgClient(dsn=linkgress_dsn)) as db:
        await db.execute(
            "CREATE SCHEMA other; CREATE TABLE other.diary (id int, m public.mood DEFAULT 'ok');"
            " INSERT INTO other.diary VALUES (1, 'happy'), (2, 'sad')"
        )

    # A rebuild converts the column the model does not own, default included.
    async with context(moods("happy", "ok", "sad"))(PgClient(dsn=linkgress_dsn)) as db:
        sm = db.get_schema_manager(out=quiet)
        [rebuild] = await sm.analyze()
        assert isinstance(rebuild, RebuildEnum)
        assert ("other", "diary", "m") in {
            (c.schema_name, c.table_name, c.column_name) for c in rebuild.columns
        }
        await sm.migrate(interactive=False)
        assert await sm.analyze() == []
        rows = await db.query(
            "SELECT m::text, pg_get_expr(d.adbin, d.adrelid) AS def FROM other.diary"
            " CROSS JOIN pg_attrdef d WHERE d.adrelid = 'other.diary'::regclass ORDER BY id"
        )
        assert [(r["m"], r["def"]) for r in rows] == [
            ("happy", "'ok'::mood"),
            ("sad", "'ok'::mood"),
        ]

    # An enum the model no longer declares is kept while a column elsewhere uses it.
    def without_enum(model: DbModelConfig) -> None:
        table(model, "t", bigint("id").primary_key())

    lines: list[str] = []
    async with context(without_enum)(PgClient(dsn=linkgress_dsn)) as db:
        sm = db.get_schema_manager(out=lines.append, drop_unmanaged=True)
        plan = await sm.analyze()
        assert "drop_enum" not in {op.type for op in plan}
        # Kept by ownership, from pg_depend (the objects outside the schemas using it).
        unmanaged = [item.describe() for item in (await sm.plan()).unmanaged]
        assert (
            "enum 'public.mood' (used by kept 'other.diary' outside the model's schemas)"
            in unmanaged
        ), unmanaged
