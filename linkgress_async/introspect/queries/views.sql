-- Views (not extension members) with their query in the server's spelling, and the
-- relations and functions each one uses: what its rewrite rule depends on in pg_depend.
SELECT
    n.nspname AS schema_name,
    c.relname AS view_name,
    pg_get_viewdef(c.oid, true) AS definition,
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
WHERE c.relkind = 'v'
    AND n.nspname = ANY($1::text[])
    AND c.oid NOT IN (
        SELECT x.objid FROM pg_depend AS x
        WHERE x.classid = 'pg_catalog.pg_class'::regclass AND x.deptype = 'e'
    )
ORDER BY 1, 2
