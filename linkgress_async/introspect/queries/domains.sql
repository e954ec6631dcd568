-- Domains (not extension members), one row each, with their check constraints as parallel
-- arrays in name order. data_type and default_expr follow the column conventions
-- (format_type, pg_get_expr); collation only when it is not the base type's. On PostgreSQL
-- 17 and later a domain's NOT NULL is also a constraint row (contype 'n') with a name of
-- its own; not_null_name is that name (NULL on older servers, which have no such row).
-- not_valid_names are the checks added NOT VALID and not validated since. Arrays are of
-- text: asyncpg decodes text[] natively but would look up name[] (or bool[]) on every new
-- connection, one more round trip.
SELECT
    n.nspname AS schema_name,
    t.typname AS domain_name,
    format_type(t.typbasetype, t.typtypmod) AS data_type,
    pg_get_expr(t.typdefaultbin, 0) AS default_expr,
    t.typnotnull AS not_null,
    CASE WHEN t.typcollation <> bt.typcollation THEN
        CASE WHEN cn.nspname = 'pg_catalog' THEN quote_ident(co.collname)
            ELSE quote_ident(cn.nspname) || '.' || quote_ident(co.collname) END
    END AS collation_name,
    (
        SELECT nn.conname::text FROM pg_constraint AS nn
        WHERE nn.contypid = t.oid AND nn.contype = 'n'
    ) AS not_null_name,
    checks.check_names,
    checks.check_expressions,
    checks.not_valid_names
FROM pg_type AS t
JOIN pg_namespace AS n ON n.oid = t.typnamespace
JOIN pg_type AS bt ON bt.oid = t.typbasetype
LEFT JOIN pg_collation AS co ON co.oid = t.typcollation
LEFT JOIN pg_namespace AS cn ON cn.oid = co.collnamespace
LEFT JOIN LATERAL (
    SELECT
        array_agg(c.conname::text ORDER BY c.conname) AS check_names,
        array_agg(pg_get_expr(c.conbin, 0) ORDER BY c.conname) AS check_expressions,
        array_agg(c.conname::text) FILTER (WHERE NOT c.convalidated) AS not_valid_names
    FROM pg_constraint AS c
    WHERE c.contypid = t.oid AND c.contype = 'c'
) AS checks ON true
WHERE t.typtype = 'd'
    AND n.nspname = ANY($1::text[])
    AND t.oid NOT IN (
        SELECT x.objid FROM pg_depend AS x
        WHERE x.refclassid = 'pg_catalog.pg_extension'::regclass
            AND x.classid = 'pg_catalog.pg_type'::regclass AND x.deptype = 'e'
    )
ORDER BY 1, 2
