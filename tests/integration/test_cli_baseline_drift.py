"""``linkgress baseline`` and ``linkgress drift``, run as the installed script."""

from __future__ import annotations

from pathlib import Path

from linkgress_async.testing import DatabaseFactory
from tests.integration.test_cli import CONTEXT, columns, fetch, one_error_line, run_cli, write_app

CREATE_ITEMS = "20240101_000000_create_items.py"
ADD_PRICE = "20240102_000000_add_price.py"

MIGRATION = """
from linkgress_async import Migration


class Step(Migration):
    async def up(self, db):
        await db.query({up!r})

    async def down(self, db):
        await db.query({down!r})
"""

ITEMS_SQL = "CREATE TABLE items (id integer PRIMARY KEY, name text NOT NULL)"


def write_migrations(directory: Path) -> Path:
    """Two files: one creates ``items``, the next adds its ``price`` column."""
    migrations = directory / "migrations"
    migrations.mkdir()
    steps = {
        CREATE_ITEMS: (ITEMS_SQL, "DROP TABLE items"),
        ADD_PRICE: (
            "ALTER TABLE items ADD COLUMN price numeric(10, 2)",
            "ALTER TABLE items DROP COLUMN price",
        ),
    }
    for name, (up, down) in steps.items():
        (migrations / name).write_text(MIGRATION.format(up=up, down=down))
    return migrations


def test_baseline_then_up_applies_only_later_files(tmp_path: Path, linkgress_dsn: str) -> None:
    write_app(tmp_path)
    write_migrations(tmp_path)
    flags = ("--dsn", linkgress_dsn, "--context", CONTEXT)
    # The database predates the migration files: it already holds what the first one does.
    fetch(linkgress_dsn, ITEMS_SQL)

    refused = run_cli(*flags, "baseline", "--up-to", "20231231_no_such_file", cwd=tmp_path)
    assert refused.returncode == 1, refused
    line = one_error_line(refused)
    assert "Cannot baseline up to '20231231_no_such_file'" in line
    assert CREATE_ITEMS in line

    recorded = run_cli(*flags, "baseline", "--up-to", CREATE_ITEMS, cwd=tmp_path)
    assert recorded.returncode == 0, recorded
    assert f"recorded {CREATE_ITEMS} (not run)" in recorded.stdout
    assert ADD_PRICE not in recorded.stdout
    assert 'Baselined 1 migration in "public"."__migrations"' in recorded.stdout
    journal = fetch(linkgress_dsn, "SELECT filename FROM __migrations ORDER BY id")
    assert [row["filename"] for row in journal] == [CREATE_ITEMS]

    up = run_cli(*flags, "up", cwd=tmp_path)
    assert up.returncode == 0, up
    assert up.stdout.startswith(f"migration 1 of 1: applying {ADD_PRICE} ... ok (")
    assert CREATE_ITEMS not in up.stdout
    assert columns(linkgress_dsn, "items") == ["id", "name", "price"]


def test_drift_exit_status_names_the_difference(
    tmp_path: Path, linkgress_dsn: str, linkgress_databases: DatabaseFactory
) -> None:
    write_app(tmp_path)
    write_migrations(tmp_path)
    flags = ("--dsn", linkgress_dsn, "--context", CONTEXT)
    assert run_cli(*flags, "up", cwd=tmp_path).returncode == 0

    clean = run_cli(*flags, "drift", cwd=tmp_path)
    assert clean.returncode == 0, clean
    assert "No drift: the database matches its 2 applied migrations." in clean.stdout

    fetch(linkgress_dsn, "ALTER TABLE items ADD COLUMN note text")
    # Into a scratch database of the caller's this time; it is left holding the replay.
    scratch = linkgress_databases.create_sync()
    drifted = run_cli(*flags, "drift", "--scratch-dsn", scratch, cwd=tmp_path)
    assert drifted.returncode == 1, drifted
    assert "Drift: the database differs from the result of its 2 applied migrations" in (
        drifted.stdout
    )
    assert "1. Drop column 'items.note'  [DESTRUCTIVE]" in drifted.stdout
    assert 'ALTER TABLE "public"."items" DROP COLUMN "note";' in drifted.stdout
    # Drift is an answer, not an error: nothing on stderr.
    assert "linkgress: error" not in drifted.stderr
    assert columns(scratch, "items") == ["id", "name", "price"]
    assert columns(linkgress_dsn, "items") == ["id", "name", "price", "note"]
