-- Primary key, unique, check, foreign-key, exclusion and (PostgreSQL 18) NOT NULL constraints
-- of the tables in the requested schemas. Constraint triggers ('t') are triggers, read with
-- them. conparentid <> 0 marks a constraint cloned onto a partition, or onto a partitioned
-- parent for each partition of a referenced table: the user declared only the root one. A
-- CHECK a table inherits (conislocal false: from a classic parent, or every parent CHECK on a
-- partition) is its parent's declaration, not the table's; a NOT NULL is read whatever its
-- origin, since only its name matters and a partition keeps the name it was made with. A
-- partition's copies of its parent's primary key and unique constraints are read as copies
-- (is_copy). columns are the constrained table's column numbers in conkey order, named from
-- the tables_columns rows (so are delete_set_columns, ON DELETE SET NULL (...)'s list); the
-- referenced table may lie outside the requested schemas, so its column names are looked up
-- here, in confkey order. Column names and numbers are cast to text: asyncpg decodes text[]
-- natively but would look up name[] or int2[] on every new connection, one more round trip.
-- Each name is a scalar subquery so that pg_attribute is probed by (attrelid, attnum) rather
-- than scanned per table.
--
-- A primary key or unique constraint brings its index's INCLUDE columns (index_keys past
-- index_key_count), NULLS NOT DISTINCT and storage parameters. An exclusion constraint is
-- read whole as pg_get_constraintdef prints it; the assembly takes the deferral clauses off
-- its end. conenforced and conperiod exist from PostgreSQL 18 on (see _queries.py for the
-- "since" markers); an older server's constraints are all enforced and none is temporal.
--
-- The tables of the requested schemas are found first, in a subquery the planner keeps
-- apart (OFFSET 0): the NOT NULL name check below probes pg_attribute for each constraint it
-- sees, and with everything in one join level the server ran it on every constraint of the
-- database before the schemas narrowed them, so that reading one schema of many (or the
-- scratch schema a model is spelled in) cost as much as reading them all.
SELECT
    con.conrelid::int8 AS table_oid,
    con.conname AS constraint_name,
    con.contype::text AS kind,
    con.conparentid <> 0 AS is_copy,
    con.conkey::text[] AS columns,
    CASE WHEN con.contype = 'c' THEN pg_get_expr(con.conbin, con.conrelid) END AS expression,
    CASE WHEN con.contype = 'x' THEN pg_get_constraintdef(con.oid, true) END AS definition,
    rn.nspname AS referenced_schema,
    rc.relname AS referenced_table,
    ARRAY(
        SELECT (
            SELECT a.attname::text FROM pg_attribute AS a
            WHERE a.attrelid = con.confrelid AND a.attnum = k.attnum
        )
        FROM unnest(con.confkey) WITH ORDINALITY AS k (attnum, ord)
        ORDER BY k.ord
    ) AS referenced_columns,
    con.confdeltype::text AS on_delete,
    con.confupdtype::text AS on_update,
    con.confmatchtype::text AS match_type,
    con.confdelsetcols::text[] AS delete_set_columns,
    con.condeferrable AS is_deferrable,
    con.condeferred AS initially_deferred,
    con.convalidated AS validated,
    con.connoinherit AS no_inherit,
    true /* since 18: con.conenforced */ AS enforced,
    false /* since 18: con.conperiod */ AS period,
    i.indkey::int2[]::text[] AS index_keys,
    i.indnkeyatts AS index_key_count,
    i.indnullsnotdistinct AS nulls_not_distinct,
    ic.reloptions::text[] AS index_options
FROM pg_constraint AS con
JOIN (
    SELECT c.oid, c.relname, c.relispartition
    FROM pg_class AS c
    JOIN pg_namespace AS n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY($1::text[])
    OFFSET 0
) AS c ON c.oid = con.conrelid
LEFT JOIN pg_class AS rc ON rc.oid = con.confrelid
LEFT JOIN pg_namespace AS rn ON rn.oid = rc.relnamespace
LEFT JOIN pg_index AS i ON con.contype IN ('p', 'u') AND i.indexrelid = con.conindid
LEFT JOIN pg_class AS ic ON ic.oid = i.indexrelid
WHERE con.contype IN ('p', 'u', 'c', 'f', 'x', 'n')
    AND (
        (con.conparentid = 0 AND (con.conislocal OR con.contype = 'n'))
        -- A partition's copies of its parent's keys, under their own names: what a detached
        -- partition keeps (is_copy).
        OR (con.conparentid <> 0 AND con.contype IN ('p', 'u') AND c.relispartition)
    )
    -- A NOT NULL constraint is read only for its name, and only where that is not the
    -- server's ({table}_{column}_not_null; the assembly also knows when it was shortened).
    AND (
        con.contype <> 'n'
        OR con.conname <> c.relname || '_' || (
            SELECT a.attname FROM pg_attribute AS a
            WHERE a.attrelid = con.conrelid AND a.attnum = con.conkey[1]
        ) || '_not_null'
    )
ORDER BY con.oid
