-- Indexes of the tables in the requested schemas, except those implementing a primary key,
-- unique or exclusion constraint (a foreign key's conindid names the referenced table's
-- index, hence the filter on contype and conrelid). The first key_count entries of keys are
-- key column numbers (0 marks an expression, whose text key_expressions holds at the same
-- position; NULL when there is none); the rest are INCLUDE columns. Column numbers are
-- turned into names from the tables_columns rows: cheaper than looking each up here. They
-- come as text[], which asyncpg decodes natively (int2[] would cost a type lookup round
-- trip on every new connection).
SELECT
    i.indrelid AS table_oid,
    ic.relname AS index_name,
    i.indisunique AS is_unique,
    am.amname AS method,
    CASE WHEN i.indpred IS NOT NULL THEN pg_get_expr(i.indpred, i.indrelid) END AS where_expr,
    i.indkey::int2[]::text[] AS keys,
    i.indnkeyatts AS key_count,
    CASE WHEN 0 = ANY (i.indkey::int2[]) THEN
        ARRAY(
            SELECT CASE WHEN k.attnum = 0 THEN pg_get_indexdef(i.indexrelid, k.ord::int, true) END
            FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k (attnum, ord)
            WHERE k.ord <= i.indnkeyatts
            ORDER BY k.ord
        )
    END AS key_expressions
FROM pg_index AS i
JOIN pg_class AS ic ON ic.oid = i.indexrelid
JOIN pg_class AS c ON c.oid = i.indrelid
JOIN pg_namespace AS n ON n.oid = c.relnamespace
JOIN pg_am AS am ON am.oid = ic.relam
-- Materialized views ('m') have indexes too; the assembly gives them to their view.
WHERE c.relkind IN ('r', 'p', 'm')
    AND NOT c.relispartition
    AND n.nspname = ANY($1::text[])
    AND NOT EXISTS (
        SELECT FROM pg_constraint AS con
        WHERE con.conindid = i.indexrelid
            AND con.conrelid = i.indrelid
            AND con.contype IN ('p', 'u', 'x')
    )
