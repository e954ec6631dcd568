-- Standalone composite types (CREATE TYPE ... AS (...); not the row types of tables and
-- views, which pg_type also lists), not extension members, one row per attribute in
-- attnum order (a type without attributes yields one row with NULL attribute fields).
-- collation_name only where the attribute's collation is not its type's default.
SELECT
    n.nspname AS schema_name,
    t.typname AS type_name,
    a.attname AS attribute_name,
    format_type(a.atttypid, a.atttypmod) AS data_type,
    CASE WHEN a.attcollation <> at.typcollation THEN
        CASE WHEN cn.nspname = 'pg_catalog' THEN quote_ident(co.collname)
            ELSE quote_ident(cn.nspname) || '.' || quote_ident(co.collname) END
    END AS collation_name
FROM pg_type AS t
JOIN pg_namespace AS n ON n.oid = t.typnamespace
JOIN pg_class AS c ON c.oid = t.typrelid AND c.relkind = 'c'
LEFT JOIN pg_attribute AS a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_type AS at ON at.oid = a.atttypid
LEFT JOIN pg_collation AS co ON co.oid = a.attcollation
LEFT JOIN pg_namespace AS cn ON cn.oid = co.collnamespace
WHERE t.typtype = 'c'
    AND n.nspname = ANY($1::text[])
    AND t.oid NOT IN (
        SELECT x.objid FROM pg_depend AS x
        WHERE x.refclassid = 'pg_catalog.pg_extension'::regclass
            AND x.classid = 'pg_catalog.pg_type'::regclass AND x.deptype = 'e'
    )
ORDER BY n.nspname, t.typname, a.attnum
