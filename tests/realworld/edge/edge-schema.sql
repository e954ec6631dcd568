-- Every object kind and option, with names that need quoting. PostgreSQL 15+.
-- Roles lk_edge_reader, lk_edge_writer and lk_edge_owner must exist.

CREATE SCHEMA edge;
COMMENT ON SCHEMA edge IS 'the edge cases';
CREATE SCHEMA "Odd Schema";
ALTER SCHEMA "Odd Schema" OWNER TO lk_edge_owner;
GRANT USAGE ON SCHEMA edge TO lk_edge_reader;
GRANT USAGE, CREATE ON SCHEMA edge TO lk_edge_writer WITH GRANT OPTION;

CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public;

-- Types -----------------------------------------------------------------------------------

CREATE TYPE edge.mood AS ENUM ('sad', 'ok', 'happy', 'it''s complicated');
COMMENT ON TYPE edge.mood IS 'how it feels';
CREATE DOMAIN edge.positive AS integer DEFAULT 1 NOT NULL
    CONSTRAINT positive_check CHECK (VALUE > 0);
ALTER DOMAIN edge.positive ADD CONSTRAINT positive_small CHECK (VALUE < 1000000) NOT VALID;
COMMENT ON DOMAIN edge.positive IS 'a positive integer';
CREATE DOMAIN edge.code AS text COLLATE "C" CHECK (VALUE ~ '^[A-Z]+$');
CREATE TYPE edge.money_pair AS (amount numeric(12,2), currency character(3));
COMMENT ON TYPE edge.money_pair IS 'an amount in a currency';
CREATE DOMAIN "Odd Schema"."Weird Domain" AS varchar(20);

CREATE SEQUENCE edge.ticket_numbers AS integer START WITH 100 INCREMENT BY 10
    MINVALUE 100 MAXVALUE 100000 CACHE 5 CYCLE;
COMMENT ON SEQUENCE edge.ticket_numbers IS 'ticket numbers';
GRANT USAGE ON SEQUENCE edge.ticket_numbers TO lk_edge_writer;

-- Routines --------------------------------------------------------------------------------

CREATE FUNCTION edge.touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION edge.touch() IS 'stamps updated_at';

CREATE FUNCTION edge.audit() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog AS $$
BEGIN
    RETURN NULL;
END
$$;
REVOKE EXECUTE ON FUNCTION edge.audit() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION edge.audit() TO lk_edge_writer;

CREATE FUNCTION edge.add(a integer, b integer DEFAULT 1) RETURNS integer
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT a + b $$;

CREATE FUNCTION edge.concat_step(acc text, item text) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN acc IS NULL THEN item ELSE acc || ',' || item END $$;
CREATE AGGREGATE edge.concat_all(text) (SFUNC = edge.concat_step, STYPE = text, INITCOND = '');
COMMENT ON AGGREGATE edge.concat_all(text) IS 'joins with commas';

CREATE PROCEDURE edge.tidy(days integer) LANGUAGE sql AS $$ SELECT days $$;
COMMENT ON PROCEDURE edge.tidy(integer) IS 'cleans up';

-- Tables ----------------------------------------------------------------------------------

