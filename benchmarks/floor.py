"""The physical limits: raw asyncpg catalog reads and raw DDL, with no processing at all.

The catalog floor fetches everything introspection needs (columns with types, defaults and
identity, constraints, indexes, enums, sequences, views and functions, and since every object
kind is read, table properties, dependencies, privileges, comments, triggers, row-level
security, domains and composite types, aggregates, statistics, extensions and database
settings) in one plain query per family, all at once on their own connections. It does not
share a snapshot between them, parses nothing and builds no objects, so it is a little
cheaper than any correct tool can be.
"""

from __future__ import annotations

from typing import Any, Final

import anyio
import asyncpg

from linkgress_async._gc import paused_gc

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
CORE_QUERIES: Final = (COLUMNS, CONSTRAINTS, INDEXES, ENUMS, SEQUENCES, VIEWS, FUNCTIONS)
"""The families of the floor as the performance issue first measured it (tables, keys,
indexes, enums, sequences, views, functions), before introspection read every object kind."""

# What the fidelity work added to introspection: each as the plainest query that brings it.
TABLE_PROPERTIES: Final = """
SELECT c.oid, c.relpersistence, c.reloptions, t.reloptions,
    CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,
    CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END,
    ARRAY(SELECT i.inhparent FROM pg_inherits i WHERE i.inhrelid = c.oid ORDER BY i.inhseqno)
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class t ON t.oid = c.reltoastrelid
WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY($1::text[])
    AND (c.relpersistence = 'u' OR c.reloptions IS NOT NULL OR t.reloptions IS NOT NULL
        OR c.relkind = 'p' OR c.relhassubclass OR c.relispartition)
"""
DEPENDENCIES: Final = """
SELECT d.classid, d.objid, d.objsubid, d.refclassid, d.refobjid, d.refobjsubid, d.deptype
FROM pg_depend d
WHERE d.deptype = 'n' AND d.objid >= 16384
"""
PRIVILEGES: Final = """
SELECT c.oid, 0 AS subid, c.relowner, c.relacl
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S') AND n.nspname = ANY($1::text[])
UNION ALL
SELECT a.attrelid, a.attnum, 0, a.attacl
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE a.attacl IS NOT NULL AND n.nspname = ANY($1::text[])
UNION ALL
SELECT p.oid, 0, p.proowner, p.proacl
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = ANY($1::text[])
UNION ALL
SELECT t.oid, 0, t.typowner, t.typacl
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE t.typtype IN ('e', 'd', 'c') AND t.typrelid = 0 AND n.nspname = ANY($1::text[])
UNION ALL
SELECT n.oid, 0, n.nspowner, n.nspacl FROM pg_namespace n WHERE n.nspname = ANY($1::text[])
"""
COMMENTS: Final = """
SELECT d.classoid, d.objoid, d.objsubid, d.description
FROM pg_description d
WHERE d.objoid >= 16384
"""
TRIGGERS: Final = """
SELECT t.tgrelid, t.tgname, t.tgenabled, pg_get_triggerdef(t.oid)
FROM pg_trigger t
JOIN pg_class c ON c.oid = t.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE NOT t.tgisinternal AND n.nspname = ANY($1::text[])
"""
ROW_SECURITY: Final = """
SELECT c.oid, c.relrowsecurity, c.relforcerowsecurity, p.polname, p.polcmd, p.polpermissive,
    p.polroles, pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid)
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_policy p ON p.polrelid = c.oid
WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY($1::text[])
    AND (c.relrowsecurity OR c.relforcerowsecurity OR p.oid IS NOT NULL)
"""
DOMAINS_AND_TYPES: Final = """
SELECT t.oid, t.typname, t.typtype, format_type(t.typbasetype, t.typtypmod), t.typnotnull,
    pg_get_expr(t.typdefaultbin, 0), a.attname, format_type(a.atttypid, a.atttypmod),
    con.conname, pg_get_constraintdef(con.oid)
FROM pg_type t
JOIN pg_namespace n ON n.oid = t.typnamespace
LEFT JOIN pg_class c ON c.oid = t.typrelid AND c.relkind = 'c'
LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_constraint con ON con.contypid = t.oid
WHERE (t.typtype = 'd' OR c.oid IS NOT NULL) AND n.nspname = ANY($1::text[])
"""
AGGREGATES: Final = """
SELECT p.oid, p.proname, pg_get_function_identity_arguments(p.oid), a.aggtransfn::text,
    a.aggfinalfn::text, format_type(a.aggtranstype, NULL), a.agginitval
FROM pg_aggregate a
JOIN pg_proc p ON p.oid = a.aggfnoid
JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = ANY($1::text[])
"""
STATISTICS: Final = """
SELECT s.oid, s.stxname, s.stxrelid, s.stxkeys::text, s.stxkind::text,
    pg_get_statisticsobjdef_expressions(s.oid)::text[]
FROM pg_statistic_ext s
JOIN pg_namespace n ON n.oid = s.stxnamespace
WHERE n.nspname = ANY($1::text[])
"""
EXTENSIONS_AND_SETTINGS: Final = """
SELECT e.extname, e.extversion, n.nspname, NULL::text[]
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
UNION ALL
SELECT NULL, NULL, NULL, s.setconfig
FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase
WHERE d.datname = current_database() AND s.setrole = 0
"""
FIDELITY_QUERIES: Final = (
    TABLE_PROPERTIES,
    DEPENDENCIES,
    PRIVILEGES,
    COMMENTS,
    TRIGGERS,
    ROW_SECURITY,
    DOMAINS_AND_TYPES,
    AGGREGATES,
    STATISTICS,
    EXTENSIONS_AND_SETTINGS,
)
"""The kinds the fidelity work added to introspection: part of the floor since then."""
QUERIES: Final = CORE_QUERIES + FIDELITY_QUERIES


async def read_catalog(
    pool: asyncpg.Pool[Any], schemas: list[str], queries: tuple[str, ...] = QUERIES
) -> int:
    """Run the catalog queries at once, one connection each; return the rows fetched.

    The cyclic collector is paused meanwhile: in the process that also holds a large model
    (the floor is timed alternately with ``analyze()``), collections set off by the floor's
    rows would walk that model and charge the floor for it (at 10,000 tables, half of its
    time). linkgress pauses it in its own CPU-bound stages too.
    """
    counts: list[int] = []

    async def fetch(query: str) -> None:
        arguments = [schemas] if "$1" in query else []
        async with pool.acquire() as conn:
            counts.append(len(await conn.fetch(query, *arguments)))

    with paused_gc():
        async with anyio.create_task_group() as tg:
            for query in queries:
                tg.start_soon(fetch, query)
    return sum(counts)


async def prepare_everywhere(
    pool: asyncpg.Pool[Any], schemas: list[str], queries: tuple[str, ...] = QUERIES
) -> None:
    """Run every query once on every connection of ``pool``, so that none of them is parsed
    again whichever connection it gets: the floor at its best, as a warm process has it."""
    connections = [await pool.acquire() for _ in range(pool.get_max_size())]
    try:
        for conn in connections:
            for query in queries:
                await conn.fetch(query, *([schemas] if "$1" in query else []))
    finally:
        for conn in connections:
            await pool.release(conn)


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

    with paused_gc():
        async with anyio.create_task_group() as tg:
            for families in SPLIT:
                tg.start_soon(fetch, families)
    return sum(counts)


async def run_ddl(conn: asyncpg.Connection[Any], script: str) -> None:
    """Send the whole DDL script in one multi-statement call inside one transaction."""
    async with conn.transaction():
        await conn.execute(script)
