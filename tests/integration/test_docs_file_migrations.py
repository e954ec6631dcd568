"""Runs the code of docs/file-migrations.md, so the guide cannot drift from the library."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from linkgress_async import DbContext, MigrationRunner, PgClient, compare
from linkgress_async.testing import DatabaseFactory
from tests.integration.scaffold_models import ShopV1, ShopV2
from tests.integration.test_baseline import write_migration

DOC = Path(__file__).resolve().parents[2] / "docs" / "file-migrations.md"


def doc_block(marker: str) -> str:
    """The guide's one ```python block that contains ``marker``."""
    blocks = [b for b in re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S) if marker in b]
    assert len(blocks) == 1, f"expected one python block with {marker!r} in {DOC.name}"
    return blocks[0]


def doc_namespace(marker: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    exec(compile(doc_block(marker), str(DOC), "exec"), namespace)
    return namespace


async def test_hand_written_migrations_apply_and_revert(
    linkgress_dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = tmp_path / "migrations"
    directory.mkdir()
    (directory / "20240115_093000_add_phone.py").write_text(doc_block("class AddPhone"))
    (directory / "20240116_080000_index_emails.py").write_text(doc_block("class IndexEmails"))
    async with DbContext(PgClient(dsn=linkgress_dsn)) as db:
        await db.query('CREATE TABLE "users" (id int PRIMARY KEY, email text)')
        await doc_namespace("async def deploy")["deploy"](db, str(directory))
        out = capsys.readouterr().out
        assert "pending: ['20240115_093000_add_phone.py', '20240116_080000_index_emails.py']" in out
        assert "20240116_080000_index_emails.py applied" in out
        columns = await db.query(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'users'"
        )
        assert {r["column_name"] for r in columns} == {"id", "email", "phone_number"}
        assert await db.query("SELECT 1 FROM pg_indexes WHERE indexname = 'ix_users_email'")

        reverted = await doc_namespace("async def revert_newest")["revert_newest"](
            db, str(directory)
        )
        assert reverted == ["20240116_080000_index_emails.py"]
        assert not await db.query("SELECT 1 FROM pg_indexes WHERE indexname = 'ix_users_email'")


async def test_scaffold_then_apply(
    linkgress_dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = tmp_path / "migrations"
    directory.mkdir()
    new_migration = doc_namespace("async def new_migration")["new_migration"]
    deploy = doc_namespace("async def deploy")["deploy"]
    module = "tests.integration.scaffold_models"
    async with ShopV1(PgClient(dsn=linkgress_dsn)) as db:
        first = await new_migration(db, str(directory), module)
        assert first is not None
        assert first.endswith("_add_phone.py")
        await deploy(db, str(directory))
        assert await new_migration(db, str(directory), module) is None
    async with ShopV2(PgClient(dsn=linkgress_dsn)) as db:
        second = await new_migration(db, str(directory), module)
        assert second is not None
        assert second > first
        await deploy(db, str(directory))
        assert await db.get_schema_manager(out=lambda _: None).analyze() == []
    assert "applied: ['" + second + "']" in capsys.readouterr().out


async def test_bootstrap_matches_a_replay(
    linkgress_dsn: str, linkgress_databases: DatabaseFactory, tmp_path: Path
) -> None:
    directory = tmp_path / "migrations"
    directory.mkdir()
    new_migration = doc_namespace("async def new_migration")["new_migration"]
    deploy = doc_namespace("async def deploy")["deploy"]
    fresh = doc_namespace("async def fresh_test_database")["fresh_test_database"]
    async with ShopV1(PgClient(dsn=linkgress_dsn)) as db:
        first = await new_migration(db, str(directory), "tests.integration.scaffold_models")
        await deploy(db, str(directory))
    async with ShopV1(PgClient(dsn=await linkgress_databases.create())) as db:
        assert await fresh(db, str(directory)) == [first]
        assert await db.get_schema_manager(out=lambda _: None).analyze() == []
        assert await MigrationRunner(db, str(directory), verbose=False).get_pending() == []


async def test_squash_history(
    linkgress_databases: DatabaseFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = tmp_path / "migrations"
    create_users = 'CREATE TABLE "users" (id int PRIMARY KEY, email text)'
    write_migration(directory, "20240101_000000_create_users.py", create_users)
    (directory / "20240115_093000_add_phone.py").write_text(doc_block("class AddPhone"))
    (directory / "20240116_080000_index_emails.py").write_text(doc_block("class IndexEmails"))
    squash_history = doc_namespace("async def squash_history")["squash_history"]
    here, fresh = await linkgress_databases.create(), await linkgress_databases.create()
    async with DbContext(PgClient(dsn=here)) as db, DbContext(PgClient(dsn=fresh)) as new:
        await MigrationRunner(db, migrations_directory=directory, verbose=False).up()
        filename = await squash_history(db, str(directory), "myapp.models")
        assert filename == "20240116_080000_initial_schema.py"
        out = capsys.readouterr().out
        assert (
            "replaced: ('20240101_000000_create_users.py', '20240115_093000_add_phone.py'," in out
        )
        assert "kept in: _squashed" in out
        result = await MigrationRunner(new, migrations_directory=directory, verbose=False).up()
        assert result.applied == [filename]
        assert await compare(db.client, new.client) == []
