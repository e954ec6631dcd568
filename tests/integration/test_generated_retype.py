"""Changing the type of a column that a generated column is computed from.

PostgreSQL refuses (``cannot alter type of a column used by a generated column``); the plan
drops the generated column first and adds it back after, with its indexes (regression found
by the round-trip property test).
"""

from __future__ import annotations

import attrs

from linkgress_async import DbContext, DbModelConfig, PgClient, bigint, integer, numeric
from linkgress_async.ops import AlterColumn
from linkgress_async.testing import DatabaseFactory


@attrs.define
class Price:
    id: int
    Amount: int
    twice: int
    cents: int
    thrice: int


def price_model(wide: bool) -> type[DbContext]:
    class PriceDb(DbContext):
        def setup_model(self, model: DbModelConfig) -> None:
            with model.entity(Price) as e:
                e.to_table("price")
                e.property("id").has_type((bigint if wide else integer)("id").primary_key())
                amount = numeric("Amount", 12, 2) if wide else integer("Amount")
                e.property("Amount").has_type(amount)
                e.property("twice").has_type(bigint("twice")).generated_always_as("id * 2")
                e.property("cents").has_type(numeric("cents", 14, 2)).generated_always_as(
                    '"Amount" * 100'
                )
                e.has_index("price_twice", "twice")
                if wide:
                    # New, and computed from the column whose type changes.
                    e.property("thrice").has_type(bigint("thrice")).generated_always_as("id * 3")

    return PriceDb


async def test_a_generated_columns_source_changes_type(
    linkgress_databases: DatabaseFactory,
) -> None:
    dsn = await linkgress_databases.create()
    quiet = {"out": lambda line: None}
    async with price_model(False)(PgClient(dsn=dsn)) as db:
        await db.get_schema_manager(**quiet).ensure_created()
        await db.query('INSERT INTO price (id, "Amount") VALUES (1, 5), (2, 7)')
    async with price_model(True)(PgClient(dsn=dsn)) as db:
        manager = db.get_schema_manager(**quiet)
        plan = await manager.analyze()
        retypes = {op.column_name: op for op in plan if isinstance(op, AlterColumn)}
        assert [c.name for c in retypes["id"].regenerated] == ["twice"]
        assert [c.name for c in retypes["id"].added_after] == ["thrice"]
        assert [c.name for c in retypes["Amount"].regenerated] == ["cents"]
        assert "re-creating generated 'twice'" in retypes["id"].describe()
        assert not any(op.destructive for op in plan)
        await manager.migrate()
        assert await manager.analyze() == []
        rows = await db.query("SELECT id, twice, cents FROM price ORDER BY id")
    assert [tuple(r) for r in rows] == [(1, 2, 500), (2, 4, 700)]
