-- The requested schemas that exist, each with its enum types (one row per enum, or a single
-- row with a NULL enum_name for a schema without enums). Labels come in sort order.
-- Types that belong to an extension are the extension's business, not the model's.
-- Labels are cast to text: asyncpg decodes text[] natively but would look up name[] on
-- every new connection, one more round trip.
SELECT
    n.nspname AS schema_name,
    t.typname AS enum_name,
    array_agg(e.enumlabel::text ORDER BY e.enumsortorder)
        FILTER (WHERE e.enumlabel IS NOT NULL) AS labels
FROM pg_namespace AS n
LEFT JOIN pg_type AS t
    ON t.typnamespace = n.oid
    AND t.typtype = 'e'
    AND NOT EXISTS (
        SELECT FROM pg_depend AS x
        WHERE x.classid = 'pg_catalog.pg_type'::regclass
            AND x.objid = t.oid
            AND x.deptype = 'e'
    )
LEFT JOIN pg_enum AS e ON e.enumtypid = t.oid
WHERE n.nspname = ANY($1::text[])
GROUP BY n.nspname, t.oid, t.typname
ORDER BY n.nspname, t.typname
