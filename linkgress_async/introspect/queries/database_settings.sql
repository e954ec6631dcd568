-- Settings of the current database for every role (ALTER DATABASE ... SET), as stored:
-- 'name=value'. $1 (the schemas) is not needed: a database setting belongs to no schema.
SELECT
    split_part(entry, '=', 1) AS setting_name,
    substr(entry, strpos(entry, '=') + 1) AS setting_value
FROM pg_db_role_setting AS s
CROSS JOIN LATERAL unnest(s.setconfig) AS entry
WHERE s.setrole = 0
  AND s.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND $1::text[] IS NOT NULL
ORDER BY 1
