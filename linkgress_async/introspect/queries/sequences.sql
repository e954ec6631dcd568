-- Standalone sequences: those owned by a column (serial, deptype 'a') or implementing an
-- identity (deptype 'i') belong to their column and are read with it.
SELECT
    n.nspname AS schema_name,
    c.relname AS sequence_name,
    format_type(s.seqtypid, NULL) AS data_type,
    s.seqstart AS start_with,
    s.seqincrement AS increment_by,
    s.seqmin AS min_value,
    s.seqmax AS max_value,
    s.seqcache AS cache,
    s.seqcycle AS cycle
FROM pg_class AS c
JOIN pg_namespace AS n ON n.oid = c.relnamespace
JOIN pg_sequence AS s ON s.seqrelid = c.oid
WHERE c.relkind = 'S'
    AND n.nspname = ANY($1::text[])
    AND NOT EXISTS (
        SELECT FROM pg_depend AS d
        WHERE d.classid = 'pg_catalog.pg_class'::regclass
            AND d.objid = c.oid
            AND (
                (d.deptype IN ('a', 'i')
                    AND d.refclassid = 'pg_catalog.pg_class'::regclass
                    AND d.refobjsubid > 0)
                OR d.deptype = 'e'
            )
    )
ORDER BY n.nspname, c.relname
