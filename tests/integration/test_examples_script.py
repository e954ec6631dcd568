"""``python -m examples.asyncio_script`` as a user runs it, twice against one database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_script(database_url: str | None) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "-m", "examples.asyncio_script"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def test_the_script_creates_uses_and_migrates_then_reruns_cleanly(linkgress_dsn: str) -> None:
    first = run_script(linkgress_dsn)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == [
        "created: Create schema 'shop'",
        "created: Create table 'shop.products'",
        "products: C-2 at 6.00, T-1 at 24.50",
        "Migration plan (2 operations):",
        "  1. Add column 'shop.products.stock'",
        "  2. Create index 'ix_products_low_stock' on 'shop.products'",
        "Migration complete: 2 operations applied.",
        "low on stock: C-2, T-1",
    ]

    again = run_script(linkgress_dsn)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines() == [
        "products: C-2 at 6.00, T-1 at 24.50",
        "Database schema is up to date. No changes needed.",
        "low on stock: C-2, T-1",
    ]


def test_without_a_database_url_it_says_what_to_set() -> None:
    done = run_script(None)
    assert done.returncode == 1
    assert "Set DATABASE_URL=postgresql://" in done.stderr
