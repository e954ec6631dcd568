"""``linkgress squash``, run as the installed script."""

from __future__ import annotations

from pathlib import Path

from linkgress_async.testing import DatabaseFactory
from tests.integration.test_baseline import write_migration
from tests.integration.test_cli import CONTEXT, fetch, one_error_line, run_cli, write_app

ITEMS = "20240101_000000_create_items.py"
PRICE = "20240102_000000_add_price.py"
STOCK = "20240103_000000_add_stock.py"


def write_files(directory: Path) -> Path:
    migrations = directory / "migrations"
    write_migration(
        migrations, ITEMS, "CREATE TABLE items (id int PRIMARY KEY)", "DROP TABLE items"
    )
    write_migration(
        migrations,
        PRICE,
        "ALTER TABLE items ADD COLUMN price numeric",
        "ALTER TABLE items DROP COLUMN price",
    )
    write_migration(
        migrations,
        STOCK,
        "ALTER TABLE items ADD COLUMN stock int",
        "ALTER TABLE items DROP COLUMN stock",
    )
    return migrations


def journal(dsn: str) -> list[str]:
    return [row["filename"] for row in fetch(dsn, "SELECT filename FROM __migrations ORDER BY id")]


def test_squash_writes_one_file_and_other_databases_follow(
    tmp_path: Path, linkgress_databases: DatabaseFactory
) -> None:
    write_app(tmp_path)
    migrations = write_files(tmp_path)
    here, other = linkgress_databases.create_sync(), linkgress_databases.create_sync()
    flags = ("--context", CONTEXT)
    for dsn in (here, other):
        assert run_cli("--dsn", dsn, *flags, "up", "--to", PRICE, cwd=tmp_path).returncode == 0

    refused = run_cli("--dsn", here, *flags, "squash", "--to", STOCK, cwd=tmp_path)
    assert refused.returncode == 1, refused
    assert f"does not record {STOCK} as applied" in one_error_line(refused)

    done = run_cli("--dsn", here, *flags, "squash", "--name", "initial", cwd=tmp_path)
    assert done.returncode == 0, done
    squashed = "20240102_000000_initial.py"
    assert f"  replaced {ITEMS} (moved to migrations/_squashed/)" in done.stdout
    assert f"Wrote migrations/{squashed} in place of 2 files (1 operation;" in done.stdout
    assert sorted(p.name for p in migrations.glob("*.py")) == [squashed, STOCK]
    assert journal(here) == [squashed]

    status = run_cli("--dsn", other, *flags, "status", "--json", cwd=tmp_path)
    assert status.returncode == 0, status
    assert f'"{squashed}"' in status.stdout
    up = run_cli("--dsn", other, *flags, "up", cwd=tmp_path)
    assert up.returncode == 0, up
    assert journal(other) == [squashed, STOCK]


def test_squash_help_names_its_options(tmp_path: Path) -> None:
    shown = run_cli("squash", "--help", cwd=tmp_path)
    assert shown.returncode == 0, shown
    for option in ("--from FILE", "--to FILE", "--name NAME", "--scratch DSN|embedded"):
        assert option in shown.stdout
