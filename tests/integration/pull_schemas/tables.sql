-- The table kinds a pulled model declares: partitioning (range with sub-partitions and a
-- default, list, hash, an expression key), a partition created on its own with another
-- column order and attached, classic inheritance (multiple parents), UNLOGGED, storage
-- parameters (the TOAST table's too), stored generated columns, column collations, a
-- serial column that allows NULL, view options.
CREATE SCHEMA app;

CREATE TABLE app.events (
    id bigint NOT NULL,
    at timestamp with time zone NOT NULL,
    kind text NOT NULL,
    payload jsonb,
    PRIMARY KEY (id, at, kind)
) PARTITION BY RANGE (at);
CREATE TABLE app.events_2024 PARTITION OF app.events
    FOR VALUES FROM ('2024-01-01 00:00:00+00') TO ('2025-01-01 00:00:00+00')
    PARTITION BY LIST (kind);
CREATE TABLE app.events_2024_click PARTITION OF app.events_2024 FOR VALUES IN ('click', 'tap');
CREATE TABLE app.events_2024_other PARTITION OF app.events_2024 DEFAULT;
CREATE TABLE app.events_old PARTITION OF app.events DEFAULT;
CREATE INDEX events_kind ON app.events (kind);
CREATE INDEX events_2024_click_payload ON app.events_2024_click USING gin (payload);
-- Created on its own, columns in another order, then attached.
CREATE TABLE app.events_2023 (
    payload jsonb,
    kind text NOT NULL,
    at timestamp with time zone NOT NULL,
    id bigint NOT NULL
);
ALTER TABLE app.events ATTACH PARTITION app.events_2023
    FOR VALUES FROM ('2023-01-01 00:00:00+00') TO ('2024-01-01 00:00:00+00');

CREATE TABLE app.shards (
    id integer NOT NULL,
    v text
) PARTITION BY HASH (id);
CREATE TABLE app.shards_0 PARTITION OF app.shards FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE app.shards_1 PARTITION OF app.shards FOR VALUES WITH (MODULUS 2, REMAINDER 1);

CREATE TABLE app.readings (
    taken timestamp without time zone NOT NULL,
    "Value" numeric
) PARTITION BY RANGE (date_trunc('month', taken));
CREATE TABLE app.readings_early PARTITION OF app.readings
    FOR VALUES FROM (MINVALUE) TO ('2020-01-01 00:00:00');

CREATE TABLE app.vehicles (
    id integer PRIMARY KEY,
    wheels integer NOT NULL CHECK (wheels >= 0)
);
CREATE TABLE app.owned (
    owner_name text COLLATE "C"
);
CREATE TABLE app.trucks (
    payload_kg integer
) INHERITS (app.vehicles, app.owned);

CREATE UNLOGGED TABLE app.scratchpad (
    k text PRIMARY KEY,
    v jsonb
) WITH (fillfactor = 80, autovacuum_enabled = false, toast.autovacuum_enabled = false);

CREATE TABLE app.accounts (
    id integer PRIMARY KEY,
    email text COLLATE "C" NOT NULL,
    email_lower text GENERATED ALWAYS AS (lower(email)) STORED,
    ticket serial,
    code text COLLATE "POSIX"
);
ALTER TABLE app.accounts ALTER COLUMN ticket DROP NOT NULL;

CREATE VIEW app.open_accounts WITH (security_barrier = true) AS
    SELECT id, email FROM app.accounts WHERE id > 0;
CREATE VIEW app.writable_vehicles AS SELECT id, wheels FROM app.vehicles WHERE wheels > 0
    WITH LOCAL CHECK OPTION;

-- Sequences a column owns that serial would not have made: a bigint sequence behind an
-- integer column (as Pagila's), and one with its own name and options.
CREATE SEQUENCE app.actor_actor_id_seq START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1;
CREATE TABLE app.actor (
    actor_id integer DEFAULT nextval('app.actor_actor_id_seq'::regclass) NOT NULL,
    name text
);
ALTER SEQUENCE app.actor_actor_id_seq OWNED BY app.actor.actor_id;
CREATE SEQUENCE app.ticket_numbers AS integer START WITH 100 INCREMENT BY 10;
CREATE TABLE app.bookings (
    id serial PRIMARY KEY,
    ticket integer DEFAULT nextval('app.ticket_numbers'::regclass)
);
ALTER SEQUENCE app.ticket_numbers OWNED BY app.bookings.ticket;
