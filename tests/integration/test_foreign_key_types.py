"""Issue 11: a foreign key from an ``integer`` column to a ``bigint`` key.

PostgreSQL accepts it and real schemas have it. The model accepts it too and keeps it; a
model that leaves such a key out drops it, and the plan says so loudly.
"""

from __future__ import annotations

import asyncpg
import attrs

from linkgress_async import DbModelConfig, PgClient, bigint, integer

from .helpers import context


@attrs.define
class User:
    id: int


@attrs.define
class Post:
    id: int
    user_id: int


SCHEMA = """
CREATE TABLE users (id bigint PRIMARY KEY);
CREATE TABLE posts (
    id integer PRIMARY KEY,
    user_id integer CONSTRAINT posts_user_id_fkey REFERENCES users (id)
);
"""


def left_out(model: DbModelConfig) -> None:
    with model.entity(User) as e:
        e.to_table("users")
        e.property("id").has_type(bigint("id").primary_key())
    with model.entity(Post) as e:
        e.to_table("posts")
        e.property("id").has_type(integer("id").primary_key())
        e.property("user_id").has_type(integer("user_id"))


def declared(model: DbModelConfig) -> None:
    left_out(model)
    with model.entity(Post) as e:
        e.has_one("user", User).with_foreign_key("user_id").has_db_name("posts_user_id_fkey")


async def test_the_model_declares_and_keeps_it(linkgress_dsn: str) -> None:
    conn = await asyncpg.connect(linkgress_dsn)
    try:
        await conn.execute(SCHEMA)
    finally:
        await conn.close()
    async with context(declared)(PgClient(dsn=linkgress_dsn)) as db:
        assert await db.get_schema_manager().analyze() == []


async def test_leaving_it_out_drops_it_with_a_warning(linkgress_dsn: str) -> None:
    conn = await asyncpg.connect(linkgress_dsn)
    try:
        await conn.execute(SCHEMA)
    finally:
        await conn.close()
    lines: list[str] = []
    async with context(left_out)(PgClient(dsn=linkgress_dsn)) as db:
        manager = db.get_schema_manager(out=lines.append)
        plan = await manager.migrate(dry_run=True)
    assert [op.type for op in plan] == ["drop_foreign_key"]
    assert "WARNING: 1 foreign key will be dropped because the model does not declare it:" in (
        lines
    )
    assert "  - posts_user_id_fkey on posts (user_id) -> users (id)" in lines


async def test_created_from_the_model(linkgress_dsn: str) -> None:
    async with context(declared)(PgClient(dsn=linkgress_dsn)) as db:
        manager = db.get_schema_manager()
        await manager.ensure_created()
        assert await manager.analyze() == []
        rows = await db.query(
            "SELECT pg_get_constraintdef(oid) AS definition FROM pg_constraint"
            " WHERE conname = 'posts_user_id_fkey'"
        )
    assert [row["definition"] for row in rows] == ["FOREIGN KEY (user_id) REFERENCES users(id)"]
