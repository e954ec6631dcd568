-- Indexes of the tables in the requested schemas, except those implementing a primary key,
-- unique or exclusion constraint (a foreign key's conindid names the referenced table's
-- index, hence the filter on contype and conrelid). is_copy marks a partition's index
-- attached to an index of its parent (relispartition of the index): the parent's index is
-- the declaration. The first key_count entries of keys are
-- key column numbers (0 marks an expression); the rest are INCLUDE columns. Column numbers
-- are turned into names from the tables_columns rows: cheaper than looking each up here.
-- They come as text[], which asyncpg decodes natively (int2[] would cost a type lookup
-- round trip on every new connection).
--
-- Key options are spelled exactly as pg_get_indexdef decides them. Most indexes are plain:
-- every key with its own collation (a column's; none for an expression of a type without
-- collations), the operator class that is the default for exactly the key's type, and no
-- opclass options; pg_get_indexdef prints none of those (an exact default beats any
-- other), so such an index brings only its ordering options (key_options, indoption) and the text of
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
WITH index_keys AS MATERIALIZED (
    -- Every key of the requested tables' indexes with its operator class and, for a
    -- column, the column's type and collation. Done over all the keys at once: per index,
    -- the checks below cost more than the rest of the query.
    SELECT
        i.indexrelid,
        i.indrelid,
        k.ord,
        k.attnum,
        k.key_collation,
        am.amname,
        opc.oid AS opclass,
        opc.opcmethod,
        opc.opcdefault,
        opc.opcintype,
        opc.opckeytype,
        ta.atttypid,
        ta.attcollation,
        tt.typtype,
        tt.typcategory
    FROM pg_index AS i
    JOIN pg_class AS c ON c.oid = i.indrelid
    JOIN pg_namespace AS n ON n.oid = c.relnamespace
    JOIN pg_class AS ic ON ic.oid = i.indexrelid
    JOIN pg_am AS am ON am.oid = ic.relam
    CROSS JOIN LATERAL unnest(i.indkey::int2[], i.indclass::oid[], i.indcollation::oid[])
        WITH ORDINALITY AS k (attnum, opclass, key_collation, ord)
    JOIN pg_opclass AS opc ON opc.oid = k.opclass
    LEFT JOIN pg_attribute AS ta ON ta.attrelid = i.indrelid AND ta.attnum = k.attnum
    LEFT JOIN pg_type AS tt ON tt.oid = ta.atttypid
    WHERE n.nspname = ANY($1::text[])
        AND k.ord <= i.indnkeyatts
),
borrowed_defaults AS (
    -- The default operator class of a method for a column type without one of its own
    -- (varchar: text_ops), as the server chooses it: the one default whose type the values
    -- reach without a function (an implicit binary cast, or a pseudo-type taking any
    -- scalar), the one of the preferred type of their category where several are; NULL
    -- where the choice is less simple, so that the printer judges. Worked out once per
    -- method and type.
    SELECT
        pair.opcmethod,
        pair.atttypid,
        (
            SELECT CASE
                WHEN count(*) FILTER (WHERE reachable.preferred) = 1
                    THEN min(reachable.oid::text) FILTER (WHERE reachable.preferred)
                WHEN count(*) FILTER (WHERE reachable.preferred) = 0 AND count(*) = 1
                    THEN min(reachable.oid::text)
            END::oid
            FROM (
                SELECT d.oid, dt.typispreferred AND dt.typcategory = pair.typcategory
                FROM pg_opclass AS d
                JOIN pg_type AS dt ON dt.oid = d.opcintype
                WHERE d.opcmethod = pair.opcmethod
                    AND d.opcdefault
                    AND (
                        d.opcintype IN (
                            '"any"'::regtype, 'anyelement'::regtype, 'anycompatible'::regtype,
                            'anynonarray'::regtype, 'anycompatiblenonarray'::regtype
                        )
                        OR EXISTS (
                            SELECT FROM pg_cast
                            WHERE castsource = pair.atttypid
                                AND casttarget = d.opcintype
                                AND castmethod = 'b'
                                AND castcontext = 'i'
                        )
                    )
            ) AS reachable (oid, preferred)
        ) AS opclass
    FROM (
        SELECT DISTINCT opcmethod, atttypid, typcategory
        FROM index_keys
        WHERE attnum <> 0 AND opcintype <> atttypid AND typtype = 'b' AND typcategory <> 'A'
    ) AS pair
    WHERE NOT EXISTS (
        SELECT FROM pg_opclass AS own
        WHERE own.opcmethod = pair.opcmethod AND own.opcdefault AND own.opcintype = pair.atttypid
    )
),
not_plain AS (
    -- The indexes with a key whose printed options the catalog alone cannot settle.
    SELECT key.indexrelid
    FROM index_keys AS key
    LEFT JOIN borrowed_defaults AS borrowed
        ON borrowed.opcmethod = key.opcmethod AND borrowed.atttypid = key.atttypid
    WHERE NOT key.opcdefault
        OR CASE WHEN key.attnum <> 0 THEN
            key.key_collation <> key.attcollation
            OR key.opcintype <> key.atttypid AND borrowed.opclass IS DISTINCT FROM key.opclass
        ELSE
            -- An expression: without a key type of the method's or the opclass's own (the
            -- built-in methods but hash have none), the index column has the expression's
            -- type. Whether a collation is the expression's own only the printer knows
            -- (casts to a domain, constants of a type can bring their own), so an
            -- expression of a collatable type goes to it.
            key.amname NOT IN ('btree', 'gist', 'gin', 'spgist', 'brin')
            OR key.opckeytype <> 0
            OR key.key_collation <> 0
            OR key.opcintype <> (
                SELECT ia.atttypid FROM pg_attribute AS ia
                WHERE ia.attrelid = key.indexrelid AND ia.attnum = key.ord
            )
        END
    UNION
    -- Operator class options are rare: a key with some (always printed) is found in one pass.
    SELECT key.indexrelid
    FROM index_keys AS key
    JOIN pg_attribute AS ia ON ia.attrelid = key.indexrelid AND ia.attnum = key.ord
    WHERE ia.attoptions IS NOT NULL
)
SELECT
    i.indrelid::int8 AS table_oid,
    ic.relname AS index_name,
    ic.relispartition AS is_copy,
    i.indisunique AS is_unique,
    i.indisvalid AS is_valid,
    am.amname AS method,
    CASE WHEN i.indpred IS NOT NULL THEN pg_get_expr(i.indpred, i.indrelid) END AS where_expr,
    i.indkey::int2[]::text[] AS keys,
    i.indnkeyatts AS key_count,
    i.indnullsnotdistinct AS nulls_not_distinct,
    ic.reloptions::text[] AS options,
    i.indoption::int2[]::text[] AS key_options,
    CASE WHEN np.indexrelid IS NULL AND 0 = ANY (i.indkey::int2[]) THEN
        ARRAY(
            SELECT CASE WHEN k.attnum = 0 THEN pg_get_indexdef(i.indexrelid, k.ord::int, true) END
            FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k (attnum, ord)
            WHERE k.ord <= i.indnkeyatts
            ORDER BY k.ord
        )
    END AS key_expressions,
    CASE WHEN np.indexrelid IS NOT NULL THEN pg_get_indexdef(i.indexrelid, 0, true) END AS definition,
    pg_indexam_has_property(am.oid, 'can_order') AS can_order,
    CASE WHEN np.indexrelid IS NOT NULL THEN (
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
LEFT JOIN not_plain AS np ON np.indexrelid = i.indexrelid
-- Materialized views ('m') have indexes too; the assembly gives them to their view.
WHERE c.relkind IN ('r', 'p', 'm')
    AND n.nspname = ANY($1::text[])
    AND NOT EXISTS (
        SELECT FROM pg_constraint AS con
        WHERE con.conindid = i.indexrelid
            AND con.conrelid = i.indrelid
            AND con.contype IN ('p', 'u', 'x')
    )
ORDER BY i.indexrelid
