-- The owner and the privileges of every object of the requested schemas that has them:
-- schemas, tables (partitions too), views, materialized views, sequences, columns,
-- functions, procedures, aggregates, types, domains, extended statistics. One row per
-- object with its owner (grantee NULL), and one row per privilege that differs from
-- PostgreSQL's default (acldefault) for the object's kind and owner: a privilege held
-- beyond the default (revoke false; grantable when WITH GRANT OPTION) or a default one
-- taken away (revoke true). The owner's own privileges are left out. An object whose ACL is
-- NULL has the default privileges, so it yields no privilege row. position is where the
-- grantee first appears in the ACL (its order is the order roles were first granted).
--
-- A sequence that belongs to a column (serial, identity) follows its table's owner, so its
-- owner is not reported (its privileges are); columns have no owner of their own.
WITH objects AS (
    SELECT 'schema'::text AS kind, NULL::text AS schema_name, n.nspname::text AS object_name,
        NULL::text AS member, n.nspowner AS owner, true AS has_owner, n.nspacl AS acl,
        'n'::"char" AS acl_type
    FROM pg_namespace AS n
    WHERE n.nspname = ANY($1::text[])
    UNION ALL
    SELECT
        CASE c.relkind
            WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized_view' WHEN 'S' THEN 'sequence'
            ELSE 'table'
        END,
        n.nspname::text, c.relname::text, NULL, c.relowner,
        NOT (c.relkind = 'S' AND EXISTS (
            SELECT FROM pg_depend AS d
            WHERE d.classid = 'pg_catalog.pg_class'::regclass
                AND d.objid = c.oid
                AND d.refclassid = 'pg_catalog.pg_class'::regclass
                AND d.refobjsubid > 0
                AND d.deptype IN ('a', 'i')
        )),
        c.relacl,
        CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char"
    FROM pg_class AS c
    JOIN pg_namespace AS n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S')
        AND n.nspname = ANY($1::text[])
        AND c.oid NOT IN (
            SELECT x.objid FROM pg_depend AS x
            WHERE x.refclassid = 'pg_catalog.pg_extension'::regclass
                AND x.classid = 'pg_catalog.pg_class'::regclass AND x.deptype = 'e'
        )
    UNION ALL
    SELECT 'column', n.nspname::text, c.relname::text, a.attname::text, c.relowner, false,
        a.attacl, 'c'::"char"
    FROM pg_attribute AS a
    JOIN pg_class AS c ON c.oid = a.attrelid
    JOIN pg_namespace AS n ON n.oid = c.relnamespace
    WHERE a.attacl IS NOT NULL
        AND a.attnum > 0
        AND NOT a.attisdropped
        AND c.relkind IN ('r', 'p', 'v', 'm')
        AND n.nspname = ANY($1::text[])
        AND c.oid NOT IN (
            SELECT x.objid FROM pg_depend AS x
            WHERE x.refclassid = 'pg_catalog.pg_extension'::regclass
                AND x.classid = 'pg_catalog.pg_class'::regclass AND x.deptype = 'e'
        )
    UNION ALL
    SELECT
        CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' ELSE 'function' END,
        n.nspname::text, p.proname::text, pg_get_function_identity_arguments(p.oid),
        p.proowner, true, p.proacl, 'f'::"char"
    FROM pg_proc AS p
    JOIN pg_namespace AS n ON n.oid = p.pronamespace
    WHERE n.nspname = ANY($1::text[])
        AND p.oid NOT IN (
            SELECT x.objid FROM pg_depend AS x
            WHERE x.refclassid = 'pg_catalog.pg_extension'::regclass
                AND x.classid = 'pg_catalog.pg_proc'::regclass AND x.deptype = 'e'
        )
    UNION ALL
    -- Types: not array types, nor the row types of tables, views and sequences.
    SELECT CASE WHEN t.typtype = 'd' THEN 'domain' ELSE 'type' END, n.nspname::text,
        t.typname::text, NULL, t.typowner, true, t.typacl, 'T'::"char"
    FROM pg_type AS t
    JOIN pg_namespace AS n ON n.oid = t.typnamespace
    WHERE n.nspname = ANY($1::text[])
        AND NOT (t.typelem <> 0 AND t.typsubscript = 'pg_catalog.array_subscript_handler'::regproc)
        AND (t.typrelid = 0 OR (SELECT tc.relkind FROM pg_class AS tc WHERE tc.oid = t.typrelid) = 'c')
        AND t.oid NOT IN (
            SELECT x.objid FROM pg_depend AS x
            WHERE x.refclassid = 'pg_catalog.pg_extension'::regclass
                AND x.classid = 'pg_catalog.pg_type'::regclass AND x.deptype = 'e'
        )
    UNION ALL
    SELECT 'statistics', n.nspname::text, s.stxname::text, NULL, s.stxowner, true, NULL, NULL
    FROM pg_statistic_ext AS s
    JOIN pg_namespace AS n ON n.oid = s.stxnamespace
    WHERE n.nspname = ANY($1::text[])
        AND s.oid NOT IN (
            SELECT x.objid FROM pg_depend AS x
            WHERE x.refclassid = 'pg_catalog.pg_extension'::regclass
                AND x.classid = 'pg_catalog.pg_statistic_ext'::regclass AND x.deptype = 'e'
        )
)
SELECT o.kind, o.schema_name, o.object_name, o.member, pg_get_userbyid(o.owner)::text AS owner,
    NULL::text AS grantee, NULL::text AS privilege, NULL::bool AS grantable, NULL::bool AS revoke,
    NULL::int AS position
FROM objects AS o
WHERE o.has_owner
UNION ALL
SELECT o.kind, o.schema_name, o.object_name, o.member, NULL,
    CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(g.grantee)::text END,
    g.privilege_type, g.grantable, g.revoke, g.position
FROM objects AS o
CROSS JOIN LATERAL (
    SELECT
        coalesce(held.grantee, dflt.grantee) AS grantee,
        coalesce(held.privilege_type, dflt.privilege_type) AS privilege_type,
        coalesce(held.grantable, false) AS grantable,
        held.grantee IS NULL AS revoke,
        coalesce(held.position, 0)::int AS position
    FROM (
        -- One privilege granted by several grantors is one privilege. aclexplode lists the
        -- ACL's items in order, each item's privileges together.
        SELECT a.grantee, a.privilege_type, bool_or(a.is_grantable) AS grantable,
            min(a.item) AS position
        FROM aclexplode(o.acl) WITH ORDINALITY AS a (grantor, grantee, privilege_type, is_grantable, item)
        WHERE a.grantee <> o.owner
        GROUP BY a.grantee, a.privilege_type
    ) AS held
    FULL JOIN (
        SELECT a.grantee, a.privilege_type
        FROM aclexplode(acldefault(o.acl_type, o.owner)) AS a
        WHERE a.grantee <> o.owner
    ) AS dflt ON dflt.grantee = held.grantee AND dflt.privilege_type = held.privilege_type
    WHERE held.grantee IS NULL OR dflt.grantee IS NULL OR held.grantable
) AS g
WHERE o.acl IS NOT NULL
ORDER BY 1, 2, 3, 4, 6, 7
