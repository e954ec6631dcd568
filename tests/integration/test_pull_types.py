"""Pull, types group: extensions, domains, composite types, procedures, aggregates and
materialized views are declared by the pulled model, and the database it creates dumps
exactly like the source.

Each schema holds one kind (with the options it can have) and is pulled alone, so the
comparison sees only that kind; owners, comments and grants of the pulled schema belong to
another group and are not looked at here. The last test writes a model by hand: the
canonical stage must create a declared domain, composite type and extension before the
tables that use them, on a database that has none of them.
"""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest

from linkgress_async import (
    DbContext,
    DbModelConfig,
    PgClient,
    custom_type,
    index_key,
    integer,
    sql,
)
from linkgress_async.testing import DatabaseFactory
from tests.integration.fidelity import load_sql, round_trip
from tests.ruff_clean import ruff_problems

# What another group declares: not this file's business.
_OTHER_GROUPS = frozenset({"owner", "comment", "grant"})

EXTENSION = """
CREATE SCHEMA kinds;
CREATE EXTENSION citext WITH SCHEMA kinds;
CREATE TABLE kinds.people (id integer PRIMARY KEY, email kinds.citext NOT NULL);
"""

DOMAINS = """
CREATE SCHEMA kinds;
CREATE TYPE kinds.mood AS ENUM ('sad', 'ok');
CREATE DOMAIN kinds.positive AS integer DEFAULT 1 NOT NULL
    CONSTRAINT positive_check CHECK (VALUE > 0);
ALTER DOMAIN kinds.positive ADD CONSTRAINT positive_small CHECK (VALUE < 1000000) NOT VALID;
CREATE DOMAIN kinds.code AS text COLLATE "C" CHECK (VALUE ~ '^[A-Z]+$');
CREATE DOMAIN kinds."Weird Domain" AS varchar(20) DEFAULT 'it''s';
CREATE DOMAIN kinds.feeling AS kinds.mood DEFAULT 'ok';
CREATE DOMAIN kinds.year AS integer
    CONSTRAINT year_check CHECK (((VALUE >= 1901) AND (VALUE <= 2155)));
CREATE TABLE kinds.things (
    id integer PRIMARY KEY,
    score kinds.positive,
    code kinds.code,
    "from" kinds."Weird Domain",
    feeling kinds.feeling,
    made kinds.year,
    years kinds.year[]
);
"""

COMPOSITES = """
CREATE SCHEMA kinds;
CREATE TYPE kinds.money_pair AS (
    amount numeric(12,2), currency character(3), note text COLLATE "C"
);
CREATE DOMAIN kinds.price AS kinds.money_pair;
CREATE TYPE kinds.line AS (what text, price kinds.price, at timestamp with time zone);
CREATE TABLE kinds.orders (id integer PRIMARY KEY, total kinds.money_pair, lines kinds.line[]);
"""

ROUTINES = """
CREATE SCHEMA kinds;
CREATE FUNCTION kinds.concat_step(acc text, item text) RETURNS text
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT CASE WHEN acc IS NULL THEN item ELSE acc || ',' || item END $$;
CREATE AGGREGATE kinds.concat_all(text) (SFUNC = kinds.concat_step, STYPE = text, INITCOND = '');
CREATE AGGREGATE kinds.biggest(integer) (
    SFUNC = int4larger, STYPE = integer, COMBINEFUNC = int4larger, SORTOP = >, PARALLEL = SAFE
);
CREATE PROCEDURE kinds.tidy(days integer) LANGUAGE sql AS $$ SELECT days $$;
CREATE PROCEDURE kinds.tidy(days integer, really boolean) LANGUAGE plpgsql AS $$
BEGIN
    PERFORM days;
END
$$;
"""

MATERIALIZED_VIEWS = """
CREATE SCHEMA kinds;
CREATE TABLE kinds.accounts (id integer PRIMARY KEY, status text NOT NULL, score integer);
CREATE MATERIALIZED VIEW kinds.account_counts WITH (fillfactor = 90) AS
    SELECT status, count(*) AS n, sum(score) AS total FROM kinds.accounts GROUP BY status
    WITH NO DATA;
CREATE UNIQUE INDEX account_counts_status ON kinds.account_counts (status);
CREATE INDEX account_counts_busy ON kinds.account_counts ((n * 2)) WHERE n > 1;
CREATE INDEX account_counts_total ON kinds.account_counts USING hash (total)
    WITH (fillfactor = 70);
CREATE UNIQUE INDEX account_counts_sorted ON kinds.account_counts
    (n DESC NULLS LAST, status COLLATE "C" text_pattern_ops) NULLS NOT DISTINCT;
CREATE MATERIALIZED VIEW kinds.busy AS SELECT status FROM kinds.account_counts WHERE n > 10
    WITH NO DATA;
"""

