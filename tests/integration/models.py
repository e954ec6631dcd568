"""Models shared by the integration tests."""

from __future__ import annotations

from datetime import datetime

import attrs

from linkgress_async import (
    DbContext,
    DbModelConfig,
    bigint,
    enum_column,
    integer,
    text,
    timestamptz,
    varchar,
)


@attrs.define
class User:
    id: int
    username: str
    email: str | None = None


@attrs.define
class Post:
    id: int
    user_id: int
    title: str
    status: str
    created_at: datetime


class AppDatabase(DbContext):
    """The model of API.md."""

    def setup_model(self, model: DbModelConfig) -> None:
        status = model.enum("post_status", ["draft", "published"], schema="public")
        with model.entity(User) as e:
            e.to_table("users", schema="auth")
            e.property("id").has_type(integer("id").primary_key().generated_always_as_identity())
            e.property("username").has_type(varchar("username", 100)).is_required().is_unique()
            e.property("email").has_type(text("email"))
            e.has_index("ix_users_email", ["email"])
        with model.entity(Post) as e:
            e.to_table("posts")
            e.property("id").has_type(bigint("id").primary_key().generated_by_default_as_identity())
            e.property("user_id").has_type(integer("user_id")).is_required()
            e.property("title").has_type(varchar("title", 200)).is_required().has_default_value(
                "untitled"
            )
            e.property("status").has_type(enum_column("status", status)).has_default_value("draft")
            e.property("created_at").has_type(timestamptz("created_at")).has_default_sql("now()")
            e.has_one("user", User).with_foreign_key("user_id").with_principal_key("id").on_delete(
                "cascade"
            ).on_update("no action")
            e.has_index("ix_posts_user_title", ["user_id", "title"], unique=True)

    async def on_migration_complete(self, client: DbContext) -> None:
        await client.query("CREATE OR REPLACE VIEW post_titles AS SELECT title FROM posts")
