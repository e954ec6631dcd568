-- Every comment (pg_description) on an object of the requested schemas, whatever its kind,
-- named the way catalog.ObjectRef names it: kind, schema, name, member. One branch per
-- catalog the comment's classoid points into. Objects that belong to an extension (or live
-- on a relation or type that does) are skipped; so are clones on partitions (conparentid,
-- tgparentid), internal triggers, array types and tables' row types. Comments on objects
-- the catalog does not model (operators, collations, rules...) are not read.
WITH described AS (
    -- Objects initdb made have oids below 16384 (FirstNormalObjectId): thousands of the
    -- system's own comments, skipped at once, but for the schemas (public is one of them).
    SELECT d.classoid, d.objoid, d.objsubid, d.description
    FROM pg_description AS d
    WHERE d.objoid >= 16384 OR d.classoid = 'pg_catalog.pg_namespace'::regclass
),
members AS (
    SELECT x.classid, x.objid FROM pg_depend AS x
    WHERE x.refclassid = 'pg_catalog.pg_extension'::regclass AND x.deptype = 'e'
)
-- schemas
SELECT 'schema' AS kind, NULL::text AS schema_name, n.nspname::text AS object_name,
    NULL::text AS member, d.description
FROM described AS d
JOIN pg_namespace AS n ON d.classoid = 'pg_catalog.pg_namespace'::regclass AND n.oid = d.objoid
WHERE n.nspname = ANY($1::text[])
UNION ALL
-- extensions installed in the schemas
SELECT 'extension', NULL, e.extname::text, NULL, d.description
FROM described AS d
JOIN pg_extension AS e ON d.classoid = 'pg_catalog.pg_extension'::regclass AND e.oid = d.objoid
JOIN pg_namespace AS n ON n.oid = e.extnamespace
WHERE n.nspname = ANY($1::text[])
UNION ALL
-- types (enums, composites, ranges...) and domains
SELECT CASE WHEN t.typtype = 'd' THEN 'domain' ELSE 'type' END, n.nspname::text,
    t.typname::text, NULL, d.description
FROM described AS d
JOIN pg_type AS t ON d.classoid = 'pg_catalog.pg_type'::regclass AND t.oid = d.objoid
JOIN pg_namespace AS n ON n.oid = t.typnamespace
LEFT JOIN pg_class AS tc ON tc.oid = t.typrelid
WHERE n.nspname = ANY($1::text[])
    AND (tc.oid IS NULL OR tc.relkind = 'c')
    AND NOT (t.typelem <> 0 AND t.typsubscript = 'pg_catalog.array_subscript_handler'::regproc)
    AND (d.classoid, d.objoid) NOT IN (SELECT * FROM members)
UNION ALL
-- relations and their columns (a composite type's attributes are columns of its relation)
SELECT
    CASE
        WHEN d.objsubid <> 0 THEN 'column'
        WHEN c.relkind IN ('r', 'p') THEN 'table'
        WHEN c.relkind = 'v' THEN 'view'
        WHEN c.relkind = 'm' THEN 'materialized_view'
        WHEN c.relkind = 'S' THEN 'sequence'
        ELSE 'index'
    END,
    n.nspname::text, c.relname::text, a.attname::text, d.description
FROM described AS d
JOIN pg_class AS c ON d.classoid = 'pg_catalog.pg_class'::regclass AND c.oid = d.objoid
JOIN pg_namespace AS n ON n.oid = c.relnamespace
LEFT JOIN pg_index AS i ON i.indexrelid = c.oid
LEFT JOIN pg_attribute AS a ON d.objsubid <> 0 AND a.attrelid = c.oid AND a.attnum = d.objsubid
WHERE n.nspname = ANY($1::text[])
    AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'i', 'I', 'c')
    AND (c.relkind <> 'c' OR d.objsubid <> 0)
    AND (d.objsubid = 0 OR a.attnum IS NOT NULL)
    AND ('pg_catalog.pg_class'::regclass, coalesce(i.indrelid, c.oid)) NOT IN (SELECT * FROM members)
    AND ('pg_catalog.pg_type'::regclass, c.reltype) NOT IN (SELECT * FROM members)
UNION ALL
-- constraints of tables and of domains
SELECT CASE WHEN con.contypid <> 0 THEN 'domain_constraint' ELSE 'constraint' END,
    n.nspname::text, coalesce(c.relname, t.typname)::text, con.conname::text, d.description
FROM described AS d
JOIN pg_constraint AS con
    ON d.classoid = 'pg_catalog.pg_constraint'::regclass AND con.oid = d.objoid
JOIN pg_namespace AS n ON n.oid = con.connamespace
LEFT JOIN pg_class AS c ON c.oid = con.conrelid AND con.conrelid <> 0
LEFT JOIN pg_type AS t ON t.oid = con.contypid AND con.contypid <> 0
WHERE n.nspname = ANY($1::text[])
    AND con.conparentid = 0
    AND coalesce(c.oid, t.oid) IS NOT NULL
    AND ('pg_catalog.pg_class'::regclass, con.conrelid) NOT IN (SELECT * FROM members)
    AND ('pg_catalog.pg_type'::regclass, con.contypid) NOT IN (SELECT * FROM members)
UNION ALL
-- triggers
SELECT 'trigger', n.nspname::text, c.relname::text, tg.tgname::text, d.description
FROM described AS d
JOIN pg_trigger AS tg ON d.classoid = 'pg_catalog.pg_trigger'::regclass AND tg.oid = d.objoid
JOIN pg_class AS c ON c.oid = tg.tgrelid
JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE n.nspname = ANY($1::text[])
    AND NOT tg.tgisinternal
    AND tg.tgparentid = 0
    AND ('pg_catalog.pg_class'::regclass, c.oid) NOT IN (SELECT * FROM members)
UNION ALL
-- row-level security policies
SELECT 'policy', n.nspname::text, c.relname::text, pol.polname::text, d.description
FROM described AS d
JOIN pg_policy AS pol ON d.classoid = 'pg_catalog.pg_policy'::regclass AND pol.oid = d.objoid
JOIN pg_class AS c ON c.oid = pol.polrelid
JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE n.nspname = ANY($1::text[])
    AND ('pg_catalog.pg_class'::regclass, c.oid) NOT IN (SELECT * FROM members)
UNION ALL
-- functions, procedures, aggregates (window functions are functions)
SELECT
    CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' ELSE 'function' END,
    n.nspname::text, p.proname::text, pg_get_function_identity_arguments(p.oid), d.description
FROM described AS d
JOIN pg_proc AS p ON d.classoid = 'pg_catalog.pg_proc'::regclass AND p.oid = d.objoid
JOIN pg_namespace AS n ON n.oid = p.pronamespace
WHERE n.nspname = ANY($1::text[])
    AND (d.classoid, d.objoid) NOT IN (SELECT * FROM members)
UNION ALL
-- extended statistics
SELECT 'statistics', n.nspname::text, s.stxname::text, NULL, d.description
FROM described AS d
JOIN pg_statistic_ext AS s
    ON d.classoid = 'pg_catalog.pg_statistic_ext'::regclass AND s.oid = d.objoid
JOIN pg_namespace AS n ON n.oid = s.stxnamespace
WHERE n.nspname = ANY($1::text[])
    AND (d.classoid, d.objoid) NOT IN (SELECT * FROM members)
ORDER BY 1, 2, 3, 4
