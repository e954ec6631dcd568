-- Primary key, unique, check and foreign-key constraints of the tables in the requested
-- schemas. Other kinds (PostgreSQL 18's NOT NULL rows 'n', exclusion 'x', constraint
-- triggers 't') are not modelled. conparentid <> 0 marks a constraint cloned onto a
-- partition, or onto a partitioned parent for each partition of a referenced table: the
-- user declared only the root one. A CHECK a table inherits (conislocal false: from a
-- classic parent, or every parent CHECK on a partition) is its parent's declaration, not
-- the table's. A partition's copies of its parent's primary key and unique constraints are
-- read as copies (is_copy). columns are the constrained table's column numbers in
-- conkey order, named from the tables_columns rows; the referenced table may lie outside
-- the requested schemas, so its column names are looked up here, in confkey order.
-- Column names and numbers are cast to text: asyncpg decodes text[] natively but would look
-- up name[] or int2[] on every new connection, one more round trip. Each name is a scalar subquery so that
-- pg_attribute is probed by (attrelid, attnum) rather than scanned per table.
SELECT
    con.conrelid AS table_oid,
    con.conname AS constraint_name,
    con.contype::text AS kind,
    con.conparentid <> 0 AS is_copy,
    con.conkey::text[] AS columns,
    CASE WHEN con.contype = 'c' THEN pg_get_expr(con.conbin, con.conrelid) END AS expression,
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
    con.confupdtype::text AS on_update
FROM pg_constraint AS con
JOIN pg_class AS c ON c.oid = con.conrelid
JOIN pg_namespace AS n ON n.oid = c.relnamespace
LEFT JOIN pg_class AS rc ON rc.oid = con.confrelid
LEFT JOIN pg_namespace AS rn ON rn.oid = rc.relnamespace
WHERE con.contype IN ('p', 'u', 'c', 'f')
    AND (
        (con.conparentid = 0 AND con.conislocal)
        -- A partition's copies of its parent's keys, under their own names: what a detached
        -- partition keeps (is_copy).
        OR (con.conparentid <> 0 AND con.contype IN ('p', 'u') AND c.relispartition)
    )
    AND c.relkind IN ('r', 'p')
    AND n.nspname = ANY($1::text[])
