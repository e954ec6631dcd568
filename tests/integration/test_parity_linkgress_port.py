"""Linkgress parity: adopting a database Linkgress (TypeScript) created and migrated.

The DDL below is what Linkgress' schema manager runs for the model in ``Ported`` (quoted
names, ``CREATE TABLE IF NOT EXISTS``, foreign keys inline and named
``FK_{table}_{target}_{first column}``, identity sequences with PostgreSQL's default names
even when the model named them), and the journal is its ``__migrations`` table with the rows
its runner inserts (``INSERT ... (filename) VALUES ($1)``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from linkgress_async import (
    DbContext,
    DbModelConfig,
    JournalError,
    MigrationError,
    MigrationRunner,
    PgClient,
    integer,
    text,
    varchar,
)
from tests.integration.helpers import quiet
from tests.integration.test_cli import CONTEXT, fetch, one_error_line, run_cli, write_app

LINKGRESS_DDL = [
    """
      CREATE TABLE IF NOT EXISTS "users" (
        "id" integer GENERATED ALWAYS AS IDENTITY NOT NULL,
        "email" varchar(255) NOT NULL UNIQUE,
        "display_name" text,
        PRIMARY KEY ("id")
      )
    """,
    """
      CREATE TABLE IF NOT EXISTS "posts" (
        "id" integer GENERATED ALWAYS AS IDENTITY NOT NULL,
        "user_id" integer NOT NULL,
        "title" varchar(200) NOT NULL,
        PRIMARY KEY ("id"),
        CONSTRAINT "FK_posts_users_user_id" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE
      )
    """,  # noqa: E501
    """
      CREATE TABLE IF NOT EXISTS "profiles" (
        "user_id" integer NOT NULL,
        "bio" text,
        PRIMARY KEY ("user_id"),
        CONSTRAINT "FK_profiles_users_user_id" FOREIGN KEY ("user_id") REFERENCES "users"("id")
      )
    """,
    'CREATE INDEX "ix_posts_user_id" ON "posts" ("user_id")',
]

LINKGRESS_JOURNAL = """
      CREATE TABLE IF NOT EXISTS "public"."__migrations" (
        id SERIAL PRIMARY KEY,
        filename VARCHAR(255) NOT NULL UNIQUE,
        applied_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
      )
    """

APPLIED_BY_LINKGRESS = {
    "20240115-093000.ts": datetime(2024, 1, 15, 9, 31, tzinfo=UTC),
    "20240201-120000.ts": datetime(2024, 2, 1, 12, 5, tzinfo=UTC),
}
PORTED = ["20240115_093000_initial.py", "20240201_120000_add_bio.py"]
LATER = "20240301_000000_display_names.py"

MIGRATION = """
from linkgress_async import Migration


class Step(Migration):
    async def up(self, db):
        await db.query("SELECT {n}")

    async def down(self, db):
        raise NotImplementedError
