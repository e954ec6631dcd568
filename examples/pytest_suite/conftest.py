"""Fixtures of this suite. ``linkgress_dsn`` and ``linkgress_context`` come from the plugin."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from examples.blog import BlogDatabase
from linkgress_async.testing import created


@pytest.fixture
async def blog(linkgress_dsn: str) -> AsyncIterator[BlogDatabase]:
    """The blog's schema in this test's own database, deleted after the test."""
    async with created(BlogDatabase, linkgress_dsn) as db:
        yield db


@pytest.fixture
async def author_id(blog: BlogDatabase) -> int:
    """A user to write posts as."""
    [row] = await blog.query(
        "INSERT INTO auth.users (username, email) VALUES ('ada', 'ada@example.com') RETURNING id"
    )
    user_id: int = row["id"]
    return user_id
