-- The sequences that belong to a column of a table in the requested schemas: identity
-- sequences (deptype 'i') and sequences owned by a column (deptype 'a', as serial makes).
--
-- serial_default is the text pg_get_expr prints for nextval() of the sequence, built the
-- way it prints a regclass constant (quotes doubled; the caller pins
-- standard_conforming_strings on): a column is serial when its default is exactly that.
-- A sequence owned by a column that is not serial is a standalone sequence with OWNED BY
-- (OWNED BY needs the table's schema, so it is the table's); data_type is for that case.
--
-- The tables of the requested schemas are found first, in a subquery the planner keeps
-- apart (OFFSET 0): with everything in one join level the server went through every
-- sequence of the database before the schemas narrowed them, so that reading one schema of
-- many (or the scratch schema a model is spelled in) cost as much as reading them all.
SELECT
    d.refobjid::int8 AS table_oid,
    d.refobjsubid AS column_number,
    d.deptype::text AS dependency,
    sc.relname AS sequence_name,
    format_type(s.seqtypid, NULL) AS data_type,
    'nextval(''' || replace(sc.oid::regclass::text, '''', '''''') || '''::regclass)'
        AS serial_default,
    s.seqstart AS start_with,
    s.seqincrement AS increment_by,
    s.seqmin AS min_value,
    s.seqmax AS max_value,
    s.seqcache AS cache,
    s.seqcycle AS cycle
FROM pg_depend AS d
JOIN pg_class AS sc ON sc.oid = d.objid AND sc.relkind = 'S'
JOIN pg_sequence AS s ON s.seqrelid = sc.oid
JOIN (
    SELECT c.oid
    FROM pg_class AS c
    JOIN pg_namespace AS n ON n.oid = c.relnamespace
    -- The kinds of relation a sequence can belong to a column of.
    WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm') AND n.nspname = ANY($1::text[])
    OFFSET 0
) AS c ON c.oid = d.refobjid
WHERE d.classid = 'pg_catalog.pg_class'::regclass
    AND d.refclassid = 'pg_catalog.pg_class'::regclass
    AND d.refobjsubid > 0
    AND d.deptype IN ('a', 'i')
ORDER BY d.refobjid, d.refobjsubid, sc.relname
