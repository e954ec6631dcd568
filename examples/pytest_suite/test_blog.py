"""Tests a project writes for its own model, each against a fresh database."""

from __future__ import annotations

import asyncpg
import pytest

from examples.blog import BlogDatabase, PostStatus
from linkgress_async.testing import ContextFactory


async def test_the_database_matches_the_model(blog: BlogDatabase) -> None:
    assert await blog.get_schema_manager().analyze() == []


async def test_published_posts_show_in_the_feed(blog: BlogDatabase, author_id: int) -> None:
    await blog.query(
        "INSERT INTO posts (author_id, slug, title, status, published_at)"
        " VALUES ($1, 'hello', 'Hello', $2, now())",
        author_id,
        PostStatus.PUBLISHED,
    )
    rows = await blog.query("SELECT author, title FROM post_feed")
    assert [(row["author"], row["title"]) for row in rows] == [("ada", "Hello")]


async def test_a_published_post_needs_a_date(blog: BlogDatabase, author_id: int) -> None:
    with pytest.raises(asyncpg.CheckViolationError, match="ck_posts_published_at"):
        await blog.query(
            "INSERT INTO posts (author_id, slug, title, status) VALUES ($1, 'x', 'X', 'published')",
            author_id,
        )


async def test_deleting_a_user_deletes_their_posts(blog: BlogDatabase, author_id: int) -> None:
    await blog.query(
        "INSERT INTO posts (author_id, slug, title) VALUES ($1, 'draft', 'Draft')", author_id
    )
    async with blog.transaction():
        await blog.query("DELETE FROM auth.users WHERE id = $1", author_id)
    assert await blog.query("SELECT id FROM posts") == []


async def test_with_the_plugins_factory(linkgress_context: ContextFactory) -> None:
    # No fixture of our own: the plugin creates the model and deletes it after the test.
    db = await linkgress_context(BlogDatabase)
    rows = await db.query("SELECT count(*) AS n FROM auth.users")
    assert rows[0]["n"] == 0


def test_a_sync_test_gets_a_database_too(linkgress_dsn: str) -> None:
    assert linkgress_dsn.startswith("postgresql://")
