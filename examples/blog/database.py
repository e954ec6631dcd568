"""The blog's model: users in the ``auth`` schema; posts and comments in ``public``.

Every object below is created by ``migrate()`` and compared with the live database by
``analyze()``, the view ``public.post_feed`` included: it is created after the tables it reads,
and dropped and recreated around any change of a column under it.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import attrs

from linkgress_async import (
    DbContext,
    DbModelConfig,
    bigint,
    enum_column,
    integer,
    jsonb,
    sql,
    text,
    timestamptz,
    varchar,
)


class PostStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


@attrs.define
class User:
    id: int
    username: str
    email: str
    display_name: str | None
    created_at: datetime


@attrs.define
class Post:
    id: int
    author_id: int
    slug: str
    title: str
    body: str
    status: PostStatus
    metadata: dict[str, Any]
    created_at: datetime
    published_at: datetime | None


@attrs.define
class Comment:
    id: int
    post_id: int
    author_id: int | None
    body: str
    created_at: datetime


class BlogDatabase(DbContext):
    """The blog's tables, keys, indexes and constraints, and the view built on them."""

    def setup_model(self, model: DbModelConfig) -> None:
        # A Python enum keeps the labels in one place for the database and the code.
        status = model.enum("post_status", PostStatus)

        with model.entity(User) as e:
            e.to_table("users", schema="auth")
            # ALWAYS: ids come from the database only; an INSERT that supplies one fails.
            e.property("id").has_type(integer("id").primary_key().generated_always_as_identity())
            e.property("username").has_type(varchar("username", 32)).is_required().is_unique()
            e.property("email").has_type(varchar("email", 254)).is_required()
            e.property("display_name").has_type(text("display_name"))
            e.property("created_at").has_type(
                timestamptz("created_at")
            ).is_required().has_default_sql("now()")
            e.has_check("ck_users_username_length", "char_length(username) >= 3")
            # Addresses are compared case-insensitively, so uniqueness is on lower(email).
            e.has_index("ix_users_email_lower", [sql("lower(email)")], unique=True)
            # The foreign key lives on posts; declaring it from the user's side reads naturally.
            e.has_many("posts", Post).with_foreign_key("author_id").on_delete("cascade")

        with model.entity(Post) as e:
            e.to_table("posts")
            # BY DEFAULT: the database numbers new rows but an import may keep its own ids.
            e.property("id").has_type(bigint("id").primary_key().generated_by_default_as_identity())
            e.property("author_id").has_type(integer("author_id")).is_required()
            e.property("slug").has_type(varchar("slug", 200)).is_required()
            e.property("title").has_type(varchar("title", 200)).is_required()
            e.property("body").has_type(text("body")).is_required().has_default_value("")
            e.property("status").has_type(
                enum_column("status", status)
            ).is_required().has_default_value(PostStatus.DRAFT)
            e.property("metadata").has_type(jsonb("metadata")).is_required().has_default_value({})
            e.property("created_at").has_type(
                timestamptz("created_at")
            ).is_required().has_default_sql("now()")
            e.property("published_at").has_type(timestamptz("published_at"))
            # Slugs are unique per author, not globally; this also backs ON CONFLICT upserts.
            e.has_index("ix_posts_author_slug", ["author_id", "slug"], unique=True)
            # The front page only ever lists published posts, newest first.
            e.has_index(
                "ix_posts_published_at",
                ["published_at"],
                where="status = 'published'",
            )
            e.has_check(
                "ck_posts_published_at",
                "status <> 'published' OR published_at IS NOT NULL",
            )

        with model.entity(Comment) as e:
            e.to_table("comments")
            e.property("id").has_type(bigint("id").primary_key().generated_by_default_as_identity())
            e.property("post_id").has_type(bigint("post_id"))
            e.property("author_id").has_type(integer("author_id"))
            e.property("body").has_type(text("body")).is_required()
            e.property("created_at").has_type(
                timestamptz("created_at")
            ).is_required().has_default_sql("now()")
            # A comment dies with its post but outlives its author, shown as anonymous.
            e.has_one("post", Post).with_foreign_key("post_id").on_delete("cascade").is_required()
            e.has_one("author", User).with_foreign_key("author_id").on_delete("set null")

        model.view(
            "post_feed",
            """
            SELECT p.id, p.slug, p.title, p.status, p.published_at,
                   u.username AS author, p.metadata
            FROM public.posts AS p
            JOIN auth.users AS u ON u.id = p.author_id
            """,
        )

    async def on_migration_complete(self, client: DbContext) -> None:
        # Runs inside the migration's transaction. A recreated view loses its comment (and its
        # grants), so whatever the model cannot declare is set again here after each migration.
        await client.query(
            "COMMENT ON VIEW public.post_feed IS 'Posts with their author, for the front page'"
        )
