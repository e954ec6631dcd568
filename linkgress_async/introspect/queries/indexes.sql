-- Indexes of the tables in the requested schemas, except those implementing a primary key,
-- unique or exclusion constraint (a foreign key's conindid names the referenced table's
-- index, hence the filter on contype and conrelid). The first key_count entries of keys are
-- key column numbers (0 marks an expression); the rest are INCLUDE columns. Column numbers
-- are turned into names from the tables_columns rows: cheaper than looking each up here.
-- They come as text[], which asyncpg decodes natively (int2[] would cost a type lookup
-- round trip on every new connection).
--
-- Key options are spelled exactly as pg_get_indexdef decides them. Most indexes are plain:
-- every key with its own collation (a column's; none for an expression of a type without
-- one), the operator class that is the default for exactly the key's type, and no opclass
-- options; pg_get_indexdef prints none of those (an exact default beats any other), so
-- such an index brings only its ordering options (key_options, indoption) and the text of
-- its expressions (key_expressions, NULL where a key is a column), and skips the printing
-- of key_details, which costs more than the rest of the query. The ordering options
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
    i.indoption::int2[]::text[] AS key_options,
    CASE WHEN plain.plain AND 0 = ANY (i.indkey::int2[]) THEN
        ARRAY(
            SELECT CASE WHEN k.attnum = 0 THEN pg_get_indexdef(i.indexrelid, k.ord::int, true) END
            FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k (attnum, ord)
            WHERE k.ord <= i.indnkeyatts
            ORDER BY k.ord
        )
    END AS key_expressions,
    CASE WHEN NOT plain.plain THEN pg_get_indexdef(i.indexrelid, 0, true) END AS definition,
    pg_indexam_has_property(am.oid, 'can_order') AS can_order,
    CASE WHEN NOT plain.plain THEN (
        SELECT json_agg(
            json_build_array(
                CASE WHEN ta.attnum IS NULL THEN pg_get_indexdef(i.indexrelid, k.ord::int, true)
                ELSE quote_ident(ta.attname) END,
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
        LEFT JOIN pg_attribute AS ta
            ON ta.attrelid = i.indrelid AND ta.attnum = (i.indkey::int2[])[k.ord - 1]
        LEFT JOIN pg_collation AS coll ON coll.oid = (i.indcollation::oid[])[k.ord - 1]
        LEFT JOIN pg_namespace AS colln ON colln.oid = coll.collnamespace
    )::text END AS key_details
FROM pg_index AS i
JOIN pg_class AS ic ON ic.oid = i.indexrelid
JOIN pg_class AS c ON c.oid = i.indrelid
JOIN pg_namespace AS n ON n.oid = c.relnamespace
JOIN pg_am AS am ON am.oid = ic.relam
CROSS JOIN LATERAL (
    SELECT NOT EXISTS (
        SELECT FROM generate_series(1, i.indnkeyatts) AS k (ord)
        JOIN pg_opclass AS opc ON opc.oid = (i.indclass::oid[])[k.ord - 1]
        JOIN pg_attribute AS ia ON ia.attrelid = i.indexrelid AND ia.attnum = k.ord
        LEFT JOIN pg_attribute AS ta
            ON ta.attrelid = i.indrelid AND ta.attnum = (i.indkey::int2[])[k.ord - 1]
        WHERE NOT opc.opcdefault
            OR ia.attoptions IS NOT NULL
            OR CASE WHEN ta.attnum IS NOT NULL THEN
                opc.opcintype <> ta.atttypid
                OR (i.indcollation::oid[])[k.ord - 1] <> ta.attcollation
            ELSE
                -- An expression: without a key type of the method's or the opclass's own
                -- (the built-in methods but hash have none), the index column has the
                -- expression's type. Its collation is the expression's own for certain only
                -- when it has none, or when it is the default one and nothing in the
                -- expression can derive another (no COLLATE, no column of another
                -- collation); otherwise the printer judges.
                am.amname NOT IN ('btree', 'gist', 'gin', 'spgist', 'brin')
                OR opc.opckeytype <> 0
                OR opc.opcintype <> ia.atttypid
                OR NOT (
                    (i.indcollation::oid[])[k.ord - 1] = 0
                    OR (
                        (i.indcollation::oid[])[k.ord - 1] = 'default'::regcollation
                        AND strpos(pg_get_expr(i.indexprs, i.indrelid), 'COLLATE') = 0
                        AND NOT EXISTS (
                            SELECT FROM pg_attribute AS other
                            WHERE other.attrelid = i.indrelid
                                AND other.attnum > 0
                                AND NOT other.attisdropped
                                AND other.attcollation NOT IN (0, 'default'::regcollation)
                        )
                    )
                )
            END
    ) AS plain
) AS plain
WHERE c.relkind IN ('r', 'p')
    AND NOT c.relispartition
    AND n.nspname = ANY($1::text[])
    AND NOT EXISTS (
        SELECT FROM pg_constraint AS con
        WHERE con.conindid = i.indexrelid
            AND con.conrelid = i.indrelid
            AND con.contype IN ('p', 'u', 'x')
    )
