"""Edge-case SQL for keys, constraints and indexes: every option the catalog records.

``schema_sql(version, extensions)`` gives the schema for a server: what PostgreSQL 15 has,
plus PostgreSQL 18's temporal keys, NOT ENFORCED and named NOT NULL constraints there, plus
pgvector's hnsw index where the server has the extension.
"""

from __future__ import annotations

SCHEMAS = ("public", "other")

EXTENSIONS = ("pg_trgm", "btree_gist")
"""Extensions the schema needs; pgvector is used too when the server has it."""

COMMON = """
CREATE SCHEMA other;
CREATE TABLE parent (
    id bigint,
    code text,
    region integer,
    CONSTRAINT parent_pkey PRIMARY KEY (id) INCLUDE (region) WITH (fillfactor = 90),
    CONSTRAINT parent_code_key UNIQUE NULLS NOT DISTINCT (code)
        WITH (fillfactor = 80) DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT parent_region_key UNIQUE (region, id)
);
CREATE TABLE child (
    id integer PRIMARY KEY,
    parent_id integer,
    parent_region integer,
    name text,
    title varchar(50),
    addr inet,
    during tsrange,
    room integer,
    amount numeric,
    CONSTRAINT child_amount_check CHECK (amount > 0) NO INHERIT
);
-- integer referencing bigint: legal, and common in real schemas (issue 11).
ALTER TABLE child ADD CONSTRAINT child_parent_fkey FOREIGN KEY (parent_id)
    REFERENCES parent (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE child ADD CONSTRAINT child_parent_full FOREIGN KEY (parent_region, parent_id)
    REFERENCES parent (region, id) MATCH FULL ON DELETE SET NULL (parent_region) NOT VALID;
ALTER TABLE child ADD CONSTRAINT child_name_check CHECK (name <> '') NOT VALID;
ALTER TABLE child ADD CONSTRAINT child_no_overlap
    EXCLUDE USING gist (room WITH =, during WITH &&) WHERE (room > 0) DEFERRABLE;
CREATE INDEX child_name_trgm ON child USING gin (name gin_trgm_ops) WITH (fastupdate = off);
CREATE INDEX child_name_gist ON child USING gist (name gist_trgm_ops (siglen = 32));
CREATE INDEX child_addr ON child USING gist (addr inet_ops);
CREATE INDEX child_title_pattern ON child (title text_pattern_ops);
CREATE INDEX child_sorted ON child (
    parent_id DESC NULLS LAST,
    name COLLATE "POSIX" NULLS FIRST,
    (lower(title)) COLLATE "C" text_pattern_ops DESC,
    parent_region DESC
);
CREATE INDEX child_expr_trgm ON child USING gist ((lower(title)) gist_trgm_ops (siglen = 16));
CREATE UNIQUE INDEX child_title_key ON child (title) NULLS NOT DISTINCT
    WITH (fillfactor = 70, deduplicate_items = off);
CREATE INDEX child_partial ON child (id) INCLUDE (name) WHERE amount > 10;
-- Options the server does not print although they are spelled out: the default operator
-- class a varchar column borrows from text, the default of a type, an expression's.
CREATE INDEX child_title_text_ops ON child (title text_ops, addr inet_ops DESC);
CREATE INDEX child_room_exprs ON child ((room + 1) int4_ops, (title::bpchar), (lower(name)));
CREATE INDEX child_room_hash ON child USING hash ((room + 1));
CREATE INDEX child_name_default ON child (name COLLATE "default", (lower(name)) COLLATE "C");
CREATE TABLE other.tag (
    id integer CONSTRAINT tag_pkey PRIMARY KEY DEFERRABLE INITIALLY DEFERRED,
    parent_id bigint REFERENCES public.parent (id) ON UPDATE CASCADE
);
"""

PG18 = """
CREATE TABLE price (
    film_id integer,
    valid_at daterange,
    rate numeric,
    CONSTRAINT price_pkey PRIMARY KEY (film_id, valid_at WITHOUT OVERLAPS),
    CONSTRAINT price_rate_key UNIQUE (rate, valid_at WITHOUT OVERLAPS)
);
CREATE TABLE price_override (
    store integer,
    film_id integer,
    valid_at daterange,
    CONSTRAINT price_override_pkey PRIMARY KEY (store, film_id, valid_at WITHOUT OVERLAPS),
    CONSTRAINT price_override_price_fkey FOREIGN KEY (film_id, PERIOD valid_at)
        REFERENCES price (film_id, PERIOD valid_at)
);
ALTER TABLE child ADD CONSTRAINT child_amount_cap CHECK (amount < 1000) NOT ENFORCED;
ALTER TABLE child ADD CONSTRAINT child_parent_loose FOREIGN KEY (parent_id)
    REFERENCES parent (id) NOT ENFORCED;
CREATE TABLE named_not_null (
    a integer CONSTRAINT named_not_null_a_required NOT NULL,
    b text NOT NULL
);
CREATE TABLE before_rename (x integer NOT NULL);
ALTER TABLE before_rename RENAME TO after_rename;
"""

VECTOR = """
CREATE TABLE embedding (id integer PRIMARY KEY, e vector(3));
CREATE INDEX embedding_hnsw ON embedding USING hnsw (e vector_cosine_ops) WITH (m = 8);
"""


def schema_sql(server_version_num: int, extensions: tuple[str, ...]) -> str:
    """The schema for a server of that version with those extensions installed."""
    text = COMMON
    if server_version_num >= 180000:
        text += PG18
    if "vector" in extensions:
        text += VECTOR
    return text
