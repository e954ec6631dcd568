"""Linkgress parity: extended statistics, ``has_statistics(...).with_kinds(...)``: created,
read back from pg_statistic_ext, rebuilt when they differ; undeclared ones are kept."""

from __future__ import annotations

import asyncpg
import pytest

from linkgress_async import DbContext, DbModelConfig, ModelError, PgClient, integer, text
from linkgress_async.ops import CreateStatistics, DropStatistics
from tests.integration.helpers import quiet, table


def addresses(kinds: tuple[str, ...] = ("dependencies",)):  # type: ignore[no-untyped-def]
    class Addresses(DbContext):
        def setup_model(self, model: DbModelConfig) -> None:
            entity = table(
                model,
                "addresses",
                integer("id").primary_key(),
                text("city"),
                text("zip"),
                integer("flags"),
            )
            entity.has_statistics("stx_city_zip", ["city", "zip"]).with_kinds(*kinds)
            entity.has_statistics("stx_flags").with_expression("(flags & 1)")
            entity.has_statistics("stx_all", ["city", "zip", "flags"])

    return Addresses


async def statistics(dsn: str) -> dict[str, tuple[str, ...]]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT stxname, stxkind::text[] AS k FROM pg_statistic_ext")
        return {row["stxname"]: tuple(sorted(row["k"])) for row in rows}
    finally:
        await conn.close()


async def test_statistics_are_created_compared_and_rebuilt(linkgress_dsn: str) -> None:
    async with addresses()(PgClient(dsn=linkgress_dsn)) as db:
        manager = db.get_schema_manager(out=quiet)
        await manager.ensure_created()
        assert await statistics(linkgress_dsn) == {
            "stx_city_zip": ("f",),
            "stx_flags": ("e",),
            "stx_all": ("d", "f", "m"),
        }
        assert await manager.analyze() == []
        conn = await asyncpg.connect(linkgress_dsn)
        try:
            # A DBA's own statistics object stays.
            await conn.execute("CREATE STATISTICS stx_dba ON city, flags FROM addresses")
            await conn.execute("ANALYZE addresses")
        finally:
            await conn.close()
        assert await manager.analyze() == []
    async with addresses(("ndistinct", "mcv"))(PgClient(dsn=linkgress_dsn)) as db:
        manager = db.get_schema_manager(out=quiet)
        plan = await manager.analyze()
        assert [type(op) for op in plan] == [DropStatistics, CreateStatistics]
        assert manager.to_sql(plan)[1] == (
            'CREATE STATISTICS "public"."stx_city_zip" (ndistinct, mcv) ON "city", "zip"'
            ' FROM "public"."addresses"'
        )
        await manager.migrate()
        assert await manager.analyze() == []
    found = await statistics(linkgress_dsn)
    assert found["stx_city_zip"] == ("d", "m")
    assert "stx_dba" in found


def test_statistics_declarations_are_checked_before_any_sql() -> None:
    class Doc:
        id: int
        title: str

    def build(configure):  # type: ignore[no-untyped-def]
        model = DbModelConfig()
        entity = model.entity(Doc).to_table("docs")
        entity.property("id").has_type(integer("id").primary_key())
        entity.property("title").has_type(text("title"))
        configure(entity)
        return model.build()

    with pytest.raises(ModelError, match="statistics on one column"):
        build(lambda e: e.has_statistics("stx", ["title"]))
    with pytest.raises(ModelError, match="single expression take no kinds"):
        build(lambda e: e.has_statistics("stx").with_expression("lower(title)").with_kinds("mcv"))
    with pytest.raises(ModelError, match="with_kinds takes some of"):
        build(lambda e: e.has_statistics("stx", ["id", "title"]).with_kinds("histogram"))
