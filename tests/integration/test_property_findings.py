"""What the round-trip property test (``test_roundtrip_property.py``) found, each reproduced
on its own."""

from __future__ import annotations

from linkgress_async import DbModelConfig, PgClient, bigint, integer, text
from tests.integration.helpers import Setup, context, quiet, table


def _collated_text(model: DbModelConfig) -> None:
    entity = table(model, "users", integer("id").primary_key(), text("a"))
    entity.property("a").has_collation('"C"')


def _plain_bigint(model: DbModelConfig) -> None:
    table(model, "users", integer("id").primary_key(), bigint("a"))


def _plain_text(model: DbModelConfig) -> None:
    table(model, "users", integer("id").primary_key(), text("a"))


async def _migrate(dsn: str, first: Setup, then: Setup) -> None:
    async with context(first)(PgClient(dsn=dsn, max_size=2)) as db:
        await db.get_schema_manager(out=quiet).ensure_created()
    async with context(then)(PgClient(dsn=dsn, max_size=2)) as db:
        manager = db.get_schema_manager(out=quiet)
        await manager.migrate(allow_destructive=True)
        assert await manager.analyze() == []


async def test_a_collated_column_becomes_a_type_without_collations(linkgress_dsn: str) -> None:
    """``text COLLATE "C"`` -> ``bigint`` wrote ``TYPE bigint COLLATE pg_catalog."default"``,
    which the server refuses (bigint has no collation)."""
    await _migrate(linkgress_dsn, _collated_text, _plain_bigint)


async def test_a_collated_column_goes_back_to_the_default(linkgress_dsn: str) -> None:
    await _migrate(linkgress_dsn, _collated_text, _plain_text)


async def test_a_column_becomes_collated_text(linkgress_dsn: str) -> None:
    await _migrate(linkgress_dsn, _plain_bigint, _collated_text)