# Every kind again under names that need quoting.
HOSTILE = """
CREATE SCHEMA kinds;
CREATE DOMAIN kinds."d""q 🙂" AS text CONSTRAINT "Check ""me"" now" CHECK (VALUE <> 'x');
CREATE TYPE kinds."Pair" AS ("select" integer, "from" kinds."d""q 🙂");
CREATE FUNCTION kinds."Step"(a text, b text) RETURNS text LANGUAGE sql IMMUTABLE
    AS $$ SELECT a || b $$;
CREATE AGGREGATE kinds."All Of"(text) (SFUNC = kinds."Step", STYPE = text);
CREATE TABLE kinds."T" ("Id" integer PRIMARY KEY, v kinds."d""q 🙂", p kinds."Pair");
CREATE MATERIALIZED VIEW kinds."M v" AS SELECT "Id", v FROM kinds."T" WITH NO DATA;
CREATE INDEX "M v index" ON kinds."M v" ("Id", lower(v));
"""

SCHEMAS = {
    "hostile": HOSTILE,
    "extension": EXTENSION,
    "domains": DOMAINS,
    "composites": COMPOSITES,
    "routines": ROUTINES,
    "materialized_views": MATERIALIZED_VIEWS,
}


@pytest.mark.parametrize("name", list(SCHEMAS))
async def test_each_kind_is_declared_and_recreated_exactly(
    name: str, linkgress_databases: DatabaseFactory, tmp_path: Path
) -> None:
    source, empty = await linkgress_databases.create(), await linkgress_databases.create()
    await load_sql(source, SCHEMAS[name])

    result = await round_trip(source, empty, tmp_path, schemas=["kinds"])

    undeclared = [u for u in result.module.undeclared if u.kind not in _OTHER_GROUPS]
    assert undeclared == []
    assert result.on_source == []
    assert result.on_copy == []
    assert result.differing_lines == [], "\n".join(result.difference)
    assert ruff_problems(result.module.source, tmp_path, "checked.py") == ""


async def test_the_pulled_declarations_read_as_written(
    linkgress_databases: DatabaseFactory, tmp_path: Path
) -> None:
    source, empty = await linkgress_databases.create(), await linkgress_databases.create()
    await load_sql(source, DOMAINS + ROUTINES.replace("CREATE SCHEMA kinds;", ""))

    code = (await round_trip(source, empty, tmp_path, schemas=["kinds"])).module.source

    assert 'custom_type("score", "kinds.positive")' in code
    assert 'custom_type("years", "kinds.year").array()' in code
    assert 'not_valid=["positive_small"]' in code
    assert "collation='\"C\"'" in code
    assert code.count("model.procedure(") == 2
    assert code.count("model.aggregate(") == 2
    assert "INITCOND = ''" in code


@attrs.define
class _Item:
    id: int
    made: int | None
    price: object
    email: str | None


async def test_a_hand_written_model_using_declared_types_builds_on_an_empty_database(
    linkgress_databases: DatabaseFactory,
) -> None:
    class Shop(DbContext):
        def setup_model(self, model: DbModelConfig) -> None:
            model.extension("citext", schema="public")
            year = model.domain("year", "integer", checks={"year_check": "VALUE >= 1901"})
            pair = model.composite_type("pair", {"amount": "numeric(12,2)", "currency": "text"})
            model.function(
                "add_lengths",
                "(total integer, item text) RETURNS integer LANGUAGE sql IMMUTABLE"
                " AS $$ SELECT coalesce(total, 0) + length(item) $$",
            )
            model.aggregate("total_length", "(text) (SFUNC = add_lengths, STYPE = integer)")
            with model.entity(_Item) as e:
                e.to_table("shop_items")
                e.property("id").has_type(integer("id"))
                e.has_primary_key("id")
                e.property("made").has_type(custom_type("made", year))
                e.property("price").has_type(custom_type("price", pair))
                e.property("email").has_type(custom_type("email", "citext"))
            (
                model.materialized_view(
                    "made_counts", "SELECT made, count(*) AS n FROM shop_items GROUP BY made"
                )
                .has_index("made_counts_made", "made", unique=True)
                .has_index("made_counts_busy", sql("n * 2"), where="n > 1")
                .has_index("made_counts_n", index_key("n", descending=True, nulls="last"))
            )
            model.view("labels", "SELECT id, (price).currency AS currency FROM shop_items")

    dsn = await linkgress_databases.create()
    async with Shop(PgClient(dsn=dsn)) as db:
        manager = db.get_schema_manager(out=lambda _line: None)
        created = await manager.ensure_created()
        assert created
        assert await manager.analyze() == []
