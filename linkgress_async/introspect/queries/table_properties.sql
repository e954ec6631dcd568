-- Table-level properties that differ from PostgreSQL's defaults, one row per table that has
-- any: UNLOGGED, storage parameters (the table's reloptions and its TOAST table's, the
-- latter prefixed "toast." as WITH (...) takes them), the partition key of a partitioned
-- table, the parent and bound of a partition, and the parents of classic inheritance in
-- inhseqno order (a partition's one parent is its partitioned table). Most tables have
-- none of these, so the rows are few.
--
-- Parent names are text[], not name[]: asyncpg decodes text[] natively but would look up
-- name[] on every new connection, one more round trip.
--
-- The tables of the requested schemas are found first, in a subquery the planner keeps
-- apart (OFFSET 0): with everything in one join level the server looked up the TOAST table
-- and the parents of every table of the database before the schemas narrowed them, so that
-- reading one schema of many (or the scratch schema a model is spelled in) cost as much as
-- reading them all.
SELECT
    c.oid::int8 AS table_oid,
    c.relpersistence = 'u' AS unlogged,
    coalesce(c.reloptions, '{}'::text[])
        || ARRAY(SELECT 'toast.' || o FROM unnest(tc.reloptions) AS o) AS options,
    CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partition_by,
    CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END AS partition_bound,
    c.relispartition AS is_partition,
    ARRAY(
        SELECT pn.nspname::text
        FROM pg_inherits AS i
        JOIN pg_class AS pc ON pc.oid = i.inhparent
        JOIN pg_namespace AS pn ON pn.oid = pc.relnamespace
        WHERE i.inhrelid = c.oid
        ORDER BY i.inhseqno
    ) AS parent_schemas,
    ARRAY(
        SELECT pc.relname::text
        FROM pg_inherits AS i
        JOIN pg_class AS pc ON pc.oid = i.inhparent
        WHERE i.inhrelid = c.oid
        ORDER BY i.inhseqno
    ) AS parent_names
FROM (
    SELECT c.oid, c.relkind, c.relpersistence, c.reloptions, c.reltoastrelid,
        c.relispartition, c.relpartbound
    FROM pg_class AS c
    JOIN pg_namespace AS n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY($1::text[])
    OFFSET 0
) AS c
LEFT JOIN pg_class AS tc ON tc.oid = c.reltoastrelid
WHERE c.relpersistence = 'u'
    OR c.reloptions IS NOT NULL
    OR tc.reloptions IS NOT NULL
    OR c.relkind = 'p'
    OR c.relispartition
    OR EXISTS (SELECT FROM pg_inherits AS i WHERE i.inhrelid = c.oid)
ORDER BY c.oid
