"""The schema manager against a real PostgreSQL."""

from __future__ import annotations

import pytest

from linkgress_async import (
    DbContext,
    DbModelConfig,
    DestructiveMigrationError,
    PgClient,
    integer,
    text,
    varchar,
)
from tests.integration.models import AppDatabase, User


async def test_ensure_created_then_nothing_to_do(linkgress_dsn: str) -> None:
    async with AppDatabase(PgClient(dsn=linkgress_dsn)) as db:
        sm = db.get_schema_manager(out=lambda line: None)
        created = await sm.ensure_created()
        assert [op.type for op in created][:3] == ["create_schema", "create_enum", "create_table"]
        assert await sm.analyze() == []
        rows = await db.query("SELECT count(*) AS n FROM post_titles")
        assert rows[0]["n"] == 0


async def test_migrate_prints_plan_and_hook_runs(linkgress_dsn: str) -> None:
    lines: list[str] = []
    async with AppDatabase(PgClient(dsn=linkgress_dsn)) as db:
        sm = db.get_schema_manager(out=lines.append)
        applied = await sm.migrate()
        assert applied
        assert lines[0] == f"Migration plan ({len(applied)} operations):"
        assert "  1. Create schema 'auth'" in lines
        assert await sm.analyze() == []
        await db.query("INSERT INTO auth.users (username) VALUES ($1)", "ann")
        await db.query("INSERT INTO posts (user_id) SELECT id FROM auth.users")
        row = (await db.query("SELECT title, status::text FROM posts"))[0]
        assert (row["title"], row["status"]) == ("untitled", "draft")
        lines.clear()
        assert await sm.migrate() == []
        assert lines[0] == "Database schema is up to date. No changes needed."
        # The hook's hand-made view is not the model's: reported, never dropped.
        assert "  - view 'public.post_titles'" in lines


class SmallerUsers(DbContext):
    def setup_model(self, model: DbModelConfig) -> None:
        with model.entity(User) as e:
            e.to_table("users", schema="auth")
            e.property("id").has_type(integer("id").primary_key().generated_always_as_identity())
            e.property("username").has_type(varchar("username", 100)).is_required().is_unique()


class WiderUsers(DbContext):
    def setup_model(self, model: DbModelConfig) -> None:
        with model.entity(User) as e:
            e.to_table("users", schema="auth")
            e.property("id").has_type(integer("id").primary_key().generated_always_as_identity())
            e.property("username").has_type(varchar("username", 200)).is_required().is_unique()
            e.property("email").has_type(text("email")).has_default_value("none")


async def test_destructive_plan_refused_without_tty_and_nothing_runs(linkgress_dsn: str) -> None:
    client = PgClient(dsn=linkgress_dsn)
    async with WiderUsers(client) as db:
        await db.get_schema_manager(out=lambda _: None).migrate()
        await db.query("INSERT INTO auth.users (username, email) VALUES ('a', 'a@x')")
    client = PgClient(dsn=linkgress_dsn)
    async with SmallerUsers(client) as db:
        sm = db.get_schema_manager(out=lambda _: None)
        ops = await sm.analyze()
        assert {op.type for op in ops} == {"drop_column", "alter_column"}
        with pytest.raises(DestructiveMigrationError) as raised:
            await sm.migrate(interactive=False)
        assert [op.type for op in raised.value.operations] == ["drop_column"]
        assert "auth.users.email" in str(raised.value)
        assert await sm.analyze() == ops  # nothing ran
        with pytest.raises(DestructiveMigrationError):
            await sm.migrate(confirm=lambda ops: False)

        async def approve(ops: list[object]) -> bool:
            return True

        await sm.migrate(confirm=approve)
        assert await sm.analyze() == []
        rows = await db.query("SELECT username FROM auth.users")
        assert [r["username"] for r in rows] == ["a"]


async def test_widening_keeps_data(linkgress_dsn: str) -> None:
    async with SmallerUsers(PgClient(dsn=linkgress_dsn)) as db:
        await db.get_schema_manager(out=lambda _: None).migrate()
        await db.query("INSERT INTO auth.users (username) VALUES ('keep')")
    async with WiderUsers(PgClient(dsn=linkgress_dsn)) as db:
        sm = db.get_schema_manager(out=lambda _: None)
        ops = await sm.analyze()
        assert not any(op.destructive for op in ops)
        await sm.migrate()
        assert await sm.analyze() == []
        rows = await db.query("SELECT username, email FROM auth.users")
        assert [(r["username"], r["email"]) for r in rows] == [("keep", "none")]


async def test_ensure_deleted_removes_only_the_model(linkgress_dsn: str) -> None:
    async with AppDatabase(PgClient(dsn=linkgress_dsn)) as db:
        sm = db.get_schema_manager(out=lambda _: None)
        await sm.ensure_created()
        await db.query("CREATE TABLE public.keep_me (x int)")
        await db.query("DROP VIEW post_titles")
        await sm.ensure_deleted()
        rows = await db.query(
            "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n"
            " ON n.oid = c.relnamespace WHERE n.nspname IN ('public', 'auth') AND c.relkind = 'r'"
        )
        assert [(r["nspname"], r["relname"]) for r in rows] == [("public", "keep_me")]
        assert not await db.query("SELECT 1 FROM pg_namespace WHERE nspname = 'auth'")
        assert not await db.query("SELECT 1 FROM pg_type WHERE typname = 'post_status'")
