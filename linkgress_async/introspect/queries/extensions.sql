-- Extensions installed in the requested schemas, with the version installed. The objects
-- an extension owns are never read by the other families (pg_depend deptype 'e'): the
-- extension stands for them.
SELECT
    e.extname AS extension_name,
    n.nspname AS schema_name,
    e.extversion AS version
FROM pg_extension AS e
JOIN pg_namespace AS n ON n.oid = e.extnamespace
WHERE n.nspname = ANY($1::text[])
ORDER BY 1
