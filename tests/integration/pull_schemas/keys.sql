-- Keys, constraints and indexes with every option PostgreSQL 15 gives them, in the forms the
-- server prints back. A pulled model of this database must recreate it exactly.
-- (The extensions are created by the test on both databases: declaring them is not the
-- business of this schema.)
CREATE SCHEMA keys;

CREATE TABLE keys.accounts (
    id integer NOT NULL,
    email text NOT NULL,
    code text,
    status text NOT NULL DEFAULT 'new',
    display_name varchar(80),
    created_at timestamptz,
    score integer,
    tags text[],
    CONSTRAINT accounts_pk PRIMARY KEY (id) INCLUDE (status) WITH (fillfactor = 90),
    CONSTRAINT accounts_email_key UNIQUE NULLS NOT DISTINCT (email) INCLUDE (status)
        WITH (fillfactor = 80, deduplicate_items = off),
    CONSTRAINT accounts_pair UNIQUE (code, status) DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT accounts_later UNIQUE (display_name) DEFERRABLE,
    CONSTRAINT accounts_score_check CHECK (score < 500) NO INHERIT
);
ALTER TABLE keys.accounts ADD CONSTRAINT accounts_code_check CHECK (code <> 'X') NOT VALID;
CREATE INDEX accounts_email_trgm ON keys.accounts USING gin (email public.gin_trgm_ops);
CREATE INDEX accounts_created ON keys.accounts
    (created_at DESC NULLS LAST, display_name COLLATE "C" text_pattern_ops);
CREATE INDEX accounts_first ON keys.accounts (score NULLS FIRST, created_at DESC);
CREATE INDEX accounts_lower ON keys.accounts (lower(display_name) text_pattern_ops DESC)
    WHERE status <> 'closed';
CREATE INDEX accounts_tags ON keys.accounts USING gin (tags) WITH (fastupdate = off);
CREATE UNIQUE INDEX accounts_code ON keys.accounts (code) NULLS NOT DISTINCT;
CREATE INDEX accounts_email_gist ON keys.accounts
    USING gist (email public.gist_trgm_ops (siglen = 32));

CREATE TABLE keys.rooms (id integer PRIMARY KEY, site integer NOT NULL, UNIQUE (id, site));

CREATE TABLE keys.bookings (
    id integer PRIMARY KEY,
    room_id integer,
    site integer,
    account_id integer,
    owner_id integer DEFAULT 0,
    during tstzrange NOT NULL,
    CONSTRAINT bookings_no_overlap EXCLUDE USING gist (room_id WITH =, during WITH &&),
    CONSTRAINT bookings_later EXCLUDE USING gist (account_id WITH =, during WITH &&)
        WHERE (account_id > 0) DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT bookings_room_fkey FOREIGN KEY (room_id) REFERENCES keys.rooms (id)
        DEFERRABLE,
    CONSTRAINT bookings_pair_fkey FOREIGN KEY (room_id, site) REFERENCES keys.rooms (id, site)
        MATCH FULL ON DELETE SET NULL (site) ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT bookings_account_fkey FOREIGN KEY (account_id) REFERENCES keys.accounts (id)
        ON DELETE SET DEFAULT
);
ALTER TABLE keys.bookings ADD CONSTRAINT bookings_owner_fkey
    FOREIGN KEY (owner_id) REFERENCES keys.accounts (id) NOT VALID;

-- The server prints these IN lists as casts of whole arrays, text that parses back into
-- another expression unless written with care.
CREATE TABLE keys.states (
    id integer PRIMARY KEY,
    status varchar(10) NOT NULL CHECK (status IN ('new', 'it''s', 'a,b')),
    during tstzrange,
    EXCLUDE USING gist (during WITH &&) WHERE (status IN ('new', 'open'))
);
CREATE INDEX states_open ON keys.states (id) WHERE status IN ('new', 'open');

-- Two foreign keys over the same columns to the same key: PostgreSQL keeps both.
ALTER TABLE keys.bookings ADD CONSTRAINT bookings_room_again_fkey
    FOREIGN KEY (room_id) REFERENCES keys.rooms (id) ON DELETE CASCADE;
