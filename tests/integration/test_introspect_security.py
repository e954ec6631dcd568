"""Introspection of comments, privileges and owners on every kind, including kinds the
catalog does not model yet, and of what must not be read: extension members, partitions'
trigger clones, foreign keys' internal triggers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from linkgress_async.catalog import Comment, Grant, ObjectRef, Owner
from linkgress_async.testing import DatabaseFactory, LinkgressServer
from tests.integration.security_support import Roles, execute, made_roles, read

EVERY_KIND = """
CREATE SCHEMA k;
COMMENT ON SCHEMA k IS 'schema';
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA k;
COMMENT ON EXTENSION pg_trgm IS 'extension';
CREATE TYPE k.pair AS (a integer, b text);
COMMENT ON TYPE k.pair IS 'composite';
COMMENT ON COLUMN k.pair.a IS 'attribute';
GRANT USAGE ON TYPE k.pair TO {reader};
CREATE DOMAIN k.positive AS integer CONSTRAINT positive_check CHECK (VALUE > 0);
COMMENT ON DOMAIN k.positive IS 'domain';
COMMENT ON CONSTRAINT positive_check ON DOMAIN k.positive IS 'domain constraint';
REVOKE USAGE ON DOMAIN k.positive FROM PUBLIC;
ALTER DOMAIN k.positive OWNER TO {owner};
CREATE TYPE k.span AS RANGE (subtype = integer);
COMMENT ON TYPE k.span IS 'range';
CREATE TABLE k.t (id integer PRIMARY KEY, v k.positive);
CREATE MATERIALIZED VIEW k.mv AS SELECT id FROM k.t;
CREATE INDEX mv_id ON k.mv (id);
COMMENT ON MATERIALIZED VIEW k.mv IS 'matview';
COMMENT ON COLUMN k.mv.id IS 'matview column';
COMMENT ON INDEX k.mv_id IS 'matview index';
GRANT SELECT ON k.mv TO {reader};
ALTER MATERIALIZED VIEW k.mv OWNER TO {owner};
CREATE PROCEDURE k.p(x integer) LANGUAGE sql AS 'SELECT 1';
COMMENT ON PROCEDURE k.p(integer) IS 'procedure';
REVOKE EXECUTE ON PROCEDURE k.p(integer) FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE k.p(integer) TO {reader} WITH GRANT OPTION;
CREATE AGGREGATE k.total(integer) (SFUNC = int4pl, STYPE = integer);
COMMENT ON AGGREGATE k.total(integer) IS 'aggregate';
ALTER AGGREGATE k.total(integer) OWNER TO {owner};
CREATE STATISTICS k.st ON id, v FROM k.t;
COMMENT ON STATISTICS k.st IS 'statistics';
CREATE TABLE k.events (at date NOT NULL, id integer REFERENCES k.t) PARTITION BY RANGE (at);
CREATE TABLE k.events_2024 PARTITION OF k.events
    FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
COMMENT ON TABLE k.events_2024 IS 'partition';
ALTER TABLE k.events_2024 OWNER TO {owner};
CREATE FUNCTION k.tg() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
CREATE TRIGGER on_events BEFORE INSERT ON k.events FOR EACH ROW EXECUTE FUNCTION k.tg();
"""


@pytest.fixture
async def roles(linkgress_server: LinkgressServer) -> AsyncIterator[Roles]:
    async with made_roles(linkgress_server.admin_dsn) as made:
        yield made


@pytest.fixture
def databases(roles: Roles, linkgress_databases: DatabaseFactory) -> DatabaseFactory:
    """Databases dropped before the roles they use (fixtures end in reverse order)."""
    return linkgress_databases


async def test_every_kind_has_its_comments_privileges_and_owner_read(
    roles: Roles, databases: DatabaseFactory
) -> None:
    dsn = await databases.create()
    await execute(dsn, roles.format(EVERY_KIND))
    catalog = await read(dsn, ["k"])

    comments = {c.target: c.text for c in catalog.comments}
    assert comments == {
        ObjectRef.of_schema("k"): "schema",
        ObjectRef("extension", None, "pg_trgm"): "extension",
        ObjectRef("type", "k", "pair"): "composite",
        ObjectRef.of_column("k", "pair", "a"): "attribute",
        ObjectRef("domain", "k", "positive"): "domain",
        ObjectRef("domain_constraint", "k", "positive", "positive_check"): "domain constraint",
        ObjectRef("type", "k", "span"): "range",
        ObjectRef("materialized_view", "k", "mv"): "matview",
        ObjectRef.of_column("k", "mv", "id"): "matview column",
        ObjectRef("index", "k", "mv_id"): "matview index",
        ObjectRef("procedure", "k", "p", "IN x integer"): "procedure",
        ObjectRef("aggregate", "k", "total", "integer"): "aggregate",
        ObjectRef("statistics", "k", "st"): "statistics",
        ObjectRef.of_table("k", "events_2024"): "partition",
    }
    assert set(catalog.grants) >= {
        Grant(ObjectRef("type", "k", "pair"), roles.reader, "USAGE"),
        Grant(ObjectRef("domain", "k", "positive"), "PUBLIC", "USAGE", revoke=True),
        Grant(ObjectRef("materialized_view", "k", "mv"), roles.reader, "SELECT"),
        Grant(ObjectRef("procedure", "k", "p", "IN x integer"), "PUBLIC", "EXECUTE", revoke=True),
        Grant(ObjectRef("procedure", "k", "p", "IN x integer"), roles.reader, "EXECUTE", True),
    }
    owners = {o.target: o.role for o in catalog.owners}
    assert owners[ObjectRef("domain", "k", "positive")] == roles.owner
    assert owners[ObjectRef("materialized_view", "k", "mv")] == roles.owner
    assert owners[ObjectRef("aggregate", "k", "total", "integer")] == roles.owner
    assert owners[ObjectRef.of_table("k", "events_2024")] == roles.owner
    assert owners[ObjectRef("statistics", "k", "st")] == "postgres"
    assert Owner(ObjectRef("type", "k", "span"), "postgres") in catalog.owners
    # Nothing of the extension's own: its functions, types and operators are its business.
    extension_objects = [
        o for o in catalog.owners if o.target.name in ("similarity", "gtrgm", "show_trgm")
    ]
    assert extension_objects == []
    # Arrays and tables' row types are not types of their own.
    assert not [o for o in catalog.owners if o.target.kind == "type" and o.target.name[0] == "_"]
    assert not [o for o in catalog.owners if o.target == ObjectRef("type", "k", "t")]

    # The trigger is the parent's: its clone on the partition and the foreign key's
    # internal triggers are not read.
    events = catalog.table("k", "events")
    assert events is not None
    assert [t.name for t in events.triggers] == ["on_events"]
    parent = catalog.table("k", "t")
    assert parent is not None
    assert parent.triggers == ()


async def test_a_comment_of_an_extension_member_is_not_read(databases: DatabaseFactory) -> None:
    dsn = await databases.create()
    await execute(
        dsn,
        "CREATE TABLE public.member (id integer);"
        " ALTER EXTENSION plpgsql ADD TABLE public.member;"
        " COMMENT ON TABLE public.member IS 'the extension''s';"
        " COMMENT ON COLUMN public.member.id IS 'the extension''s too';"
        " CREATE TRIGGER t BEFORE INSERT ON public.member"
        " FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger();",
    )
    catalog = await read(dsn, ["public"])
    assert [c.text for c in catalog.comments] == ["standard public schema"]
    assert not [o for o in catalog.owners if o.target.name == "member"]
    assert catalog.comments == (Comment(ObjectRef.of_schema("public"), "standard public schema"),)
