-- Triggers of the tables and views in the requested schemas, as users declared them: not
-- internal ones (the implementation of foreign keys and deferrable uniques) and not the
-- clones a partitioned table's trigger puts on each partition (tgparentid <> 0). Relations
-- that belong to an extension are skipped with their triggers.
--
-- tgtype holds the timing, level and events as bits; tgargs the arguments, each ended by a
-- NUL byte (split by the caller), sent in hex: the rows travel as JSON, which has no bytes. A WHEN condition refers to OLD and NEW, which pg_get_expr
-- cannot print, so the trigger's whole definition comes along for the caller to cut it
-- out, only for triggers that have one. Column names are text[]: asyncpg decodes it
-- natively, name[] would cost a type lookup on every new connection.
SELECT
    n.nspname AS schema_name,
    c.relname AS relation_name,
    t.tgname AS trigger_name,
    t.tgtype::int AS trigger_type,
    t.tgenabled::text AS enabled,
    fn.nspname AS function_schema,
    p.proname AS function_name,
    encode(t.tgargs, 'hex') AS arguments,
    ARRAY(
        SELECT a.attname::text
        FROM unnest(t.tgattr::int2[]) WITH ORDINALITY AS k (attnum, ord)
        JOIN pg_attribute AS a ON a.attrelid = t.tgrelid AND a.attnum = k.attnum
        ORDER BY k.ord
    ) AS update_columns,
    t.tgoldtable::text AS old_table,
    t.tgnewtable::text AS new_table,
    t.tgconstraint <> 0 AS is_constraint,
    t.tgdeferrable AS is_deferrable,
    t.tginitdeferred AS initially_deferred,
    CASE WHEN t.tgqual IS NOT NULL THEN pg_get_triggerdef(t.oid, true) END AS definition
FROM pg_trigger AS t
JOIN pg_class AS c ON c.oid = t.tgrelid
JOIN pg_namespace AS n ON n.oid = c.relnamespace
JOIN pg_proc AS p ON p.oid = t.tgfoid
JOIN pg_namespace AS fn ON fn.oid = p.pronamespace
WHERE NOT t.tgisinternal
    AND t.tgparentid = 0
    AND c.relkind IN ('r', 'p', 'v')
    AND n.nspname = ANY($1::text[])
    AND c.oid NOT IN (
        SELECT x.objid FROM pg_depend AS x
        WHERE x.refclassid = 'pg_catalog.pg_extension'::regclass
            AND x.classid = 'pg_catalog.pg_class'::regclass AND x.deptype = 'e'
    )
ORDER BY 1, 2, 3
