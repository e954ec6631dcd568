-- Row-level security of the tables in the requested schemas: one row per policy, or one
-- row with NULL policy fields for a table that has RLS switched on but no policy. Tables
-- without either are left out. Roles are sorted by the caller; 0 in polroles is PUBLIC.
-- USING and WITH CHECK are printed like check constraints (pg_get_expr, not pretty).
SELECT
    n.nspname AS schema_name,
    c.relname AS table_name,
    c.relrowsecurity AS rls_enabled,
    c.relforcerowsecurity AS rls_forced,
    pol.polname AS policy_name,
    pol.polcmd::text AS command,
    pol.polpermissive AS permissive,
    ARRAY(
        SELECT CASE WHEN r.oid = 0 THEN 'public' ELSE pg_get_userbyid(r.oid)::text END
        FROM unnest(pol.polroles) AS r (oid)
    ) AS roles,
    pg_get_expr(pol.polqual, pol.polrelid) AS using_expr,
    pg_get_expr(pol.polwithcheck, pol.polrelid) AS check_expr
FROM pg_class AS c
JOIN pg_namespace AS n ON n.oid = c.relnamespace
LEFT JOIN pg_policy AS pol ON pol.polrelid = c.oid
WHERE c.relkind IN ('r', 'p')
    AND n.nspname = ANY($1::text[])
    AND (c.relrowsecurity OR c.relforcerowsecurity OR pol.oid IS NOT NULL)
    AND c.oid NOT IN (
        SELECT x.objid FROM pg_depend AS x
        WHERE x.refclassid = 'pg_catalog.pg_extension'::regclass
            AND x.classid = 'pg_catalog.pg_class'::regclass AND x.deptype = 'e'
    )
ORDER BY 1, 2, 5
