-- Indexes of the tables in the requested schemas, except those implementing a primary key,
-- unique or exclusion constraint (a foreign key's conindid names the referenced table's
-- index, hence the filter on contype and conrelid). The first indnkeyatts entries of indkey
-- are keys (attnum 0 marks an expression, printed by pg_get_indexdef); the rest are INCLUDE
-- columns.
-- Column names are cast to text: asyncpg decodes text[] natively but would look up name[]
-- on every new connection, one more round trip. Each name is a scalar subquery so that
-- pg_attribute is probed by (attrelid, attnum) rather than scanned per index. A key that is
-- an expression (attnum 0) has no name and gets its text in key_expressions instead.
SELECT
    i.indrelid AS table_oid,
    ic.relname AS index_name,
    i.indisunique AS is_unique,
    am.amname AS method,
    CASE WHEN i.indpred IS NOT NULL THEN pg_get_expr(i.indpred, i.indrelid) END AS where_expr,
    ARRAY(
        SELECT (
            SELECT a.attname::text FROM pg_attribute AS a
            WHERE a.attrelid = i.indrelid AND a.attnum = k.attnum
        )
        FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k (attnum, ord)
        WHERE k.ord <= i.indnkeyatts
        ORDER BY k.ord
    ) AS key_columns,
    ARRAY(
        SELECT CASE WHEN k.attnum = 0 THEN pg_get_indexdef(i.indexrelid, k.ord::int, true) END
        FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k (attnum, ord)
        WHERE k.ord <= i.indnkeyatts
        ORDER BY k.ord
    ) AS key_expressions,
    ARRAY(
        SELECT (
            SELECT a.attname::text FROM pg_attribute AS a
            WHERE a.attrelid = i.indrelid AND a.attnum = k.attnum
        )
        FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k (attnum, ord)
        WHERE k.ord > i.indnkeyatts
        ORDER BY k.ord
    ) AS include_columns
FROM pg_index AS i
JOIN pg_class AS ic ON ic.oid = i.indexrelid
JOIN pg_class AS c ON c.oid = i.indrelid
JOIN pg_namespace AS n ON n.oid = c.relnamespace
JOIN pg_am AS am ON am.oid = ic.relam
WHERE c.relkind IN ('r', 'p')
    AND NOT c.relispartition
    AND n.nspname = ANY($1::text[])
    AND NOT EXISTS (
        SELECT FROM pg_constraint AS con
        WHERE con.conindid = i.indexrelid
            AND con.conrelid = i.indrelid
            AND con.contype IN ('p', 'u', 'x')
    )
