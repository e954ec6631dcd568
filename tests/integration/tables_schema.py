"""The edge-case schema of the table-level kinds, and where to find the Pagila schema.

Collations (built-in, quoted, and a schema's own), generated columns (STORED, and VIRTUAL on
PostgreSQL 18), UNLOGGED tables, storage parameters of a table and of its TOAST table,
declarative partitioning (range with MINVALUE and DEFAULT, list, hash, an expression key,
sub-partitioning, a partition in another schema created on its own with another column order
and attached, partitions' own indexes, checks, foreign keys and defaults), classic
inheritance (a local column merged with an inherited one, multiple inheritance, a
grandchild) and a sequence OWNED BY a column it is not the serial default of.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["PAGILA_DIRECTORY", "SCHEMAS", "pagila_sql", "prerequisites_sql", "schema_sql"]

SCHEMAS = ("public", "archive")

PAGILA_DIRECTORY = Path("/work/shared/realworld/pagila")
"""Where the Pagila schema (MIT licence) is read from, until it is vendored into the tests."""


def pagila_sql() -> str:
    """Pagila's schema, less psql's meta-commands (lines starting with a backslash)."""
    text = (PAGILA_DIRECTORY / "pagila-schema.sql").read_text(encoding="utf-8")
    return "\n".join(line for line in text.splitlines() if not line.startswith("\\"))


def prerequisites_sql() -> str:
    """What the schema needs that is not a kind of this group (a collation, a schema)."""
    return 'CREATE COLLATION public.mycoll FROM "POSIX"; CREATE SCHEMA archive;'


_TABLES = """
CREATE TABLE public.people (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text COLLATE "C" NOT NULL,
    nick varchar(40) COLLATE "POSIX",
    sortkey text COLLATE public.mycoll,
    first_name text,
    last_name text,
    full_name text GENERATED ALWAYS AS (first_name || ' ' || last_name) STORED,
    name_upper text COLLATE "C" GENERATED ALWAYS AS (upper(name)) STORED,
    bio text
) WITH (autovacuum_enabled = false, fillfactor = 70, toast.autovacuum_enabled = false);

-- Each generated column that drift tests re-create is its table's last column: re-creating a
-- column puts it last.
CREATE TABLE public.lengths (id int PRIMARY KEY, cm numeric NOT NULL,
    inches numeric GENERATED ALWAYS AS (cm / 2.54) STORED);
CREATE TABLE public.plain (id int, label text);

CREATE UNLOGGED TABLE public.scratch (id bigint, payload text);

CREATE TABLE public.events (
    id bigint NOT NULL,
    happened timestamptz NOT NULL,
    kind text NOT NULL,
    person_id int REFERENCES public.people,
    payload jsonb,
    CONSTRAINT events_id_check CHECK (id > 0),
    PRIMARY KEY (id, happened)
) PARTITION BY RANGE (happened);
CREATE INDEX events_kind_idx ON public.events (kind);
CREATE TABLE public.events_2024 PARTITION OF public.events
    FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE public.events_2025 PARTITION OF public.events
    FOR VALUES FROM ('2025-01-01') TO ('2026-01-01') PARTITION BY RANGE (happened);
CREATE TABLE public.events_2025_h1 PARTITION OF public.events_2025
    FOR VALUES FROM ('2025-01-01') TO ('2025-07-01');
CREATE TABLE public.events_2025_h2 PARTITION OF public.events_2025 DEFAULT;
CREATE TABLE public."Ev ""q"" 2023" PARTITION OF public.events
    FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
-- Created on its own with another column order, then attached, as pg_dump restores them.
CREATE TABLE archive.events_old (
    payload jsonb,
    kind text NOT NULL,
    person_id int,
    happened timestamptz NOT NULL,
    id bigint NOT NULL,
    CONSTRAINT events_id_check CHECK (id > 0)
) WITH (fillfactor = 50);
ALTER TABLE public.events ATTACH PARTITION archive.events_old
    FOR VALUES FROM (MINVALUE) TO ('2023-01-01');
CREATE TABLE public.events_default PARTITION OF public.events DEFAULT;
CREATE INDEX events_2024_payload_idx ON public.events_2024 USING gin (payload);
ALTER TABLE public.events_2024 ADD CONSTRAINT events_2024_kind_check CHECK (kind <> '');
-- Not the parent's key over again: attaching would take either copy for the parent's.
ALTER TABLE archive.events_old
    ADD CONSTRAINT events_old_person_fkey FOREIGN KEY (person_id) REFERENCES public.people
    ON DELETE SET NULL;
ALTER TABLE public.events_default ALTER COLUMN kind SET DEFAULT 'other';

-- A table like events' partitions, standalone (drift attaches it).
CREATE TABLE public.events_archive (
    id bigint NOT NULL,
    happened timestamptz NOT NULL,
    kind text NOT NULL,
    person_id int,
    payload jsonb,
    CONSTRAINT events_id_check CHECK (id > 0)
);

CREATE TABLE public.buckets (id int NOT NULL, v text COLLATE "C") PARTITION BY HASH (id);
CREATE TABLE public.buckets_0 PARTITION OF public.buckets
    FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE public.buckets_1 PARTITION OF public.buckets
    FOR VALUES WITH (MODULUS 2, REMAINDER 1);

CREATE TABLE public.words (w text) PARTITION BY LIST (lower(w) COLLATE "C");
CREATE TABLE public.words_a PARTITION OF public.words FOR VALUES IN ('a');

CREATE TABLE public.vehicles (
    id int PRIMARY KEY,
    wheels int NOT NULL DEFAULT 4,
    CONSTRAINT vehicles_wheels_check CHECK (wheels >= 0)
);
CREATE TABLE public.cars (seats int) INHERITS (public.vehicles);
CREATE TABLE public.trucks (wheels int NOT NULL DEFAULT 6, payload numeric)
    INHERITS (public.vehicles);
CREATE TABLE public.tagged (tag text, CONSTRAINT tagged_tag_check CHECK (tag <> ''));
CREATE TABLE public.tagged_cars (extra int) INHERITS (public.cars, public.tagged);

CREATE SEQUENCE public.ticket_seq;
CREATE TABLE public.tickets (
    no bigint NOT NULL DEFAULT nextval('public.ticket_seq') + 1000,
    title text
);
ALTER SEQUENCE public.ticket_seq OWNED BY public.tickets.no;
CREATE SEQUENCE public.plain_seq AS integer;
"""

_VIRTUAL = """
CREATE TABLE public.virtual_lengths (id int PRIMARY KEY, cm numeric NOT NULL,
    feet numeric GENERATED ALWAYS AS (cm / 30.48) VIRTUAL);
ALTER TABLE public.people ADD COLUMN initials text
    GENERATED ALWAYS AS (left(first_name, 1) || left(last_name, 1)) VIRTUAL;
"""


def schema_sql(server_version_num: int) -> str:
    """The schema for a server of that version (VIRTUAL generated columns from 18)."""
    return _TABLES + (_VIRTUAL if server_version_num >= 180000 else "")
