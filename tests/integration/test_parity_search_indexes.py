"""Linkgress parity: normalised-search index keys ix_lower, ix_unaccent and ix_normalized."""

from __future__ import annotations

import asyncpg

from linkgress_async import (
    DbContext,
    DbModelConfig,
    PgClient,
    integer,
    ix_lower,
    ix_normalized,
    ix_unaccent,
    text,
    varchar,
)
from tests.integration.helpers import quiet


class User:
    id: int
    email: str
    full_name: str


def users(model: DbModelConfig) -> None:
    entity = model.entity(User).to_table("users")
    entity.property("id").has_type(integer("id").primary_key())
    entity.property("email").has_type(varchar("email", 255))
    # A property whose column is named otherwise: the helpers take property names.
    entity.property("full_name").has_type(text("name"))
    entity.has_index("ix_users_email_lower", [ix_lower("email")], unique=True)
    entity.has_index("ix_users_name_unaccent", [ix_lower(ix_unaccent("full_name"))])
    entity.has_index("ix_users_name_normalized", [ix_normalized("full_name"), "email"])
    entity.has_index("ix_users_name_trgm", [ix_normalized("full_name", gin=True)])


class Search(DbContext):
    def setup_model(self, model: DbModelConfig) -> None:
        users(model)


async def test_search_keys_create_their_support_and_stay_equal(linkgress_dsn: str) -> None:
    async with Search(PgClient(dsn=linkgress_dsn)) as db:
        manager = db.get_schema_manager(out=quiet)
        await manager.migrate()
        assert await manager.analyze() == []
    conn = await asyncpg.connect(linkgress_dsn)
    try:
        extensions = await conn.fetch("SELECT extname FROM pg_extension ORDER BY extname")
        assert {"pg_trgm", "unaccent"} <= {row["extname"] for row in extensions}
        indexes = {
            row["indexname"]: row["indexdef"]
            for row in await conn.fetch("SELECT indexname, indexdef FROM pg_indexes")
        }
        assert "(lower((email)::text))" in indexes["ix_users_email_lower"]
        assert "lower(search_unaccent(name))" in indexes["ix_users_name_unaccent"]
        assert (
            "search_normalize(name) text_pattern_ops, email" in indexes["ix_users_name_normalized"]
        )
        assert "USING gin (search_normalize(name) gin_trgm_ops)" in indexes["ix_users_name_trgm"]
        await conn.execute(
            "INSERT INTO users VALUES (1, 'Emile@Example.org', 'Émile Zola'),"
            " (2, 'b@example.org', 'Bérénice')"
        )
        found = await conn.fetch(
            "SELECT id FROM users WHERE public.search_normalize(name) LIKE '%emil%'"
        )
        assert [row["id"] for row in found] == [1]
        unaccented = await conn.fetchval("SELECT public.search_unaccent('Bérénice')")
        assert unaccented == "Berenice"
    finally:
        await conn.close()


async def test_a_linkgress_normalized_index_compares_equal(linkgress_dsn: str) -> None:
    # What Linkgress runs for ixNormalized (its function, then the index on it).
    conn = await asyncpg.connect(linkgress_dsn)
    try:
        await conn.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        await conn.execute(
            """
CREATE OR REPLACE FUNCTION public.search_normalize(value text)
RETURNS text
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
RETURNS NULL ON NULL INPUT
AS $$
  SELECT lower(public.unaccent('public.unaccent', value))
$$"""
        )
        await conn.execute(
            'CREATE TABLE IF NOT EXISTS "users" ("id" integer NOT NULL, "name" text,'
            ' PRIMARY KEY ("id"))'
        )
        await conn.execute(
            'CREATE INDEX "ix_users_name" ON "users" (public.search_normalize("name")'
            " text_pattern_ops)"
        )
    finally:
        await conn.close()

    class Ported(DbContext):
        naming = "linkgress-ts"

        def setup_model(self, model: DbModelConfig) -> None:
            entity = model.entity(User).to_table("users")
            entity.property("id").has_type(integer("id").primary_key())
            entity.property("full_name").has_type(text("name"))
            entity.has_index("ix_users_name", [ix_normalized("full_name")])

    async with Ported(PgClient(dsn=linkgress_dsn)) as db:
        assert await db.get_schema_manager(out=quiet).analyze() == []
