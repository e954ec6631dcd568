"""The migration scaffold against a real PostgreSQL: generate, run, revert."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import anyio
import pytest

from linkgress_async import DbContext, PgClient
from linkgress_async.errors import DestructiveFilesError, NoSchemaDifferencesError
from linkgress_async.migrations import MigrationRunner, MigrationScaffold
from linkgress_async.migrations.guard import FileHazard
from tests.integration.helpers import quiet
from tests.integration.scaffold_models import ShopV1, ShopV2, ShopWithoutEmail

MODELS = "tests.integration.scaffold_models"
ROOT = Path(__file__).resolve().parents[2]
RUFF = Path(sys.executable).with_name("ruff")


async def ruff_clean(path: Path) -> None:
    """The file passes ruff check and ruff format --check with the project's rules."""
    options = ["--config", str(ROOT / "pyproject.toml"), "--line-length", "88"]
    for command in (["check"], ["format", "--check", "--diff"]):
        done = await anyio.run_process([str(RUFF), *command, *options, str(path)], check=False)
        assert done.returncode == 0, done.stdout.decode() + done.stderr.decode()


def runtime_imports(source: str) -> list[str]:
    """Modules the file imports when it runs (not under TYPE_CHECKING)."""
    return [
        node.module or "" for node in ast.parse(source).body if isinstance(node, ast.ImportFrom)
    ]


async def create(db: DbContext) -> None:
    await db.get_schema_manager(out=lambda line: None).ensure_created()


async def test_scaffold_up_down_round_trip(linkgress_dsn: str, tmp_path: Path) -> None:
    async with ShopV1(PgClient(dsn=linkgress_dsn)) as v1:
        await create(v1)
        async with ShopV2(PgClient(dsn=linkgress_dsn)) as v2:
            res = await MigrationScaffold(v2, tmp_path).scaffold(MODELS, name="Add phone & orders!")
            assert res.filename.endswith("_add_phone_orders.py")
            assert res.path == tmp_path / res.filename
            assert res.operations == await v2.get_schema_manager().analyze()
            source = res.path.read_text()
            assert f"if TYPE_CHECKING:\n    from {MODELS} import ShopV2\n" in source
            assert "class AddPhoneOrders(Migration):" in source
            assert MODELS not in runtime_imports(source)
            await ruff_clean(res.path)

            runner = MigrationRunner(v2, tmp_path, verbose=False)
            result = await runner.up()
            assert result.applied == [res.filename], result.failed
            assert await v2.get_schema_manager().analyze() == []
            await v2.query("INSERT INTO shop.customers (name) VALUES ('ann')")
            await v2.query("INSERT INTO shop.orders (customer_id) SELECT id FROM shop.customers")
            row = (await v2.query("SELECT status::text, note FROM shop.orders"))[0]
            assert (row["status"], row["note"]) == ("new", 'O\'Brien\\ "ü"\n')

            with pytest.raises(NoSchemaDifferencesError, match="No schema differences"):
                await MigrationScaffold(v2, tmp_path).scaffold(MODELS)

            # Its down() drops the tables it created: refused unless confirmed.
            with pytest.raises(DestructiveFilesError, match=r"Drop table 'shop\.orders'"):
                await runner.down(1)
            assert await runner.get_applied() == [res.filename]
            reverted = await runner.down(1, allow_destructive=True)
            assert reverted.applied == [res.filename], reverted.failed
        assert await v1.get_schema_manager().analyze() == []


async def test_irreversible_operation_is_declared_and_the_rest_reverted(
    linkgress_dsn: str, tmp_path: Path
) -> None:
    async with ShopV1(PgClient(dsn=linkgress_dsn)) as v1:
        await create(v1)
    async with ShopWithoutEmail(PgClient(dsn=linkgress_dsn)) as db:
        res = await MigrationScaffold(db, tmp_path).scaffold(MODELS, name="drop_email")
        source = res.path.read_text()
        down = source[source.index("async def down") :]
        assert "Not reversed" in down
        assert "Drop column 'shop.customers.email'" in down
        await ruff_clean(res.path)
        runner = MigrationRunner(db, tmp_path, verbose=False)
        # up() drops a column: known before it runs, and refused without a confirmation.
        with pytest.raises(DestructiveFilesError, match=r"Drop column 'shop\.customers\.email'"):
            await runner.up()
        assert await runner.get_applied() == []
        asked: list[list[FileHazard]] = []

        def yes(hazards: list[FileHazard]) -> bool:
            asked.append(hazards)
            return True

        assert (await runner.up(confirm=yes)).applied == [res.filename]
        assert [h.filename for h in asked[0]] == [res.filename]
        assert await db.get_schema_manager().analyze() == []
        # down() cannot bring the column back: that is said, and confirmed, first.
        with pytest.raises(DestructiveFilesError, match="not restored by down"):
            await runner.down()
        lines: list[str] = []
        logged = MigrationRunner(db, tmp_path, logger=lines.append)
        result = await logged.down(allow_destructive=True)
        assert result.applied == [res.filename], result.failed
        assert any("Not restored by" in line and "customers.email" in line for line in lines)
        assert await runner.get_applied() == []


async def test_scaffold_empty_and_unique_names(linkgress_dsn: str, tmp_path: Path) -> None:
    async with ShopV1(PgClient(dsn=linkgress_dsn)) as db:
        scaffold = MigrationScaffold(db, tmp_path)
        first = await scaffold.scaffold_empty(MODELS)
        second = await scaffold.scaffold_empty(MODELS)
        third = await scaffold.scaffold_empty(MODELS, name="by hand")
        names = [first.filename, second.filename, third.filename]
        assert len(set(names)) == 3
        assert sorted(names) == names  # filename order is creation order
        assert first.operations == []
        assert third.filename.endswith("_by_hand.py")
        source = third.path.read_text()
        assert "class ByHand(Migration):" in source
        assert "        pass\n" in source
        for res in (first, second, third):
            await ruff_clean(res.path)
        result = await MigrationRunner(db, tmp_path, verbose=False).up()
        assert result.applied == names
        # The empty migrations created nothing.
        assert not (await db.query("SELECT to_regnamespace('shop') IS NOT NULL AS x"))[0]["x"]


async def test_scaffold_takes_ownership_options(linkgress_dsn: str, tmp_path: Path) -> None:
    async with ShopV1(PgClient(dsn=linkgress_dsn)) as db:
        await db.get_schema_manager(out=quiet).ensure_created()
        await db.query("CREATE TABLE shop.tmp_import (id integer)")
        with pytest.raises(NoSchemaDifferencesError):
            await MigrationScaffold(db, migrations_directory=tmp_path).scaffold("shop")
        options = {"drop_unmanaged": ["shop.tmp_*"]}
        scaffold = MigrationScaffold(db, migrations_directory=tmp_path, manager_options=options)
        result = await scaffold.scaffold("shop", name="drop_import")
        assert [op.describe() for op in result.operations] == ["Drop table 'shop.tmp_import'"]
        assert 'DROP TABLE "shop"."tmp_import"' in result.path.read_text()