"""


class User:
    id: int
    email: str
    display_name: str | None


class Post:
    id: int
    user_id: int
    title: str


class Profile:
    user_id: int
    bio: str | None


def declare(model: DbModelConfig) -> None:
    """The model of the Linkgress app, ported: the same spellings, in snake_case."""
    users = model.entity(User).to_table("users")
    # Linkgress ignored the sequence name: its database has users_id_seq.
    users.property("id").has_type(
        integer("id").primary_key().generated_always_as_identity("users_identity")
    )
    users.property("email").has_type(varchar("email", 255)).is_required().is_unique()
    users.property("display_name").has_type(text("display_name"))
    # A navigation only: Linkgress creates the key from posts' has_one.
    users.has_many("posts", Post).with_foreign_key("user_id")
    users.has_one("profile", Profile).with_foreign_key("id").is_inverse_navigation()

    posts = model.entity(Post).to_table("posts")
    posts.property("id").has_type(integer("id").primary_key().generated_always_as_identity())
    posts.property("user_id").has_type(integer("user_id")).is_required()
    posts.property("title").has_type(varchar("title", 200)).is_required()
    posts.has_one("author", User).with_foreign_key("user_id").on_delete("cascade")
    posts.has_index("ix_posts_user_id", ["user_id"])

    profiles = model.entity(Profile).to_table("profiles")
    profiles.property("user_id").has_type(integer("user_id").primary_key())
    profiles.property("bio").has_type(text("bio"))
    profiles.has_one("user", User).with_foreign_key("user_id")


class Ported(DbContext):
    naming = "linkgress-ts"

    def setup_model(self, model: DbModelConfig) -> None:
        declare(model)


class PortedDefaultNaming(DbContext):
    def setup_model(self, model: DbModelConfig) -> None:
        declare(model)


async def create_linkgress_database(dsn: str) -> None:
    """The database as Linkgress left it: its tables and its journal."""
    conn = await asyncpg.connect(dsn)
    try:
        for statement in LINKGRESS_DDL:
            await conn.execute(statement)
        await conn.execute(LINKGRESS_JOURNAL)
        for filename, applied_at in APPLIED_BY_LINKGRESS.items():
            await conn.execute(
                'INSERT INTO "public"."__migrations" (filename) VALUES ($1)', filename
            )
            # Set afterwards: Linkgress lets the default (now()) fill it in.
            await conn.execute(
                'UPDATE "public"."__migrations" SET applied_at = $2 WHERE filename = $1',
                filename,
                applied_at,
            )
    finally:
        await conn.close()


def write_ported_files(directory: Path, names: list[str]) -> Path:
    migrations = directory / "migrations"
    migrations.mkdir()
    for number, name in enumerate(names):
        (migrations / name).write_text(MIGRATION.format(n=number))
    return migrations


async def rows(dsn: str, sql: str) -> list[Any]:
    conn = await asyncpg.connect(dsn)
    try:
        return [tuple(row) for row in await conn.fetch(sql)]
    finally:
        await conn.close()


async def test_a_ported_linkgress_database_needs_no_migration(
    tmp_path: Path, linkgress_dsn: str
) -> None:
    await create_linkgress_database(linkgress_dsn)
    migrations = write_ported_files(tmp_path, [*PORTED, LATER])
    async with Ported(PgClient(dsn=linkgress_dsn)) as db:
        runner = MigrationRunner(db, migrations, logger=quiet)
        # Before the import the runner refuses the Linkgress journal, and says what to do.
        with pytest.raises(JournalError, match="--from-linkgress-journal"):
            await runner.up()

        assert await runner.import_linkgress_journal() == PORTED
        assert await runner.get_applied() == PORTED
        assert await runner.get_pending() == [LATER]
        assert await runner.verify() == []

        # The first automatic migration under naming="linkgress-ts" plans nothing.
        assert await db.get_schema_manager(out=quiet).analyze() == []
        assert await db.get_schema_manager(out=quiet).migrate() == []

    journal = await rows(
        linkgress_dsn, "SELECT filename, applied_at FROM public.__migrations ORDER BY id"
    )
    assert journal == list(zip(PORTED, APPLIED_BY_LINKGRESS.values(), strict=True))
    # The Linkgress rows are kept, renamed with the key index and sequence.
    assert await rows(
        linkgress_dsn, "SELECT filename FROM public.__migrations_linkgress ORDER BY id"
    ) == [(name,) for name in APPLIED_BY_LINKGRESS]
    assert await rows(
        linkgress_dsn,
        "SELECT relname FROM pg_class WHERE relname LIKE '__migrations%' ORDER BY relname",
    ) == [
        ("__migrations",),
        ("__migrations_filename_key",),
        ("__migrations_id_seq",),
        ("__migrations_linkgress",),
        ("__migrations_linkgress_filename_key",),
        ("__migrations_linkgress_id_seq",),
        ("__migrations_linkgress_pkey",),
        ("__migrations_pkey",),
    ]


async def test_the_default_naming_would_rewrite_a_linkgress_database(linkgress_dsn: str) -> None:
    await create_linkgress_database(linkgress_dsn)
    async with PortedDefaultNaming(PgClient(dsn=linkgress_dsn)) as db:
        planned = db.get_schema_manager(out=quiet).to_sql(
            await db.get_schema_manager(out=quiet).analyze()
        )
    text_of_plan = "\n".join(planned)
    # Its own key names (dropping Linkgress' and adding its own) and the identity
    # sequence's declared name.
    assert 'DROP CONSTRAINT "FK_posts_users_user_id"' in text_of_plan
    assert 'ADD CONSTRAINT "FK_profiles_users" FOREIGN KEY' in text_of_plan
    assert "users_identity" in text_of_plan


async def test_an_unported_file_stops_the_import_and_changes_nothing(
    tmp_path: Path, linkgress_dsn: str
) -> None:
    await create_linkgress_database(linkgress_dsn)
    migrations = write_ported_files(tmp_path, PORTED[:1])
    async with Ported(PgClient(dsn=linkgress_dsn)) as db:
        runner = MigrationRunner(db, migrations, logger=quiet)
        with pytest.raises(MigrationError, match=r"no ported file .* \(20240201-120000\.ts\)"):
            await runner.import_linkgress_journal()
    assert await rows(linkgress_dsn, "SELECT count(*) FROM public.__migrations") == [(2,)]
    assert await rows(
        linkgress_dsn, "SELECT to_regclass('public.__migrations_linkgress') IS NULL"
    ) == [(True,)]


async def test_importing_twice_or_without_a_linkgress_journal_is_refused(
    tmp_path: Path, linkgress_dsn: str
) -> None:
    migrations = write_ported_files(tmp_path, PORTED)
    async with Ported(PgClient(dsn=linkgress_dsn)) as db:
        runner = MigrationRunner(db, migrations, logger=quiet)
        with pytest.raises(MigrationError, match=r"there is no table \"public\"\.\"__migrations\""):
            await runner.import_linkgress_journal()
        await create_linkgress_database(linkgress_dsn)
        await runner.import_linkgress_journal()
        with pytest.raises(MigrationError, match="already imported"):
            await runner.import_linkgress_journal()


def test_cli_baseline_from_linkgress_journal(tmp_path: Path, linkgress_dsn: str) -> None:
    write_app(tmp_path)
    write_ported_files(tmp_path, [*PORTED, LATER])
    fetch(linkgress_dsn, LINKGRESS_JOURNAL)
    for filename in APPLIED_BY_LINKGRESS:
        fetch(linkgress_dsn, "INSERT INTO public.__migrations (filename) VALUES ($1)", filename)
    flags = ("--dsn", linkgress_dsn, "--context", CONTEXT)

    both = run_cli(
        *flags, "baseline", "--up-to", PORTED[0], "--from-linkgress-journal", cwd=tmp_path
    )
    assert both.returncode != 0

    imported = run_cli(*flags, "baseline", "--from-linkgress-journal", cwd=tmp_path)
    assert imported.returncode == 0, imported
    for name in PORTED:
        assert f"recorded {name} (applied by Linkgress)" in imported.stdout
    assert "__migrations_linkgress" in imported.stdout

    again = run_cli(*flags, "baseline", "--from-linkgress-journal", cwd=tmp_path)
    assert again.returncode == 1
    assert "already imported" in one_error_line(again)
