-- Views and materialized views (kind 'v' or 'm'; not extension members) with their query
-- in the server's spelling, their WITH options (reloptions: security_barrier=true,
-- check_option=local, security_invoker=true; fillfactor=70 for a materialized view), and
-- the relations and functions each one uses: what its rewrite rule depends on in pg_depend.
-- A materialized view's indexes come from indexes.sql, which names their keys by column
-- number: column_names holds its columns by attnum (position n is column n).
SELECT
    c.oid::int8 AS relation_oid,
    c.relkind::text AS kind,
    n.nspname AS schema_name,
    c.relname AS view_name,
    pg_get_viewdef(c.oid, true) AS definition,
    c.reloptions::text[] AS options,
    CASE WHEN c.relkind = 'm' THEN
        ARRAY(
            SELECT a.attname::text FROM pg_attribute AS a
            WHERE a.attrelid = c.oid AND a.attnum > 0
            ORDER BY a.attnum
        )
    END AS column_names,
    deps.dep_schemas,
    deps.dep_names
FROM pg_class AS c
JOIN pg_namespace AS n ON n.oid = c.relnamespace
LEFT JOIN LATERAL (
    -- text[], not name[]: asyncpg would look name[] up in the catalog on every new connection.
    SELECT
        array_agg(used.schema_name::text ORDER BY used.schema_name, used.object_name)
            AS dep_schemas,
        array_agg(used.object_name::text ORDER BY used.schema_name, used.object_name)
            AS dep_names
    FROM (
        -- What the rewrite rule depends on: relations (but the view itself) and functions.
        SELECT DISTINCT un.nspname AS schema_name, coalesce(rc.relname, p.proname) AS object_name
        FROM pg_rewrite AS r
        JOIN pg_depend AS d
            ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.objid = r.oid
        LEFT JOIN pg_class AS rc
            ON d.refclassid = 'pg_catalog.pg_class'::regclass
            AND rc.oid = d.refobjid
            AND rc.oid <> c.oid
        LEFT JOIN pg_proc AS p
            ON d.refclassid = 'pg_catalog.pg_proc'::regclass AND p.oid = d.refobjid
        JOIN pg_namespace AS un ON un.oid = coalesce(rc.relnamespace, p.pronamespace)
        WHERE r.ev_class = c.oid
    ) AS used
) AS deps ON true
WHERE c.relkind IN ('v', 'm')
    AND n.nspname = ANY($1::text[])
    AND c.oid NOT IN (
        SELECT x.objid FROM pg_depend AS x
        WHERE x.refclassid = 'pg_catalog.pg_extension'::regclass
            AND x.classid = 'pg_catalog.pg_class'::regclass AND x.deptype = 'e'
    )
ORDER BY n.nspname, c.relname
