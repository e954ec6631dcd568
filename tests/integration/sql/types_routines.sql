-- Every feature of extensions, domains, composite types, procedures, aggregates, views'
-- options and materialized views, for the clone round trip (PostgreSQL 15 and later; the
-- tests add what only newer servers have). Schemas: public, "Kinds", ext.
CREATE SCHEMA "Kinds";
CREATE SCHEMA ext;

-- Extensions: one in another schema used by a column, one at an older version, and some
-- whose members (views, functions, aggregates, composite types) must never be read.
CREATE EXTENSION citext WITH SCHEMA ext;
CREATE EXTENSION hstore WITH SCHEMA public VERSION '1.7';
CREATE EXTENSION pg_stat_statements WITH SCHEMA public;
CREATE EXTENSION intagg WITH SCHEMA "Kinds";
CREATE EXTENSION tablefunc WITH SCHEMA public;

CREATE TYPE public.mood AS ENUM ('sad', 'ok', 'happy');

-- A function a domain's check calls: it must exist before the domain.
CREATE FUNCTION public.is_even(n integer) RETURNS boolean
    LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT n % 2 = 0 $$;

-- Domains.
CREATE DOMAIN public.year AS integer
    CONSTRAINT year_check CHECK (VALUE >= 1901 AND VALUE <= 2155);
CREATE DOMAIN public."bıgınt" AS bigint;
CREATE DOMAIN "Kinds"."Short Text" AS text COLLATE "C" DEFAULT 'x' NOT NULL
    CONSTRAINT "long enough" CHECK (length(VALUE) > 1)
    CONSTRAINT not_zz CHECK (VALUE <> 'zz');
ALTER DOMAIN "Kinds"."Short Text" ADD CONSTRAINT not_yy CHECK (VALUE <> 'yy') NOT VALID;
CREATE DOMAIN public.even AS integer CONSTRAINT even_check CHECK (public.is_even(VALUE));
CREATE DOMAIN public.recent_year AS public.year CHECK (VALUE > 2000);
CREATE DOMAIN public.good_mood AS public.mood DEFAULT 'ok' CHECK (VALUE <> 'sad');
CREATE DOMAIN ext.email AS ext.citext CHECK (VALUE ~ '@');

-- Composite types, using domains and each other; a domain over a composite type.
CREATE TYPE public.empty_type AS ();
CREATE TYPE public.money_amount AS (amount numeric(12,2), currency character(3));
CREATE TYPE "Kinds"."Line Item" AS (
    label text COLLATE "C",
    made public.year,
    tags text[],
    price public.money_amount,
    feeling public.good_mood
);
CREATE DOMAIN public.positive_amount AS public.money_amount
    CHECK ((VALUE).amount > 0);

-- Tables using all of them.
CREATE TABLE public.film (
    film_id integer PRIMARY KEY,
    title ext.citext NOT NULL,
    release_year public.year,
    big public."bıgınt",
    evens public.even[],
    rating public.good_mood,
    attrs public.hstore,
    price public.positive_amount
);
CREATE TABLE "Kinds".orders (
    id bigint PRIMARY KEY,
    item "Kinds"."Line Item",
    note "Kinds"."Short Text",
    contact ext.email
);

-- Functions and procedures.
CREATE FUNCTION public._group_concat(text, text) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN $2 IS NULL THEN $1
        WHEN $1 IS NULL THEN $2 ELSE $1 || ', ' || $2 END $$;
CREATE FUNCTION public.fin_words(text) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$ SELECT upper($1) $$;
CREATE FUNCTION public.avg_extra(double precision[], double precision) RETURNS double precision
    LANGUAGE sql IMMUTABLE AS $$ SELECT float8_avg($1) $$;
CREATE FUNCTION public.film_count(y public.year) RETURNS bigint
    LANGUAGE sql STABLE BEGIN ATOMIC SELECT count(*) FROM public.film WHERE release_year = y; END;
