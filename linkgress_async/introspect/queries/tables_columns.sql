-- Ordinary and partitioned tables and partitions (not extension members) with their live
-- columns in attnum order; a table without columns yields one row with NULL column fields.
-- The sequences behind identity and serial columns come from column_sequences.sql, which
-- runs at the same time: joining them here made this, the largest query, twice as costly.
-- Table-level properties (persistence, options, partitioning, inheritance) come from
-- table_properties.sql, which returns rows only for the few tables that have any.
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
    a.attnum AS column_number,
    a.attname AS column_name,
    format_type(a.atttypid, a.atttypmod) AS data_type,
    a.attnotnull AS not_null,
    CASE WHEN a.attgenerated = '' THEN pg_get_expr(ad.adbin, ad.adrelid) END AS default_expr,
    a.attidentity::text AS identity_kind,
    a.attislocal AS is_local,
    -- Only collatable columns look their type up: joining pg_type for every column made
    -- this query half as slow again.
    CASE WHEN a.attcollation <> 0 AND a.attcollation <> (
        SELECT ty.typcollation FROM pg_type AS ty WHERE ty.oid = a.atttypid
    ) THEN a.attcollation::regcollation::text END AS collation,
    a.attgenerated::text AS generated_kind,
    CASE WHEN a.attgenerated <> '' THEN pg_get_expr(ad.adbin, ad.adrelid) END AS generated_expr
FROM pg_class AS c
JOIN pg_namespace AS n ON n.oid = c.relnamespace
LEFT JOIN pg_attribute AS a
    ON a.attrelid = c.oid
    AND a.attnum > 0
    AND NOT a.attisdropped
LEFT JOIN pg_attrdef AS ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
WHERE c.relkind IN ('r', 'p')
    AND n.nspname = ANY($1::text[])
    -- NOT IN over the (few) extension members is one hashed lookup per table; NOT EXISTS
    -- was planned as an anti-join that sorts every column row first.
    AND c.oid NOT IN (
        SELECT x.objid FROM pg_depend AS x
        WHERE x.classid = 'pg_catalog.pg_class'::regclass AND x.deptype = 'e'
    )
ORDER BY c.oid, a.attnum
