"""The physical limits: raw asyncpg catalog reads and raw DDL, with no processing at all.

The catalog floor fetches everything introspection needs (columns with types, defaults and
identity, constraints, indexes, enums, sequences, and the views and functions linkgress also
reads) in one plain query per family, all at once on their own connections. It does not
share a snapshot between them, parses nothing and builds no objects, so it is a little
cheaper than any correct tool can be.
"""

from __future__ import annotations

from typing import Any, Final

import anyio
import asyncpg

COLUMNS: Final = """
SELECT c.oid, n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
    a.attnotnull, pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY($1::text[])
"""
CONSTRAINTS: Final = """
SELECT con.conrelid, con.conname, con.contype, pg_get_constraintdef(con.oid)
FROM pg_constraint con
JOIN pg_namespace n ON n.oid = con.connamespace
WHERE con.contype IN ('p', 'u', 'c', 'f') AND n.nspname = ANY($1::text[])
"""
INDEXES: Final = """
SELECT i.indrelid, ic.relname, pg_get_indexdef(i.indexrelid)
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_namespace n ON n.oid = ic.relnamespace
WHERE n.nspname = ANY($1::text[])
"""
ENUMS: Final = """
SELECT n.nspname, t.typname, e.enumlabel, e.enumsortorder
FROM pg_type t
JOIN pg_namespace n ON n.oid = t.typnamespace
JOIN pg_enum e ON e.enumtypid = t.oid
WHERE n.nspname = ANY($1::text[])
"""
SEQUENCES: Final = """
SELECT n.nspname, c.relname, s.seqtypid, s.seqstart, s.seqincrement, s.seqmin, s.seqmax,
    s.seqcache, s.seqcycle, d.refobjid, d.refobjsubid, d.deptype
FROM pg_sequence s
JOIN pg_class c ON c.oid = s.seqrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid
    AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
WHERE n.nspname = ANY($1::text[])
"""
VIEWS: Final = """
SELECT n.nspname, c.relname, pg_get_viewdef(c.oid, true)
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'v' AND n.nspname = ANY($1::text[])
"""
FUNCTIONS: Final = """
SELECT n.nspname, p.proname, pg_get_functiondef(p.oid)
FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE p.prokind = 'f' AND n.nspname = ANY($1::text[])
"""
QUERIES: Final = (COLUMNS, CONSTRAINTS, INDEXES, ENUMS, SEQUENCES, VIEWS, FUNCTIONS)


async def read_catalog(pool: asyncpg.Pool[Any], schemas: list[str]) -> int:
    """Run the catalog queries at once, one connection each; return the rows fetched."""
    counts: list[int] = []

    async def fetch(query: str) -> None:
        async with pool.acquire() as conn:
            counts.append(len(await conn.fetch(query, schemas)))

    async with anyio.create_task_group() as tg:
        for query in QUERIES:
            tg.start_soon(fetch, query)
    return sum(counts)


async def read_introspection_queries(pool: asyncpg.Pool[Any], schemas: list[str]) -> int:
    """linkgress's own catalog statements (the two that introspection sends, each reading its
    half of the families), at once on their own connections, fetched and dropped: no snapshot
    sharing, no session setup, no JSON decoding, no assembly. What those queries cost the
    server, whoever sends them; returns the number of families read."""
    from linkgress_async.introspect._fetch import family_statement
    from linkgress_async.introspect._queries import SPLIT, Family

    counts: list[int] = []

    async def fetch(families: tuple[Family, ...]) -> None:
        async with pool.acquire() as conn:
            row = await conn.fetchrow(await family_statement(conn, families), schemas)
            assert row is not None
            counts.append(len(row))

    async with anyio.create_task_group() as tg:
        for families in SPLIT:
            tg.start_soon(fetch, families)
    return sum(counts)


async def run_ddl(conn: asyncpg.Connection[Any], script: str) -> None:
    """Send the whole DDL script in one multi-statement call inside one transaction."""
    async with conn.transaction():
        await conn.execute(script)