CREATE PROCEDURE public.bump(IN step integer, INOUT total integer)
    LANGUAGE plpgsql AS $$ BEGIN total := total + step; END $$;
CREATE PROCEDURE "Kinds"."Record Order"(order_id bigint)
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog
    BEGIN ATOMIC INSERT INTO "Kinds".orders (id) VALUES (order_id); END;

-- Aggregates: every CREATE AGGREGATE parameter somewhere.
CREATE AGGREGATE public.group_concat(text) (
    SFUNC = public._group_concat, STYPE = text
);
CREATE AGGREGATE public.shout_concat(text) (
    SFUNC = public._group_concat, STYPE = text, FINALFUNC = public.fin_words,
    INITCOND = 'it''s \ here', PARALLEL = RESTRICTED
);
CREATE AGGREGATE public.my_avg(bigint) (
    SFUNC = int8_avg_accum, STYPE = internal, SSPACE = 48,
    FINALFUNC = numeric_poly_avg, COMBINEFUNC = int8_avg_combine,
    SERIALFUNC = int8_avg_serialize, DESERIALFUNC = int8_avg_deserialize,
    MSFUNC = int8_avg_accum, MINVFUNC = int8_avg_accum_inv, MSTYPE = internal,
    MSSPACE = 48, MFINALFUNC = numeric_poly_avg, PARALLEL = SAFE
);
CREATE AGGREGATE public.my_sum(float8) (
    SFUNC = float8_accum, STYPE = float8[], FINALFUNC = float8_avg,
    FINALFUNC_MODIFY = READ_WRITE, INITCOND = '{0,0,0}',
    MSFUNC = float8_accum, MINVFUNC = float8_accum, MSTYPE = float8[],
    MFINALFUNC = public.avg_extra, MFINALFUNC_EXTRA, MFINALFUNC_MODIFY = SHAREABLE,
    MINITCOND = '{0,0,0}'
);
CREATE AGGREGATE public.my_max(integer) (
    SFUNC = int4larger, STYPE = integer, COMBINEFUNC = int4larger, SORTOP = >
);
CREATE AGGREGATE public.my_count(*) (SFUNC = int8inc, STYPE = bigint, INITCOND = '0');
CREATE AGGREGATE public.my_percentile(double precision ORDER BY double precision) (
    SFUNC = ordered_set_transition, STYPE = internal,
    FINALFUNC = percentile_disc_final, FINALFUNC_EXTRA
);
CREATE AGGREGATE "Kinds".my_rank(VARIADIC "any" ORDER BY VARIADIC "any") (
    SFUNC = ordered_set_transition_multi, STYPE = internal,
    FINALFUNC = rank_final, FINALFUNC_EXTRA, HYPOTHETICAL
);

-- Views with options, materialized views with options and indexes, over each other.
CREATE VIEW public.recent_films WITH (security_barrier = true, check_option = local) AS
    SELECT film_id, title, release_year FROM public.film WHERE release_year > 2000;
CREATE VIEW public.film_titles WITH (security_invoker = true) AS
    SELECT film_id, title FROM public.film;
CREATE VIEW public.cascading AS
    SELECT film_id, title FROM public.recent_films WITH CASCADED CHECK OPTION;
CREATE MATERIALIZED VIEW public.titles_by_year WITH (fillfactor = 70) AS
    SELECT release_year, public.group_concat(title::text) AS titles, count(*) AS films
    FROM public.film GROUP BY release_year
    WITH NO DATA;
CREATE UNIQUE INDEX titles_by_year_year ON public.titles_by_year (release_year);
CREATE INDEX titles_by_year_many ON public.titles_by_year (films) WHERE films > 1;
CREATE INDEX "Titles lower" ON public.titles_by_year (lower(titles));
CREATE VIEW public.busy_years AS
    SELECT release_year FROM public.titles_by_year WHERE films > 10;
CREATE MATERIALIZED VIEW "Kinds".busy_counts AS
    SELECT count(*) AS years FROM public.busy_years
    WITH NO DATA;
