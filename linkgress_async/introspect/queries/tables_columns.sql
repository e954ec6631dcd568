-- Ordinary and partitioned tables and partitions (not extension members), one row each, with
-- their live columns in attnum order as one JSON array (NULL for a table without columns).
-- The sequences behind identity and serial columns come from column_sequences.sql, which
-- runs at the same time: joining them here made this, the largest query, twice as costly.
-- Table-level properties (persistence, options, partitioning, inheritance) come from
-- table_properties.sql, which returns rows only for the few tables that have any.
--
-- A column is [number, name, type, not null, default, is local] and, only when it has any
-- of them, [..., identity kind, collation, generated kind, generated expression]: a row per
-- column naming its table cost twice the server's time and the client's decoding.
--
-- Every column comes, so that constraints and indexes can name the columns they use; the
-- assembler keeps those a table declares itself: all of a partition's (its own attribute
-- order, which may differ from its parent's), and the local ones (attislocal) of a classic
-- inheritance child. A generated column's expression is in pg_attrdef too; it is not a
-- default. collation is set only where it is not the type's default, spelled as COLLATE
-- takes it (regcollation: quoted where needed, qualified outside pg_catalog).
SELECT
    c.oid::int8 AS table_oid,
    n.nspname AS schema_name,
    c.relname AS table_name,
    c.relispartition AS is_partition,
    (
        SELECT pg_catalog.json_agg(
            CASE WHEN a.attidentity <> '' OR a.attgenerated <> '' OR x.collation IS NOT NULL
            THEN pg_catalog.json_build_array(
                a.attnum,
                a.attname,
                format_type(a.atttypid, a.atttypmod),
                a.attnotnull,
                CASE WHEN a.attgenerated = '' THEN pg_get_expr(ad.adbin, ad.adrelid) END,
                a.attislocal,
                a.attidentity,
                x.collation,
                a.attgenerated,
                CASE WHEN a.attgenerated <> '' THEN pg_get_expr(ad.adbin, ad.adrelid) END
            )
            ELSE pg_catalog.json_build_array(
                a.attnum,
                a.attname,
                format_type(a.atttypid, a.atttypmod),
                a.attnotnull,
                pg_get_expr(ad.adbin, ad.adrelid),
                a.attislocal
            )
            END
            ORDER BY a.attnum
        )
        FROM pg_attribute AS a
        LEFT JOIN pg_attrdef AS ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
        -- Only collatable columns look their type up: joining pg_type for every column made
        -- the query half as slow again.
        CROSS JOIN LATERAL (
            SELECT CASE WHEN a.attcollation <> 0 AND a.attcollation <> (
                SELECT ty.typcollation FROM pg_type AS ty WHERE ty.oid = a.atttypid
            ) THEN a.attcollation::regcollation::text END AS collation
        ) AS x
        WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    ) AS columns
FROM pg_class AS c
JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p')
    AND n.nspname = ANY($1::text[])
    -- NOT IN over the (few) extension members is one hashed lookup per table; NOT EXISTS
    -- was planned as an anti-join that sorts every column row first. The members are found
    -- through pg_depend's index on what they reference (see _queries.py).
    AND c.oid NOT IN (
        SELECT x.objid FROM pg_depend AS x
        WHERE x.refclassid = 'pg_catalog.pg_extension'::regclass
            AND x.classid = 'pg_catalog.pg_class'::regclass AND x.deptype = 'e'
    )
ORDER BY c.oid
