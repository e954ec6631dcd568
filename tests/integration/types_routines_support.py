"""Helpers of the extension, domain, composite type, routine and materialized view tests:
run SQL, read a catalog, clone a database through diff(empty, introspect(source)), and
pg_dump it."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import anyio
import asyncpg
import attrs

from linkgress_async._server import resolve_bin_dir
from linkgress_async.catalog import Catalog
from linkgress_async.diff import diff
from linkgress_async.introspect import introspect
from linkgress_async.ops import MigrationOperation
from linkgress_async.render.sql import operation_sql, plan_sql

SCHEMA_SQL = Path(__file__).parent / "sql" / "types_routines.sql"
"""Every feature of these kinds, for PostgreSQL 15 and later."""

SCHEMAS = ("public", "Kinds", "ext")
"""The schemas :data:`SCHEMA_SQL` uses."""

NEWER_SQL = """
CREATE DOMAIN public.required AS integer CONSTRAINT "must be there" NOT NULL;
"""
"""What only PostgreSQL 17 and later have: a named NOT NULL constraint of a domain."""

PAGILA = Path("/work/shared/realworld/pagila/pagila-schema.sql")


def pagila_sql() -> str:
    """The Pagila schema without psql's meta-commands (lines starting with a backslash)."""
    lines = PAGILA.read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines if not line.startswith("\\"))


async def server_version(dsn: str) -> int:
    """``server_version_num`` of the server behind ``dsn``."""
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval("SELECT current_setting('server_version_num')"))
    finally:
        await conn.close()


async def schema_sql(dsn: str) -> str:
    """:data:`SCHEMA_SQL`, with what the server behind ``dsn`` has beyond PostgreSQL 15."""
    text = SCHEMA_SQL.read_text(encoding="utf-8")
    return text + NEWER_SQL if await server_version(dsn) >= 170000 else text


async def execute(dsn: str, sql: str) -> None:
    """Run ``sql`` (any number of statements) on ``dsn``."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def read(dsn: str, schemas: Iterable[str] = SCHEMAS) -> Catalog:
    """``introspect`` of ``schemas`` on ``dsn``, without comments, privileges and owners
    (tests of their own cover those: these compare the kinds themselves)."""
    async with asyncpg.create_pool(dsn, min_size=1, max_size=4) as pool:
        catalog = await introspect(pool, list(schemas))
    return attrs.evolve(catalog, comments=(), grants=(), owners=())


async def apply(dsn: str, operations: Sequence[MigrationOperation]) -> None:
    """Run the plan's statements on ``dsn`` in one transaction."""
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            for statement in plan_sql(operations):
                await conn.execute(statement)
    finally:
        await conn.close()


async def apply_what_runs(
    dsn: str, operations: Sequence[MigrationOperation]
) -> list[tuple[MigrationOperation, str]]:
    """Run each operation in its own savepoint of one transaction; return those that failed,
    with the error (for a source with kinds other engineers' work creates)."""
    failed: list[tuple[MigrationOperation, str]] = []
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            for op in operations:
                try:
                    async with conn.transaction():
                        for statement in operation_sql(op):
                            await conn.execute(statement)
                except asyncpg.PostgresError as error:
                    failed.append((op, f"{type(error).__name__}: {error}"))
    finally:
        await conn.close()
    return failed


async def clone_plan(
    source_dsn: str, schemas: Iterable[str] = SCHEMAS
) -> tuple[Catalog, list[MigrationOperation]]:
    """The source's catalog, and diff(empty, it): every statement that makes it anew."""
    source = await read(source_dsn, schemas)
    return source, diff(Catalog(schemas=("public",)), source)


_RESTRICT = re.compile(r"^\\(un)?restrict ")


async def schema_dump(dsn: str) -> list[str]:
    """The lines of ``pg_dump --schema-only`` (of the server the tests run on), without the
    random ``\\restrict`` keys recent versions print."""
    pg_dump = resolve_bin_dir() / "pg_dump"
    result = await anyio.run_process([str(pg_dump), "--schema-only", dsn], check=True)
    return [line for line in result.stdout.decode().splitlines() if not _RESTRICT.match(line)]


def differing_lines(source: list[str], copy: list[str]) -> list[str]:
    """The lines only one of two dumps has (``-`` the source's, ``+`` the copy's)."""
    return [
        line
        for line in difflib.unified_diff(source, copy, lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


_HEADER = re.compile(r"^-- Name: (.*); Type: (.*); Schema: (.*); Owner: ?(.*)$")


def dump_entries(dump: list[str]) -> dict[tuple[str, str, str], list[str]]:
    """pg_dump's lines cut into its entries, keyed by (type, schema, name) from each
    ``-- Name: ...; Type: ...; Schema: ...`` header."""
    entries: dict[tuple[str, str, str], list[str]] = {}
    body: list[str] | None = None
    for line in dump:
        match = _HEADER.match(line)
        if match is not None:
            body = entries.setdefault((match.group(2), match.group(3), match.group(1)), [])
        elif body is not None and line.strip() and line != "--":
            body.append(line)
    return entries