CREATE TABLE edge.accounts (
    id bigint GENERATED ALWAYS AS IDENTITY (START WITH 10 INCREMENT BY 5) PRIMARY KEY,
    email text COLLATE "C" NOT NULL,
    "Display Name" varchar(80),
    mood edge.mood DEFAULT 'ok'::edge.mood,
    score edge.positive,
    code edge.code,
    balance edge.money_pair,
    tags text[] DEFAULT '{}'::text[] NOT NULL,
    status character varying(10) DEFAULT 'new' NOT NULL,
    email_lower text GENERATED ALWAYS AS (lower(email)) STORED,
    created_at timestamp with time zone DEFAULT '2024-01-01 00:00:00+00' NOT NULL,
    updated_at timestamp with time zone,
    CONSTRAINT accounts_status_check CHECK (status IN ('new', 'active', 'closed')),
    CONSTRAINT accounts_score_check CHECK (score < 500) NO INHERIT,
    CONSTRAINT accounts_email_key UNIQUE NULLS NOT DISTINCT (email) INCLUDE (status)
        WITH (fillfactor = 90)
) WITH (fillfactor = 80, autovacuum_enabled = false);
ALTER TABLE edge.accounts ADD CONSTRAINT accounts_code_check CHECK (code <> 'X') NOT VALID;
COMMENT ON TABLE edge.accounts IS 'who uses it';
COMMENT ON COLUMN edge.accounts."Display Name" IS 'shown to others';
COMMENT ON CONSTRAINT accounts_status_check ON edge.accounts IS 'a closed set';
GRANT SELECT ON edge.accounts TO lk_edge_reader;
GRANT SELECT, INSERT, UPDATE ON edge.accounts TO lk_edge_writer;
GRANT UPDATE ("Display Name") ON edge.accounts TO lk_edge_reader;
ALTER TABLE edge.accounts ENABLE ROW LEVEL SECURITY;
ALTER TABLE edge.accounts FORCE ROW LEVEL SECURITY;
CREATE POLICY accounts_self ON edge.accounts FOR SELECT TO lk_edge_reader
    USING (email = current_user);
CREATE POLICY accounts_write ON edge.accounts AS RESTRICTIVE FOR UPDATE TO lk_edge_writer, lk_edge_reader
    USING (status <> 'closed') WITH CHECK (status IN ('new', 'active'));
COMMENT ON POLICY accounts_self ON edge.accounts IS 'see yourself';

CREATE INDEX accounts_email_trgm ON edge.accounts USING gin (email public.gin_trgm_ops);
CREATE INDEX accounts_created ON edge.accounts (created_at DESC NULLS LAST, "Display Name" COLLATE "C");
CREATE INDEX accounts_active ON edge.accounts (lower("Display Name") text_pattern_ops)
    WHERE status IN ('new', 'active');
CREATE INDEX accounts_tags ON edge.accounts USING gin (tags) WITH (fastupdate = off);
CREATE UNIQUE INDEX accounts_code ON edge.accounts (code) NULLS NOT DISTINCT;
CREATE INDEX accounts_email_gist ON edge.accounts USING gist (email public.gist_trgm_ops (siglen = 32));
COMMENT ON INDEX edge.accounts_created IS 'newest first';

CREATE TRIGGER accounts_touch BEFORE UPDATE OF email, status ON edge.accounts
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION edge.touch();
CREATE TRIGGER accounts_audit AFTER UPDATE ON edge.accounts
    REFERENCING OLD TABLE AS gone NEW TABLE AS came
    FOR EACH STATEMENT EXECUTE FUNCTION edge.audit();
CREATE TRIGGER accounts_truncate AFTER TRUNCATE ON edge.accounts
    FOR EACH STATEMENT EXECUTE FUNCTION edge.audit();
ALTER TABLE edge.accounts DISABLE TRIGGER accounts_audit;
COMMENT ON TRIGGER accounts_touch ON edge.accounts IS 'keeps updated_at';

CREATE TABLE edge.rooms (
    id integer PRIMARY KEY,
    name text NOT NULL
);
CREATE TABLE edge.bookings (
    id serial PRIMARY KEY,
    room_id integer NOT NULL,
    account_id bigint,
    during tstzrange NOT NULL,
    ticket integer DEFAULT nextval('edge.ticket_numbers'::regclass),
    CONSTRAINT bookings_no_overlap EXCLUDE USING gist (room_id WITH =, during WITH &&)
        DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT bookings_room_fkey FOREIGN KEY (room_id) REFERENCES edge.rooms (id)
        ON UPDATE CASCADE ON DELETE RESTRICT DEFERRABLE,
    CONSTRAINT bookings_account_fkey FOREIGN KEY (account_id) REFERENCES edge.accounts (id)
        MATCH FULL ON DELETE SET NULL (account_id)
);
ALTER SEQUENCE edge.ticket_numbers OWNED BY edge.bookings.ticket;
CREATE CONSTRAINT TRIGGER bookings_check AFTER INSERT ON edge.bookings
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION edge.audit();
CREATE TRIGGER bookings_replica AFTER UPDATE ON edge.bookings
    FOR EACH ROW EXECUTE FUNCTION edge.audit();
