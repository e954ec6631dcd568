"""Linkgress parity: ``migrate(concurrent_indexes=True)`` builds indexes of existing tables
``CONCURRENTLY``, after the plan's transaction."""

from __future__ import annotations

import asyncpg
import pytest

from linkgress_async import DbContext, DbModelConfig, PgClient, SchemaApplyError, integer, text
from linkgress_async.plan.concurrent_indexes import split_concurrent
from tests.integration.helpers import table


def notes_model(*, unique_title: bool = False, comment: str | None = None):  # type: ignore[no-untyped-def]
    class Notes(DbContext):
        def setup_model(self, model: DbModelConfig) -> None:
            notes = table(model, "notes", integer("id").primary_key(), text("title"))
            notes.has_index("ix_notes_title", ["title"], unique=unique_title, comment=comment)
            tags = table(model, "tags", integer("id").primary_key(), text("label"))
            tags.has_index("ix_tags_label", ["label"])

    return Notes


async def seed(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("CREATE TABLE notes (id integer PRIMARY KEY, title text)")
        await conn.execute("INSERT INTO notes VALUES (1, 'same'), (2, 'same')")
    finally:
        await conn.close()


async def index_state(dsn: str) -> dict[str, bool]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c"
            " ON c.oid = i.indexrelid WHERE c.relname LIKE 'ix_%'"
        )
        return {row["relname"]: row["indisvalid"] for row in rows}
    finally:
        await conn.close()


async def test_indexes_of_existing_tables_are_built_after_the_transaction(
    linkgress_dsn: str,
) -> None:
    await seed(linkgress_dsn)
    lines: list[str] = []
    async with notes_model()(PgClient(dsn=linkgress_dsn)) as db:
        manager = db.get_schema_manager(out=lines.append)
        plan = await manager.analyze()
        kept, moved = split_concurrent(plan, db.model)
        # The new table's index stays in the transaction: the table is empty.
        assert [op.index_name for op in moved] == ["ix_notes_title"]
        assert all(op.concurrently for op in moved)
        assert "ix_tags_label" in "\n".join(manager.to_sql(kept))
        assert 'CREATE INDEX CONCURRENTLY "ix_notes_title"' in manager.to_sql(moved)[0]

        await manager.migrate(concurrent_indexes=True)
        assert "Building index ix_notes_title concurrently ..." in lines
        assert await manager.analyze() == []
    assert await index_state(linkgress_dsn) == {"ix_notes_title": True, "ix_tags_label": True}


async def test_a_failed_concurrent_build_leaves_no_invalid_index(linkgress_dsn: str) -> None:
    await seed(linkgress_dsn)
    async with notes_model(unique_title=True)(PgClient(dsn=linkgress_dsn)) as db:
        manager = db.get_schema_manager(out=lambda _line: None)
        with pytest.raises(SchemaApplyError, match="building index ix_notes_title concurrently"):
            await manager.migrate(concurrent_indexes=True)
        # The transaction committed; only the index is missing, and planned again.
        assert [op.type for op in await manager.analyze()] == ["create_index"]
    assert await index_state(linkgress_dsn) == {"ix_tags_label": True}


async def test_an_index_the_plan_comments_on_stays_in_the_transaction(linkgress_dsn: str) -> None:
    await seed(linkgress_dsn)
    async with notes_model(comment="by title")(PgClient(dsn=linkgress_dsn)) as db:
        manager = db.get_schema_manager(out=lambda _line: None)
        _, moved = split_concurrent(await manager.analyze(), db.model)
        assert moved == []
        await manager.migrate(concurrent_indexes=True)
        assert await manager.analyze() == []
