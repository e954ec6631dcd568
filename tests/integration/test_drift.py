"""MigrationRunner.drift against a real PostgreSQL: replay into a scratch database and diff."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from linkgress_async import DbContext, DriftReport, PgClient
from linkgress_async.errors import ChecksumMismatchError, MigrationError
from linkgress_async.migrations import MigrationRunner
from linkgress_async.ops import AlterColumn, CreateIndex, DropColumn, DropTable
from linkgress_async.testing import DatabaseFactory
from tests.integration.test_baseline import write_migration

CREATE = "20240101_000000_create.py"
INDEX = "20240102_000000_index.py"
AUDIT = "20240103_000000_audit.py"


class ShopDatabase(DbContext):
    """A context with a helper of its own, which a migration calls."""

    async def create_audit(self, table: str) -> None:
        """A helper that migrations call on the context (replay must provide it)."""
        await self.execute(f"CREATE TABLE {table}_audit (id bigserial PRIMARY KEY, at timestamptz)")


def shop_migrations(directory: Path) -> None:
    write_migration(
        directory,
        CREATE,
        "CREATE SCHEMA crm;"
        " CREATE TYPE crm.mood AS ENUM ('ok', 'grumpy');"
        " CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL DEFAULT 'unnamed');"
        " CREATE TABLE crm.people (id int PRIMARY KEY, mood crm.mood DEFAULT 'ok',"
        "  item_id int REFERENCES items (id))",
    )
    # Outside a transaction, in the replay as in the runner.
    (directory / INDEX).write_text(
        "from linkgress_async.migrations import Migration\n\n\n"
        "class Index(Migration):\n"
        "    transactional = False\n\n"
        "    async def up(self, db):\n"
        "        await db.execute('CREATE INDEX CONCURRENTLY ix_items_name ON items (name)')\n\n"
        "    async def down(self, db):\n"
        "        await db.execute('DROP INDEX ix_items_name')\n",
        encoding="utf-8",
    )
    (directory / AUDIT).write_text(
        "from linkgress_async.migrations import Migration\n\n\n"
        "class Audit(Migration):\n"
        "    async def up(self, db):\n"
        "        await db.create_audit('items')\n"
        "        await db.query(\"INSERT INTO items VALUES (1, 'seed')\")\n\n"
        "    async def down(self, db):\n"
        "        await db.execute('DROP TABLE items_audit')\n",
        encoding="utf-8",
    )


def make_runner(db: DbContext, directory: Path, **options: object) -> MigrationRunner:
    options.setdefault("verbose", False)
    return MigrationRunner(db, migrations_directory=directory, **options)  # type: ignore[arg-type]


async def scratch_databases(db: DbContext) -> list[str]:
    rows = await db.query("SELECT datname FROM pg_database WHERE datname LIKE 'linkgress_drift_%'")
    return [row["datname"] for row in rows]


async def test_no_drift_after_up(linkgress_dsn: str, tmp_path: Path) -> None:
    shop_migrations(tmp_path)
    lines: list[str] = []
    async with ShopDatabase(PgClient(dsn=linkgress_dsn)) as db:
        runner = make_runner(db, tmp_path, journal_schema="meta")
        assert (await runner.up()).failed is None
        report = await make_runner(
            db, tmp_path, journal_schema="meta", verbose=True, logger=lines.append
        ).drift()
        assert isinstance(report, DriftReport)
        assert report.operations == ()
        assert not report.has_drift
        assert report.replayed == (CREATE, INDEX, AUDIT)
        assert report.schemas == ("crm", "meta", "public")
        assert report.describe() == "No drift: the database matches its 3 applied migrations."
        assert report.render() == report.describe()
        assert report.sql() == []
        assert f"Replaying {AUDIT} into the scratch database ..." in lines
        created = [m.group(1) for line in lines if (m := re.match(r"Created .* (\S+)$", line))]
        assert len(created) == 1
        assert f"Dropped the scratch database {created[0]}" in lines
        assert await scratch_databases(db) == []


async def test_only_applied_files_are_replayed(linkgress_dsn: str, tmp_path: Path) -> None:
    shop_migrations(tmp_path)
    async with ShopDatabase(PgClient(dsn=linkgress_dsn)) as db:
        runner = make_runner(db, tmp_path)
        await runner.baseline(up_to=CREATE)
        # The baselined file was never run here: the database is empty, unlike the replay.
        report = await runner.drift()
        assert report.replayed == (CREATE,)
        assert report.has_drift
        assert "Create schema 'crm'" in report.describe()
        await db.execute(
            "CREATE SCHEMA crm; CREATE TYPE crm.mood AS ENUM ('ok', 'grumpy');"
            " CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL DEFAULT 'unnamed');"
            " CREATE TABLE crm.people (id int PRIMARY KEY, mood crm.mood DEFAULT 'ok',"
            "  item_id int REFERENCES items (id))"
        )
        assert not (await runner.drift()).has_drift


@pytest.mark.parametrize(
    ("manual_sql", "kind", "described"),
    [
        ("ALTER TABLE items ADD COLUMN nickname text", DropColumn, "Drop column 'items.nickname'"),
        ("DROP INDEX ix_items_name", CreateIndex, "ix_items_name"),
        ("ALTER TABLE items ALTER COLUMN name SET DEFAULT 'anonymous'", AlterColumn, "items.name"),
        ("CREATE TABLE crm.notes (id int)", DropTable, "crm.notes"),
    ],
    ids=["added-column", "dropped-index", "changed-default", "table-by-hand"],
)
async def test_manual_changes_are_reported(
    linkgress_dsn: str,
    tmp_path: Path,
    manual_sql: str,
    kind: type[object],
    described: str,
) -> None:
    shop_migrations(tmp_path)
    async with ShopDatabase(PgClient(dsn=linkgress_dsn)) as db:
        runner = make_runner(db, tmp_path)
        await runner.up()
        await db.execute(manual_sql)
        report = await runner.drift()
        assert report.has_drift
        assert [type(op) for op in report.operations] == [kind]
        text = report.describe()
        assert text.startswith(
            "Drift: the database differs from the result of its 3 applied migrations"
        )
        assert f"1. {report.operations[0].describe()}" in text
        assert described in text
        assert report.render().endswith("\n".join(f"{s};" for s in report.sql()))
        # The report's SQL undoes the drift.
        for statement in report.sql():
            await db.execute(statement)
        assert not (await runner.drift()).has_drift
        assert await scratch_databases(db) == []


async def test_replay_failure_is_reported_and_the_scratch_dropped(
    linkgress_dsn: str, tmp_path: Path
) -> None:
    lines: list[str] = []
    async with DbContext(PgClient(dsn=linkgress_dsn)) as db:
        # Applied on top of a table made by hand: an empty scratch database lacks it.
        await db.execute("CREATE TABLE legacy (id int)")
        write_migration(tmp_path, CREATE, "ALTER TABLE legacy ADD COLUMN note text")
        runner = make_runner(db, tmp_path, verbose=True, logger=lines.append)
        assert (await runner.up()).failed is None
        with pytest.raises(MigrationError, match=f"Replaying {CREATE} .* failed") as caught:
            await runner.drift()
        assert "legacy" in str(caught.value)
        assert any(line.startswith("Dropped the scratch database") for line in lines)
        assert await scratch_databases(db) == []


async def test_changed_applied_file_is_refused(linkgress_dsn: str, tmp_path: Path) -> None:
    shop_migrations(tmp_path)
    async with ShopDatabase(PgClient(dsn=linkgress_dsn)) as db:
        runner = make_runner(db, tmp_path)
        await runner.up()
        write_migration(tmp_path, INDEX, "CREATE INDEX ix_items_name ON items (name, id)")
        with pytest.raises(ChecksumMismatchError, match=f"{INDEX} was changed"):
            await runner.drift()
        assert await scratch_databases(db) == []


async def test_user_scratch_database(
    linkgress_dsn: str, linkgress_databases: DatabaseFactory, tmp_path: Path
) -> None:
    shop_migrations(tmp_path)
    scratch = await linkgress_databases.create()
    async with ShopDatabase(PgClient(dsn=linkgress_dsn)) as db:
        runner = make_runner(db, tmp_path)
        await runner.up()
        await db.execute("ALTER TABLE items ADD COLUMN nickname text")
        report = await runner.drift(scratch_dsn=scratch)
        assert [type(op) for op in report.operations] == [DropColumn]
        assert await scratch_databases(db) == []
    async with DbContext(PgClient(dsn=scratch)) as left:
        # Left holding the replayed schema, for inspection.
        rows = await left.query("SELECT count(*) AS n FROM items")
        assert rows[0]["n"] == 1
    async with ShopDatabase(PgClient(dsn=linkgress_dsn)) as db:
        with pytest.raises(MigrationError, match=r"scratch database .* is not empty"):
            await make_runner(db, tmp_path).drift(scratch_dsn=scratch)


async def test_context_without_a_plain_constructor_is_explained(
    linkgress_dsn: str, tmp_path: Path
) -> None:
    class Configured(DbContext):
        def __init__(self, client: PgClient, tenant: str) -> None:
            super().__init__(client)
            self.tenant = tenant

    write_migration(tmp_path, CREATE, "CREATE TABLE items (id int)")
    async with Configured(PgClient(dsn=linkgress_dsn), "acme") as db:
        runner = make_runner(db, tmp_path)
        await runner.up()
        with pytest.raises(MigrationError, match=r"Configured\(client\)"):
            await runner.drift()
        assert await scratch_databases(db) == []


DOC = Path(__file__).resolve().parents[2] / "docs" / "baseline-and-drift.md"


def doc_block(marker: str, language: str = "python") -> str:
    """The guide's one code block of ``language`` that contains ``marker``."""
    pattern = rf"```{language}\n(.*?)```"
    blocks = [b for b in re.findall(pattern, DOC.read_text(), re.S) if marker in b]
    assert len(blocks) == 1, f"expected one {language} block with {marker!r} in {DOC.name}"
    return blocks[0]


