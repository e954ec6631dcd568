"""Migrate the blog's database, check it, then write and read a post.

    python -m examples.blog

With ``DATABASE_URL`` set (``postgresql://user:password@host:5432/dbname``) the example
migrates that database, and running it again finds nothing to do. Without it, it uses the
development database of the working directory (``.linkgress/``, the one ``linkgress``
commands use when no database is configured), running for the example only unless it was
running already (``linkgress dev-db url`` keeps it running, ``linkgress dev-db stop`` stops it).

Exit status: 0 when done, 1 when the migration was refused or failed, 2 when there is no
database to use.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

import asyncpg

from examples.blog.database import BlogDatabase, PostStatus
from linkgress_async import DestructiveMigrationError, LinkgressError, PgClient
from linkgress_async.devdb import development_database
from linkgress_async.dsn import redact_dsn
from linkgress_async.errors import PostgresServerError, one_line

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_NO_DATABASE = 2


def main() -> int:
    url = os.environ.get("DATABASE_URL")
    if url:
        return asyncio.run(run(url))
    try:
        with development_database() as dsn:
            print(
                f"DATABASE_URL is not set: using the development database in .linkgress/ "
                f"at {redact_dsn(dsn)}",
                file=sys.stderr,
            )
            return asyncio.run(run(dsn))
    except PostgresServerError as error:
        print(
            f"DATABASE_URL is not set and the development database cannot start: {one_line(error)}",
            file=sys.stderr,
        )
        return EXIT_NO_DATABASE


async def run(dsn: str) -> int:
    db = BlogDatabase(PgClient(dsn=dsn))
    async with db:
        manager = db.get_schema_manager()
        try:
            # migrate() prints the numbered plan (or "up to date") before it applies anything.
            # A script cannot ask anyone, so destructive changes are refused, not prompted for.
            await manager.migrate(interactive=False, allow_destructive=False)
        except DestructiveMigrationError as error:
            print(
                f"\nRefusing to migrate: {len(error.operations)} operation(s) would delete data:",
                file=sys.stderr,
            )
            for operation in error.operations:
                print(f"  - {operation.describe()}", file=sys.stderr)
            print(
                "Nothing was changed. Review the plan; apply it from code with "
                "migrate(allow_destructive=True), or interactively in a terminal.",
                file=sys.stderr,
            )
            return EXIT_FAILED
        except (LinkgressError, asyncpg.PostgresError, OSError) as error:
            print(f"\nMigration failed: {type(error).__name__}: {error}", file=sys.stderr)
            return EXIT_FAILED

        remaining = await manager.analyze()
        if remaining:
            print("The database still differs from the model after migrating:", file=sys.stderr)
            for operation in remaining:
                print(f"  {operation.describe()}", file=sys.stderr)
            return EXIT_FAILED
        print("Checked: the database is in sync with the model (analyze() found no changes).")

        await write_and_read(db)
    return EXIT_OK


async def write_and_read(db: BlogDatabase) -> None:
    # Upserts keep the example re-runnable against the same database.
    async with db.transaction():
        [user] = await db.query(
            "INSERT INTO auth.users (username, email, display_name) VALUES ($1, $2, $3)"
            " ON CONFLICT (username) DO UPDATE SET email = EXCLUDED.email RETURNING id",
            "ada",
            "ada@example.com",
            "Ada Lovelace",
        )
        [post] = await db.query(
            "INSERT INTO posts (author_id, slug, title, status, published_at, metadata)"
            " VALUES ($1, $2, $3, $4, now(), $5)"
            " ON CONFLICT (author_id, slug) DO UPDATE SET title = EXCLUDED.title RETURNING id",
            user["id"],
            "hello-world",
            "Hello, world",
            PostStatus.PUBLISHED,
            json.dumps({"tags": ["intro"]}),
        )
    [row] = await db.query(
        "SELECT author, title, status, metadata FROM post_feed WHERE id = $1", post["id"]
    )
    print(
        f"Read back through the view post_feed: post {post['id']} {row['title']!r} "
        f"by {row['author']} ({row['status']}), metadata {row['metadata']}"
    )


if __name__ == "__main__":
    sys.exit(main())
