-- Aggregates (prokind 'a', not extension members) with what CREATE AGGREGATE stores, each
-- value in the server's spelling: functions as regproc prints them (schema-qualified
-- outside pg_catalog), types by format_type, the sort operator by name (OPERATOR(schema.op)
-- outside pg_catalog). Values equal to CREATE AGGREGATE's defaults come as NULL (0 for the
-- state sizes), as pg_dump leaves them out. The finalfunc_modify defaults depend on kind:
-- READ_ONLY for normal aggregates, READ_WRITE for ordered-set ones.
SELECT
    n.nspname AS schema_name,
    p.proname AS aggregate_name,
    pg_get_function_identity_arguments(p.oid) AS identity_args,
    pg_get_function_arguments(p.oid) AS arguments,
    a.aggkind::text AS kind,
    a.aggtransfn::regproc::text AS sfunc,
    format_type(a.aggtranstype, NULL) AS stype,
    a.aggtransspace AS sspace,
    nullif(a.aggfinalfn::regproc::text, '-') AS finalfunc,
    a.aggfinalextra AS finalfunc_extra,
    a.aggfinalmodify::text AS finalfunc_modify,
    nullif(a.aggcombinefn::regproc::text, '-') AS combinefunc,
    nullif(a.aggserialfn::regproc::text, '-') AS serialfunc,
    nullif(a.aggdeserialfn::regproc::text, '-') AS deserialfunc,
    a.agginitval AS initcond,
    nullif(a.aggmtransfn::regproc::text, '-') AS msfunc,
    nullif(a.aggminvtransfn::regproc::text, '-') AS minvfunc,
    CASE WHEN a.aggmtranstype <> 0 THEN format_type(a.aggmtranstype, NULL) END AS mstype,
    a.aggmtransspace AS msspace,
    nullif(a.aggmfinalfn::regproc::text, '-') AS mfinalfunc,
    a.aggmfinalextra AS mfinalfunc_extra,
    a.aggmfinalmodify::text AS mfinalfunc_modify,
    a.aggminitval AS minitcond,
    CASE WHEN a.aggsortop <> 0 THEN
        CASE WHEN opn.nspname = 'pg_catalog' THEN op.oprname::text
            ELSE 'OPERATOR(' || quote_ident(opn.nspname) || '.' || op.oprname || ')' END
    END AS sortop,
    p.proparallel::text AS parallel
FROM pg_aggregate AS a
JOIN pg_proc AS p ON p.oid = a.aggfnoid
JOIN pg_namespace AS n ON n.oid = p.pronamespace
LEFT JOIN pg_operator AS op ON op.oid = a.aggsortop
LEFT JOIN pg_namespace AS opn ON opn.oid = op.oprnamespace
WHERE n.nspname = ANY($1::text[])
    AND p.oid NOT IN (
        SELECT x.objid FROM pg_depend AS x
        WHERE x.refclassid = 'pg_catalog.pg_extension'::regclass
            AND x.classid = 'pg_catalog.pg_proc'::regclass AND x.deptype = 'e'
    )
ORDER BY 1, 2, 3
