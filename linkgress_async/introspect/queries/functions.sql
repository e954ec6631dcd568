-- Plain functions and procedures (prokind 'f' and 'p', not extension members) with what
-- the server stores about them: the diff compares these fields, not definition, which is
-- pg_get_functiondef without its "CREATE OR REPLACE FUNCTION schema.name" (or PROCEDURE)
-- head: "(arguments) RETURNS ...". A procedure has no result: result is ''.
SELECT
    n.nspname AS schema_name,
    p.proname AS function_name,
    pg_get_function_identity_arguments(p.oid) AS identity_args,
    pg_get_function_arguments(p.oid) AS arguments,
    coalesce(pg_get_function_result(p.oid), '') AS result,
    l.lanname AS language,
    p.prosrc AS source,
    pg_get_function_sqlbody(p.oid) AS sql_body,
    p.provolatile::text AS volatility,
    p.proisstrict AS is_strict,
    p.prosecdef AS security_definer,
    p.proleakproof AS leakproof,
    p.proparallel::text AS parallel,
    p.procost::float8 AS proc_cost,
    p.prorows::float8 AS proc_rows,
    p.proconfig AS config,
    substr(
        pg_get_functiondef(p.oid),
        length(
            CASE p.prokind WHEN 'p' THEN 'CREATE OR REPLACE PROCEDURE '
                ELSE 'CREATE OR REPLACE FUNCTION ' END
            || quote_ident(n.nspname) || '.' || quote_ident(p.proname)
        ) + 1
    ) AS definition,
    CASE p.prokind WHEN 'p' THEN 'procedure' ELSE 'function' END AS kind
FROM pg_proc AS p
JOIN pg_namespace AS n ON n.oid = p.pronamespace
JOIN pg_language AS l ON l.oid = p.prolang
WHERE p.prokind IN ('f', 'p')
    AND n.nspname = ANY($1::text[])
    AND p.oid NOT IN (
        SELECT x.objid FROM pg_depend AS x
        WHERE x.refclassid = 'pg_catalog.pg_extension'::regclass
            AND x.classid = 'pg_catalog.pg_proc'::regclass AND x.deptype = 'e'
    )
ORDER BY 1, 2, 3
