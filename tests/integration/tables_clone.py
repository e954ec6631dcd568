"""Helpers of the table-kind fidelity tests (named for them, to stay clear of other groups')."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path

import anyio
import asyncpg
import attrs

from linkgress_async.catalog import Catalog
from linkgress_async.diff import DiffContext
from linkgress_async.introspect import introspect
from linkgress_async.ops import MigrationOperation
from linkgress_async.render.sql import plan_sql
from linkgress_async.testing import LinkgressServer

from .tables_schema import SCHEMAS, prerequisites_sql, schema_sql


def tables_pg_dump() -> Path:
    """The ``pg_dump`` of the server the suite runs on."""
    from linkgress_async._server import resolve_bin_dir

    if os.environ.get("LINKGRESS_TEST_DSN"):
        found = shutil.which("pg_dump")
        assert found, "LINKGRESS_TEST_DSN is set: put the server's pg_dump on PATH"
        return Path(found)
    return resolve_bin_dir() / "pg_dump"


async def tables_dump(dsn: str) -> list[str]:
    """``pg_dump --schema-only`` as lines, without the random ``\\restrict`` keys."""
    result = await anyio.run_process([str(tables_pg_dump()), "--schema-only", "--dbname", dsn])
    lines = result.stdout.decode().splitlines()
    return [line for line in lines if not line.startswith(("\\restrict", "\\unrestrict"))]


async def tables_read(dsn: str, schemas: Sequence[str] = SCHEMAS) -> Catalog:
    """The catalog of ``schemas``, without comments, privileges and owners (their own tests
    cover them: these compare tables)."""
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=4)
    try:
        catalog = await introspect(pool, schemas)
    finally:
        await pool.close()
    return attrs.evolve(catalog, comments=(), grants=(), owners=())


async def tables_execute(dsn: str, sql: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def tables_apply(dsn: str, operations: Sequence[MigrationOperation]) -> None:
    """Run a plan's statements in one transaction."""
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            for statement in plan_sql(operations):
                await conn.execute(statement)
    finally:
        await conn.close()


def context_of(server: LinkgressServer) -> DiffContext:
    return DiffContext(server_version_num=server.server_version_num)


async def load_tables_source(server: LinkgressServer, dsn: str) -> str:
    """Load the edge-case schema of the table kinds into ``dsn``; return ``dsn``."""
    await tables_execute(dsn, prerequisites_sql())
    await tables_execute(dsn, schema_sql(server.server_version_num))
    return dsn
