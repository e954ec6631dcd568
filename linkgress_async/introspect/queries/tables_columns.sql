-- Ordinary and partitioned tables (not partitions, not extension members) with their live
-- columns in attnum order; a table without columns yields one row with NULL column fields.
-- The sequences behind identity and serial columns come from column_sequences.sql, which
-- runs at the same time: joining them here made this, the largest query, twice as costly.
--
-- Generated columns keep their expression in pg_attrdef too; it is not a default, so
-- default_expr is NULL for them.
SELECT
    c.oid AS table_oid,
    n.nspname AS schema_name,
    c.relname AS table_name,
    a.attnum AS column_number,
    a.attname AS column_name,
    format_type(a.atttypid, a.atttypmod) AS data_type,
    a.attnotnull AS not_null,
    CASE WHEN a.attgenerated = '' THEN pg_get_expr(ad.adbin, ad.adrelid) END AS default_expr,
    a.attidentity::text AS identity_kind
FROM pg_class AS c
JOIN pg_namespace AS n ON n.oid = c.relnamespace
LEFT JOIN pg_attribute AS a
    ON a.attrelid = c.oid
    AND a.attnum > 0
    AND NOT a.attisdropped
LEFT JOIN pg_attrdef AS ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
WHERE c.relkind IN ('r', 'p')
    AND NOT c.relispartition
    AND n.nspname = ANY($1::text[])
    -- NOT IN over the (few) extension members is one hashed lookup per table; NOT EXISTS
    -- was planned as an anti-join that sorts every column row first.
    AND c.oid NOT IN (
        SELECT x.objid FROM pg_depend AS x
        WHERE x.classid = 'pg_catalog.pg_class'::regclass AND x.deptype = 'e'
    )
ORDER BY c.oid, a.attnum
