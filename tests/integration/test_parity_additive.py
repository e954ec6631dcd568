"""Linkgress parity: ``migrate(additive_only=True)`` never drops; drops are reported skipped."""

from __future__ import annotations

from linkgress_async import DbModelConfig, PgClient, integer, text
from tests.integration.helpers import context, quiet, table


class Owner:
    id: int


def owners(model: DbModelConfig) -> None:
    with model.entity(Owner) as e:
        e.to_table("owners")
        e.property("id").has_type(integer("id").primary_key())


def v1(model: DbModelConfig) -> None:
    owners(model)
    pets = table(
        model, "pets", integer("id").primary_key(), integer("owner_id"), text("name"), text("old")
    )
    pets.has_index("ix_pets_name", ["name"])
    pets.has_one("owner", Owner).with_foreign_key("owner_id")
    table(model, "retired", integer("id").primary_key())


def v2(model: DbModelConfig) -> None:
    owners(model)
    pets = table(
        model, "pets", integer("id").primary_key(), integer("owner_id"), text("name"), text("nick")
    )
    pets.has_index("ix_pets_name", ["name", "id"])  # changed: a drop and a create
    table(model, "toys", integer("id").primary_key())


async def test_additive_only_applies_additions_and_reports_drops(linkgress_dsn: str) -> None:
    async with context(v1)(PgClient(dsn=linkgress_dsn)) as db:
        await db.get_schema_manager(out=quiet).migrate()
        await db.query("INSERT INTO retired VALUES (1)")
    lines: list[str] = []
    async with context(v2)(PgClient(dsn=linkgress_dsn)) as db:
        # drop_unmanaged: the undeclared table "retired" would be dropped, were it not additive.
        manager = db.get_schema_manager(out=lines.append, drop_unmanaged=True)
        # Nothing it applies deletes data, so no confirmation is needed.
        applied = await manager.migrate(additive_only=True, interactive=False)
        assert sorted(op.type for op in applied) == ["add_column", "create_table"]
        assert sorted(op.describe() for op in manager.skipped) == sorted(
            [
                "Drop table 'retired'",
                "Drop column 'pets.old'",
                "Drop foreign key 'FK_pets_owners' on 'pets'",
                "Drop index 'ix_pets_name' on 'pets'",
                "Create index 'ix_pets_name' on 'pets'",
            ]
        ), [op.describe() for op in manager.skipped]
        assert "Skipped (additive only): 5 operations that would drop or can delete data:" in lines
        rows = await db.query(
            "SELECT to_regclass('retired') IS NOT NULL AS kept_table,"
            " to_regclass('toys') IS NOT NULL AS new_table,"
            " (SELECT count(*) FROM retired) AS kept_rows,"
            " (SELECT array_agg(attname::text ORDER BY attnum) FROM pg_attribute"
            "   WHERE attrelid = 'pets'::regclass AND attnum > 0) AS columns,"
            " (SELECT count(*) FROM pg_constraint WHERE contype = 'f') AS foreign_keys"
        )
        assert dict(rows[0]) == {
            "kept_table": True,
            "new_table": True,
            "kept_rows": 1,
            "columns": ["id", "owner_id", "name", "old", "nick"],
            "foreign_keys": 1,
        }
        # Again: only the withheld drops remain, and they stay withheld.
        assert await manager.migrate(additive_only=True, interactive=False) == []
        assert len(manager.skipped) == 5