def doc_function(marker: str, name: str) -> Any:
    namespace: dict[str, Any] = {}
    exec(compile(doc_block(marker), str(DOC), "exec"), namespace)
    return namespace[name]


async def test_documented_adoption_and_drift(
    linkgress_dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "20240101_000000_create_users.py").write_text(doc_block("class CreateUsers"))
    (tmp_path / "20240102_000000_add_bio.py").write_text(doc_block("class AddBio"))
    adopt = doc_function("async def adopt", "adopt")
    check_drift = doc_function("async def check_drift", "check_drift")
    async with DbContext(PgClient(dsn=linkgress_dsn)) as db:
        # The database predates the migrations.
        await db.execute('CREATE TABLE "users" ("id" integer PRIMARY KEY, "email" text NOT NULL)')
        await db.execute('ALTER TABLE "users" ADD UNIQUE ("email")')
        await adopt(db, str(tmp_path))
        out = capsys.readouterr().out
        assert "baselined: ['20240101_000000_create_users.py']" in out
        assert "applied: ['20240102_000000_add_bio.py']" in out
        assert await check_drift(db, str(tmp_path)) is False
        assert "No drift: the database matches its 2 applied migrations." in capsys.readouterr().out

        await db.execute('ALTER TABLE "users" ADD COLUMN "nickname" text')
        assert await check_drift(db, str(tmp_path)) is True
        assert capsys.readouterr().out == doc_block("Drift:", "text")
