-- Ordinary and partitioned tables (not partitions, not extension members) with their live
-- columns in attnum order; a table without columns yields one row with NULL column fields.
--
-- is_serial: an integer column whose default is exactly nextval() of a sequence owned by the
-- column (deptype 'a'). The expected text is built the way pg_get_expr prints a regclass
-- constant (quotes doubled; the caller pins standard_conforming_strings on).
--
-- Generated columns keep their expression in pg_attrdef too; it is not a default, so
-- default_expr is NULL for them.
SELECT
    c.oid AS table_oid,
    n.nspname AS schema_name,
    c.relname AS table_name,
    a.attname AS column_name,
    format_type(a.atttypid, a.atttypmod) AS data_type,
    a.attnotnull AS not_null,
    CASE WHEN a.attgenerated = '' THEN pg_get_expr(ad.adbin, ad.adrelid) END AS default_expr,
    a.attidentity::text AS identity_kind,
    a.atttypid IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype)
        AND a.attgenerated = ''
        AND EXISTS (
            SELECT FROM pg_depend AS d
            JOIN pg_class AS sc ON sc.oid = d.objid AND sc.relkind = 'S'
            WHERE d.classid = 'pg_catalog.pg_class'::regclass
                AND d.refclassid = 'pg_catalog.pg_class'::regclass
                AND d.refobjid = c.oid
                AND d.refobjsubid = a.attnum
                AND d.deptype = 'a'
                AND pg_get_expr(ad.adbin, ad.adrelid)
                    = 'nextval(''' || replace(sc.oid::regclass::text, '''', '''''')
                        || '''::regclass)'
        ) AS is_serial,
    ident.sequence_name AS identity_sequence,
    ident.seqstart AS identity_start_with,
    ident.seqincrement AS identity_increment_by,
    ident.seqmin AS identity_min_value,
    ident.seqmax AS identity_max_value,
    ident.seqcache AS identity_cache,
    ident.seqcycle AS identity_cycle
FROM pg_class AS c
JOIN pg_namespace AS n ON n.oid = c.relnamespace
LEFT JOIN pg_attribute AS a
    ON a.attrelid = c.oid
    AND a.attnum > 0
    AND NOT a.attisdropped
LEFT JOIN pg_attrdef AS ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
LEFT JOIN LATERAL (
    SELECT sc.relname AS sequence_name, s.*
    FROM pg_depend AS d
    JOIN pg_class AS sc ON sc.oid = d.objid
    JOIN pg_sequence AS s ON s.seqrelid = sc.oid
    WHERE a.attidentity <> ''
        AND d.classid = 'pg_catalog.pg_class'::regclass
        AND d.refclassid = 'pg_catalog.pg_class'::regclass
        AND d.refobjid = c.oid
        AND d.refobjsubid = a.attnum
        AND d.deptype = 'i'
    LIMIT 1
) AS ident ON true
WHERE c.relkind IN ('r', 'p')
    AND NOT c.relispartition
    AND n.nspname = ANY($1::text[])
    AND NOT EXISTS (
        SELECT FROM pg_depend AS x
        WHERE x.classid = 'pg_catalog.pg_class'::regclass
            AND x.objid = c.oid
            AND x.deptype = 'e'
    )
ORDER BY c.oid, a.attnum
