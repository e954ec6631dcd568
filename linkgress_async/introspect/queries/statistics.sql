-- Extended statistics objects (CREATE STATISTICS) in the requested schemas: their table,
-- columns (in column order), expressions (as the server prints them) and kinds, where
-- 'e' (expression statistics, implied by expressions) is left out.
SELECT
    n.nspname AS schema_name,
    s.stxname AS statistics_name,
    tn.nspname AS table_schema,
    c.relname AS table_name,
    ARRAY(
        SELECT a.attname::text
        FROM unnest(s.stxkeys) AS k (attnum)
        JOIN pg_attribute AS a ON a.attrelid = s.stxrelid AND a.attnum = k.attnum
        ORDER BY k.attnum
    ) AS columns,
    coalesce(pg_get_statisticsobjdef_expressions(s.oid)::text[], '{}') AS expressions,
    ARRAY(
        SELECT CASE kind WHEN 'd' THEN 'ndistinct' WHEN 'f' THEN 'dependencies'
            ELSE 'mcv' END
        FROM unnest(s.stxkind::text[]) AS kind
        WHERE kind IN ('d', 'f', 'm')
    ) AS kinds
FROM pg_statistic_ext AS s
JOIN pg_namespace AS n ON n.oid = s.stxnamespace
JOIN pg_class AS c ON c.oid = s.stxrelid
JOIN pg_namespace AS tn ON tn.oid = c.relnamespace
WHERE n.nspname = ANY($1::text[])
ORDER BY 1, 2