ALTER TABLE edge.bookings ENABLE REPLICA TRIGGER bookings_replica;

-- A foreign key from integer to bigint, which PostgreSQL accepts.
CREATE TABLE edge.notes (
    id integer PRIMARY KEY,
    account_id integer,
    body text
);
ALTER TABLE edge.notes ADD CONSTRAINT notes_account_fkey FOREIGN KEY (account_id)
    REFERENCES edge.accounts (id) NOT VALID;

CREATE UNLOGGED TABLE edge.scratchpad (
    k text PRIMARY KEY,
    v jsonb
);

-- Partitioning: range with a default partition and sub-partitions, list and hash.
CREATE TABLE edge.events (
    id bigint NOT NULL,
    at timestamp with time zone NOT NULL,
    kind text NOT NULL,
    payload jsonb,
    PRIMARY KEY (id, at, kind)
) PARTITION BY RANGE (at);
CREATE TABLE edge.events_2024 PARTITION OF edge.events
    FOR VALUES FROM ('2024-01-01 00:00:00+00') TO ('2025-01-01 00:00:00+00')
    PARTITION BY LIST (kind);
CREATE TABLE edge.events_2024_click PARTITION OF edge.events_2024 FOR VALUES IN ('click', 'tap');
CREATE TABLE edge.events_2024_other PARTITION OF edge.events_2024 DEFAULT;
CREATE TABLE edge.events_old PARTITION OF edge.events DEFAULT;
CREATE INDEX events_kind ON edge.events (kind);
CREATE INDEX events_2024_click_payload ON edge.events_2024_click USING gin (payload);

CREATE TABLE edge.shards (
    id integer NOT NULL,
    v text
) PARTITION BY HASH (id);
CREATE TABLE edge.shards_0 PARTITION OF edge.shards FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE edge.shards_1 PARTITION OF edge.shards FOR VALUES WITH (MODULUS 2, REMAINDER 1);

-- Classic inheritance.
CREATE TABLE edge.vehicles (
    id integer PRIMARY KEY,
    wheels integer NOT NULL CHECK (wheels >= 0)
);
CREATE TABLE edge.trucks (
    payload_kg integer
) INHERITS (edge.vehicles);

-- Views -----------------------------------------------------------------------------------

CREATE VIEW edge.open_accounts WITH (security_barrier = true) AS
    SELECT id, email, status FROM edge.accounts WHERE status IN ('new', 'active');
COMMENT ON VIEW edge.open_accounts IS 'the open ones';
COMMENT ON COLUMN edge.open_accounts.email IS 'their email';
GRANT SELECT ON edge.open_accounts TO lk_edge_reader;

CREATE VIEW edge.writable_rooms AS SELECT id, name FROM edge.rooms WHERE id > 0
    WITH LOCAL CHECK OPTION;

CREATE MATERIALIZED VIEW edge.account_counts AS
    SELECT status, count(*) AS n FROM edge.accounts GROUP BY status
    WITH NO DATA;
CREATE UNIQUE INDEX account_counts_status ON edge.account_counts (status);
COMMENT ON MATERIALIZED VIEW edge.account_counts IS 'counts by status';
GRANT SELECT ON edge.account_counts TO lk_edge_reader;

-- Names that need quoting -------------------------------------------------------------------

CREATE TABLE "Odd Schema"."Select" (
    "Id" integer PRIMARY KEY,
    "from" "Odd Schema"."Weird Domain",
    "naïve column" text DEFAULT 'it''s',
    "quote""d" boolean DEFAULT false
);
CREATE INDEX "Select index" ON "Odd Schema"."Select" ("from", "naïve column");
ALTER TABLE "Odd Schema"."Select" OWNER TO lk_edge_owner;
