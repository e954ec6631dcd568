"""Runs the code of docs/fleet.md, so the guide cannot drift from the library."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from linkgress_async import DbContext
from linkgress_async.testing import DatabaseFactory, LinkgressServer
from tests.integration.models import AppDatabase
from tests.integration.test_fleet import CREATE, PRICES, journal, two_files

DOC = Path(__file__).resolve().parents[2] / "docs" / "fleet.md"


def doc_namespace(marker: str, **names: Any) -> dict[str, Any]:
    """Execute the guide's one python block that contains ``marker``."""
    text = DOC.read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```python\n(.*?)```", text, re.S) if marker in b]
    assert len(blocks) == 1, f"expected one python block with {marker!r} in {DOC.name}"
    namespace: dict[str, Any] = dict(names)
    exec(compile(blocks[0], str(DOC), "exec"), namespace)
    return namespace


async def test_roll_out_and_resume(
    linkgress_databases: DatabaseFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dsns = [await linkgress_databases.create() for _ in range(4)]
    directory = two_files(tmp_path / "migrations")
    conn = await asyncpg.connect(dsns[1])
    try:
        await conn.execute("CREATE TABLE prices (legacy text)")
    finally:
        await conn.close()

    result = await doc_namespace("async def roll_out")["roll_out"](DbContext, dsns, directory)
    assert [t.status for t in result.targets] == ["ok", "failed", "not-run", "not-run"]
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["#", "target", "status", "applied", "time", "error"]
    assert out.rstrip().splitlines()[-1].startswith("4 targets: 1 ok, 0 skipped, 1 failed, 2")

    async def fix(dsn: str) -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute("DROP TABLE prices")
        finally:
            await conn.close()

    resumed = await doc_namespace("async def resume", fix=fix)["resume"](DbContext, dsns, directory)
    assert [t.status for t in resumed.targets] == ["skipped", "ok", "ok", "ok"]
    assert [t.applied for t in resumed.targets] == [
        (),
        (PRICES,),
        (CREATE, PRICES),
        (CREATE, PRICES),
    ]
    assert f"fixing {resumed.targets[1].label}: {PRICES}: DuplicateTableError" in (
        capsys.readouterr().out
    )


async def test_tenants(linkgress_dsn: str, tmp_path: Path) -> None:
    directory = two_files(tmp_path / "migrations")
    tenants = ["acme", "globex", "initech"]
    result = await doc_namespace("async def migrate_tenants")["migrate_tenants"](
        linkgress_dsn, tenants, directory
    )
    assert [t.label for t in result.targets] == tenants
    assert result.ok
    assert [await journal(linkgress_dsn, name) for name in tenants] == [[CREATE, PRICES]] * 3


async def test_migrate_all(
    linkgress_databases: DatabaseFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    dsns = [await linkgress_databases.create() for _ in range(2)]
    result = await doc_namespace("async def migrate_all")["migrate_all"](AppDatabase, dsns)
    assert result.ok
    lines = capsys.readouterr().out.splitlines()
    count = len(result.targets[0].applied)
    assert lines == [f"{t.label} ok {count} operations" for t in result.targets]


async def test_target_sources(linkgress_server: LinkgressServer, tmp_path: Path) -> None:
    namespace = doc_namespace("async def every_shop_database")
    name = f"shop_{uuid.uuid4().hex[:12]}"
    await linkgress_server.create_database_async(name)
    try:
        found = await namespace["every_shop_database"](linkgress_server.dsn())
    finally:
        await linkgress_server.drop_database_async(name)
    assert linkgress_server.dsn(name) in found
    listing = tmp_path / "targets.txt"
    listing.write_text(f"# shops\n{found[0]} label=first\n", encoding="utf-8")
    targets = await namespace["targets_from_file"](listing)
    assert [(t.dsn, t.label) for t in targets] == [(found[0], "first")]


async def test_bounded_roll_out(linkgress_databases: DatabaseFactory, tmp_path: Path) -> None:
    dsns = [await linkgress_databases.create() for _ in range(3)]
    directory = two_files(tmp_path / "migrations")
    result = await doc_namespace("async def bounded_roll_out")["bounded_roll_out"](
        DbContext, dsns, directory
    )
    assert [t.status for t in result.targets] == ["ok"] * 3
    assert [await journal(dsn) for dsn in dsns] == [[CREATE, PRICES]] * 3
