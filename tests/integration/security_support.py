"""Helpers of the trigger, row-level security, comment, privilege and owner tests: roles made
for one test, cloning a database through diff(empty, introspect(source)), pg_dump."""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from pathlib import Path
from typing import Any

import anyio
import asyncpg
import attrs

from linkgress_async._server import resolve_bin_dir
from linkgress_async.catalog import Catalog
from linkgress_async.diff import diff
from linkgress_async.introspect import introspect
from linkgress_async.ops import MigrationOperation
from linkgress_async.render.quote import quote_ident
from linkgress_async.render.sql import operation_sql, plan_sql

PAGILA = Path("/work/shared/realworld/pagila/pagila-schema.sql")


@attrs.frozen
class Roles:
    """Roles made for one test (roles are cluster-wide: unique names, dropped afterwards)."""

    owner: str
    reader: str
    writer: str

    def format(self, sql: str) -> str:
        """``sql`` with ``{owner}``, ``{reader}`` and ``{writer}`` replaced by quoted names."""
        return sql.format(
            owner=quote_ident(self.owner),
            reader=quote_ident(self.reader),
            writer=quote_ident(self.writer),
        )


@contextlib.asynccontextmanager
async def made_roles(admin_dsn: str) -> AsyncIterator[Roles]:
    """Three new roles; dropped at the end, once the databases that use them are gone."""
    tag = uuid.uuid4().hex[:10]
    roles = Roles(f"lk_owner_{tag}", f"lk_reader_{tag}", f"lk_Writer {tag}")
    names = [roles.owner, roles.reader, roles.writer]
    conn = await asyncpg.connect(admin_dsn)
    try:
        for name in names:
            await conn.execute(f"CREATE ROLE {quote_ident(name)}")
        yield roles
    finally:
        for name in names:
            await conn.execute(f"DROP ROLE IF EXISTS {quote_ident(name)}")
        await conn.close()


async def read(dsn: str, schemas: Iterable[str]) -> Catalog:
    """``introspect`` of ``schemas`` on ``dsn``."""
    async with asyncpg.create_pool(dsn, min_size=1, max_size=4) as pool:
        return await introspect(pool, list(schemas))


async def execute(dsn: str, sql: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


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
    """Run each statement in its own savepoint of one transaction; return the operations
    that failed with the error, for a source with object kinds the library does not create
    yet."""
    failed: list[tuple[MigrationOperation, str]] = []
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            for op in operations:
                for statement in operation_sql(op):
                    try:
                        async with conn.transaction():
                            await conn.execute(statement)
                    except asyncpg.PostgresError as error:
                        failed.append((op, f"{type(error).__name__}: {error}"))
    finally:
        await conn.close()
    return failed


async def clone_plan(source_dsn: str, schemas: Sequence[str]) -> list[MigrationOperation]:
    """diff(empty, introspect(source)): every statement that makes the source anew."""
    return diff(Catalog(schemas=("public",)), await read(source_dsn, schemas))


_RESTRICT = re.compile(r"^\\(un)?restrict ")


async def schema_dump(dsn: str, *extra: str) -> str:
    """``pg_dump --schema-only`` of the server the tests run on, without the random
    ``\\restrict`` keys recent versions print."""
    pg_dump = resolve_bin_dir() / "pg_dump"
    result = await anyio.run_process([str(pg_dump), "--schema-only", *extra, dsn], check=True)
    lines = result.stdout.decode().splitlines()
    return "\n".join(line for line in lines if not _RESTRICT.match(line))


def dump_blocks(dump: str) -> dict[tuple[str, str, str], str]:
    """pg_dump's text cut into its entries, keyed by (type, schema, name) from each
    ``-- Name: ...; Type: ...; Schema: ...`` header."""
    blocks: dict[tuple[str, str, str], str] = {}
    header = re.compile(r"^-- Name: (.*); Type: (.*); Schema: (.*); Owner: ?(.*)$", re.M)
    matches = list(header.finditer(dump))
    for match, following in zip(matches, [*matches[1:], None], strict=True):
        end = following.start() if following is not None else len(dump)
        body = dump[match.end() : end].strip().removesuffix("--").strip()
        blocks[(match.group(2), match.group(3), match.group(1))] = body
    return blocks


def table_rows(rows: Iterable[asyncpg.Record]) -> list[tuple[Any, ...]]:
    return [tuple(r.values()) for r in rows]
