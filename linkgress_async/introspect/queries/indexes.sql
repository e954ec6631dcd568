-- Indexes of the tables in the requested schemas, except those implementing a primary key,
-- unique or exclusion constraint (a foreign key's conindid names the referenced table's
-- index, hence the filter on contype and conrelid). The first key_count entries of keys are
-- key column numbers (0 marks an expression); the rest are INCLUDE columns. Column numbers
-- are turned into names from the tables_columns rows: cheaper than looking each up here.
-- They come as text[], which asyncpg decodes natively (int2[] would cost a type lookup
-- round trip on every new connection).
--
-- Key options are spelled exactly as pg_get_indexdef decides them. The ordering options
-- follow from indoption where the access method orders at all (DESC; NULLS FIRST on an
-- ascending key, NULLS LAST on a descending one, the reverse being the default). Whether a
-- collation or an operator class is printed depends on the key's type and collation, which
-- for an expression only the server knows; so each key brings the words it would print
-- (key_details: the key alone, " COLLATE <name>", " <opclass>", " (<options>)") and the
-- assembly finds which of them the server's full definition holds. Names are schema-
-- qualified where not visible under introspection's search_path (pg_catalog), as the server
-- prints them; opclass options come raw (siglen=32) and as printed (siglen='32').
SELECT
    i.indrelid AS table_oid,
    ic.relname AS index_name,
    i.indisunique AS is_unique,
    am.amname AS method,
    CASE WHEN i.indpred IS NOT NULL THEN pg_get_expr(i.indpred, i.indrelid) END AS where_expr,
    i.indkey::int2[]::text[] AS keys,
    i.indnkeyatts AS key_count,
    i.indnullsnotdistinct AS nulls_not_distinct,
    ic.reloptions::text[] AS options,
    pg_get_indexdef(i.indexrelid, 0, true) AS definition,
    pg_indexam_has_property(am.oid, 'can_order') AS can_order,
    (
        SELECT json_agg(
            json_build_array(
                pg_get_indexdef(i.indexrelid, k.ord::int, true),
                CASE WHEN coll.oid IS NOT NULL THEN
                    CASE WHEN pg_collation_is_visible(coll.oid) THEN quote_ident(coll.collname)
                    ELSE quote_ident(colln.nspname) || '.' || quote_ident(coll.collname) END
                END,
                CASE WHEN pg_opclass_is_visible(opc.oid) THEN quote_ident(opc.opcname)
                ELSE quote_ident(opcn.nspname) || '.' || quote_ident(opc.opcname) END,
                ia.attoptions::text[],
                (
                    SELECT string_agg(
                        quote_ident(split_part(o.opt, '=', 1)) || '='
                        || CASE WHEN quote_ident(substr(o.opt, strpos(o.opt, '=') + 1))
                                = substr(o.opt, strpos(o.opt, '=') + 1)
                            THEN substr(o.opt, strpos(o.opt, '=') + 1)
                            ELSE '''' || replace(substr(o.opt, strpos(o.opt, '=') + 1), '''', '''''')
                                || '''' END,
                        ', ' ORDER BY o.ord
                    )
                    FROM unnest(ia.attoptions) WITH ORDINALITY AS o (opt, ord)
                ),
                (i.indoption::int2[])[k.ord - 1]
            )
            ORDER BY k.ord
        )
        FROM generate_series(1, i.indnkeyatts) AS k (ord)
        JOIN pg_opclass AS opc ON opc.oid = (i.indclass::oid[])[k.ord - 1]
        JOIN pg_namespace AS opcn ON opcn.oid = opc.opcnamespace
        JOIN pg_attribute AS ia ON ia.attrelid = i.indexrelid AND ia.attnum = k.ord
        LEFT JOIN pg_collation AS coll ON coll.oid = (i.indcollation::oid[])[k.ord - 1]
        LEFT JOIN pg_namespace AS colln ON colln.oid = coll.collnamespace
    )::text AS key_details
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
