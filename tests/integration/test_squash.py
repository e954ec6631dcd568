"""MigrationRunner.squash against a real PostgreSQL: one file in place of an applied run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from linkgress_async import DbContext, PgClient, compare
from linkgress_async.errors import MigrationError, PartlySquashedError, SquashError
from linkgress_async.migrations import MigrationRunner
from linkgress_async.migrations.files import load_file
from linkgress_async.testing import DatabaseFactory
from tests.integration.test_baseline import write_migration

ITEMS = "20240101_000000_create_items.py"
PRICE = "20240102_000000_add_price.py"
ORDERS = "20240103_000000_create_orders.py"
STOCK = "20240104_000000_add_stock.py"
SQUASHED = "20240103_000000_squashed.py"


def four_files(directory: Path) -> None:
    write_migration(
        directory, ITEMS, "CREATE TABLE items (id int PRIMARY KEY, name text)", "DROP TABLE items"
    )
    write_migration(
        directory,
        PRICE,
        "ALTER TABLE items ADD COLUMN price numeric(10, 2); ALTER TABLE items DROP COLUMN name",
        "ALTER TABLE items DROP COLUMN price; ALTER TABLE items ADD COLUMN name text",
    )
    write_migration(
        directory,
        ORDERS,
        "CREATE TABLE orders (id int PRIMARY KEY, item_id int NOT NULL REFERENCES items);"
        " CREATE INDEX orders_item ON orders (item_id)",
        "DROP TABLE orders",
    )
    write_migration(
        directory,
        STOCK,
        "ALTER TABLE items ADD COLUMN stock int NOT NULL DEFAULT 0",
        "ALTER TABLE items DROP COLUMN stock",
    )


def runner(db: DbContext, directory: Path) -> MigrationRunner:
    return MigrationRunner(db, migrations_directory=directory, verbose=False)


async def journal(db: DbContext) -> list[str]:
    rows = await db.query('SELECT filename FROM "__migrations" ORDER BY id')
    return [row["filename"] for row in rows]


async def test_squash_replaces_the_applied_run_and_every_database_follows(
    linkgress_databases: DatabaseFactory, tmp_path: Path
) -> None:
    directory = tmp_path / "migrations"
    four_files(directory)
    here, elsewhere, partly, fresh = [await linkgress_databases.create() for _ in range(4)]
    async with (
        DbContext(PgClient(dsn=here)) as db,
        DbContext(PgClient(dsn=elsewhere)) as other,
        DbContext(PgClient(dsn=partly)) as behind,
        DbContext(PgClient(dsn=fresh)) as new,
    ):
        # Two databases applied the first three files, a third only the first.
        assert (await runner(db, directory).up(to=ORDERS)).applied == [ITEMS, PRICE, ORDERS]
        assert (await runner(other, directory).up(to=ORDERS)).failed is None
        assert (await runner(behind, directory).up(to=ITEMS)).applied == [ITEMS]

        result = await runner(db, directory).squash("app.models")

        assert result.filename == SQUASHED
        assert result.replaced == (ITEMS, PRICE, ORDERS)
        assert sorted(p.name for p in directory.glob("*.py")) == [SQUASHED, STOCK]
        assert sorted(p.name for p in result.originals.iterdir()) == [ITEMS, PRICE, ORDERS]
        source = result.path.read_text()
        assert "replaces = (" in source
        assert "from app.models import DbContext" in source
        assert load_file(result.path).migration_class.replaces == (ITEMS, PRICE, ORDERS)
        # This database's journal records the squashed file in place of the originals.
        assert await journal(db) == [SQUASHED]
        assert await runner(db, directory).get_pending() == [STOCK]

        # A database that applied the originals reads the squashed file as applied, records
        # it in their place at its next up, and goes on.
        assert await runner(other, directory).get_pending() == [STOCK]
        moved_on = await runner(other, directory).up()
        assert moved_on.applied == [STOCK]
        assert await journal(other) == [SQUASHED, STOCK]

        # One part-way through the run can take neither: refused, naming its state.
        with pytest.raises(PartlySquashedError) as refused:
            await runner(behind, directory).up()
        message = str(refused.value)
        assert f"records only {ITEMS} of them as applied (not {PRICE}, {ORDERS})" in message
        assert f"up --to {ORDERS}" in message
        assert await journal(behind) == [ITEMS]

        # A new database runs the squashed file and ends where the others are.
        assert (await runner(new, directory).up()).applied == [SQUASHED, STOCK]
        assert (await runner(db, directory).up()).applied == [STOCK]
        assert await compare(new.client, db.client) == []
        assert await compare(new.client, other.client) == []

        # down reverts the squashed file as one migration.
        reverted = await runner(new, directory).down(2, allow_destructive=True)
        assert reverted.applied == [STOCK, SQUASHED]
        tables = await new.query("SELECT count(*) AS n FROM pg_tables WHERE schemaname='public'")
        assert tables[0]["n"] == 1  # only the journal


async def test_squash_a_middle_run_keeps_the_journal_order(
    linkgress_dsn: str, tmp_path: Path
) -> None:
    directory = tmp_path / "migrations"
    four_files(directory)
    async with DbContext(PgClient(dsn=linkgress_dsn)) as db:
        await runner(db, directory).up()
        result = await runner(db, directory).squash(first=PRICE, last=ORDERS, name="Orders!")
        assert result.filename == "20240103_000000_orders.py"
        assert await journal(db) == [ITEMS, result.filename, STOCK]
        assert await runner(db, directory).get_pending() == []
        assert [problem.filename for problem in await runner(db, directory).verify()] == []
        assert not (await runner(db, directory).drift()).has_drift
        # The default class name comes from the file's name.
        assert "class Orders(Migration):" in result.path.read_text()


async def test_squash_refuses_what_it_cannot_stand_for(linkgress_dsn: str, tmp_path: Path) -> None:
    directory = tmp_path / "migrations"
    four_files(directory)
    before = sorted(p.name for p in directory.iterdir())
    async with DbContext(PgClient(dsn=linkgress_dsn)) as db:
        with pytest.raises(SquashError, match="records no applied migration file"):
            await runner(db, directory).squash()
        await runner(db, directory).up(to=PRICE)
        with pytest.raises(SquashError) as pending:
            await runner(db, directory).squash(last=ORDERS)
        assert f"does not record {ORDERS} as applied" in str(pending.value)
        with pytest.raises(SquashError, match="at least two files"):
            await runner(db, directory).squash(first=PRICE)
        with pytest.raises(SquashError, match="no such migration file"):
            await runner(db, directory).squash(first="2023_nothing")
        # Nothing on disk changed, and the journal neither.
        assert sorted(p.name for p in directory.iterdir()) == before
        assert await journal(db) == [ITEMS, PRICE]


async def test_squash_refuses_a_run_that_changes_no_schema(
    linkgress_dsn: str, tmp_path: Path
) -> None:
    directory = tmp_path / "migrations"
    write_migration(directory, ITEMS, "CREATE TABLE items (id int PRIMARY KEY)")
    write_migration(directory, PRICE, "INSERT INTO items VALUES (1)")
    write_migration(directory, ORDERS, "INSERT INTO items VALUES (2)")
    async with DbContext(PgClient(dsn=linkgress_dsn)) as db:
        await runner(db, directory).up()
        with pytest.raises(SquashError, match="change no schema"):
            await runner(db, directory).squash(first=PRICE)
        assert sorted(p.name for p in directory.glob("*.py")) == [ITEMS, PRICE, ORDERS]


async def test_a_squashed_file_next_to_its_originals_is_refused(
    linkgress_dsn: str, tmp_path: Path
) -> None:
    directory = tmp_path / "migrations"
    four_files(directory)
    async with DbContext(PgClient(dsn=linkgress_dsn)) as db:
        await runner(db, directory).up(to=ORDERS)
        result = await runner(db, directory).squash()
        shutil.copy(result.originals / PRICE, directory / PRICE)
        with pytest.raises(MigrationError, match=f"replaces {PRICE}, which is in the"):
            await runner(db, directory).up()
