"""Pull declares triggers, policies, row-level security, comments, grants and owners: a
database pulled and created again from the pulled model dumps exactly like the source."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from linkgress_async.testing import DatabaseFactory, LinkgressServer
from tests.integration.fidelity import load_sql, round_trip
from tests.integration.security_support import Roles, made_roles
from tests.ruff_clean import ruff_problems

EDGE_CASES = (Path(__file__).parent / "security_edge_cases.sql").read_text(encoding="utf-8")

# One small schema per kind; {owner}, {reader} and {writer} are the test's roles.
KINDS = {
    "triggers": """
        CREATE TABLE t (id integer PRIMARY KEY, note text, at timestamptz);
        CREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql
            AS $$BEGIN NEW.at := now(); RETURN NEW; END$$;
        CREATE TRIGGER stamp BEFORE INSERT OR UPDATE OF note ON t
            FOR EACH ROW WHEN (NEW.note IS NOT NULL) EXECUTE FUNCTION stamp();
        CREATE TRIGGER off AFTER DELETE ON t FOR EACH ROW EXECUTE FUNCTION stamp('a b');
        ALTER TABLE t DISABLE TRIGGER off;
        CREATE VIEW v AS SELECT id, note FROM t;
        CREATE TRIGGER redirect INSTEAD OF INSERT ON v FOR EACH ROW EXECUTE FUNCTION stamp();
    """,
    "policies": """
        CREATE TABLE t (id integer PRIMARY KEY, owner_name text);
        ALTER TABLE t ENABLE ROW LEVEL SECURITY;
        CREATE POLICY mine ON t FOR SELECT TO {reader} USING (owner_name = current_user);
        CREATE POLICY strict ON t AS RESTRICTIVE FOR INSERT WITH CHECK (id > 0);
        CREATE TABLE forced (id integer);
        ALTER TABLE forced ENABLE ROW LEVEL SECURITY;
        ALTER TABLE forced FORCE ROW LEVEL SECURITY;
    """,
    "comments": """
        CREATE SCHEMA app;
        COMMENT ON SCHEMA app IS 'the app';
        CREATE TYPE app.mood AS ENUM ('ok');
        COMMENT ON TYPE app.mood IS 'moods';
        CREATE SEQUENCE app.numbers;
        COMMENT ON SEQUENCE app.numbers IS 'numbers';
        CREATE TABLE app.t (id serial PRIMARY KEY, name text UNIQUE, CHECK (id > 0));
        CREATE INDEX t_name_lower ON app.t (lower(name));
        COMMENT ON TABLE app.t IS 'rows';
        COMMENT ON COLUMN app.t.name IS 'a name';
        COMMENT ON CONSTRAINT t_name_key ON app.t IS 'unique names';
        COMMENT ON CONSTRAINT t_id_check ON app.t IS 'positive';
        COMMENT ON INDEX app.t_pkey IS 'the key';
        COMMENT ON INDEX app.t_name_lower IS 'by name';
        COMMENT ON SEQUENCE app.t_id_seq IS 'ids';
        CREATE TABLE app.child (id integer REFERENCES app.t (id));
        COMMENT ON CONSTRAINT child_id_fkey ON app.child IS 'the parent';
        CREATE VIEW app.v AS SELECT id, name FROM app.t;
        COMMENT ON VIEW app.v IS 'a view';
        COMMENT ON COLUMN app.v.name IS 'the name';
        CREATE FUNCTION app.f(a integer) RETURNS integer LANGUAGE sql AS 'SELECT a';
        COMMENT ON FUNCTION app.f(integer) IS 'identity';
    """,
    "grants": """
        CREATE SCHEMA app;
        GRANT USAGE ON SCHEMA app TO {reader};
        GRANT CREATE ON SCHEMA app TO {writer} WITH GRANT OPTION;
        CREATE TABLE app.t (id bigint GENERATED ALWAYS AS IDENTITY, name text, secret text);
        GRANT SELECT, INSERT ON app.t TO {writer};
        GRANT SELECT ON app.t TO {reader};
        GRANT SELECT (name), UPDATE (name) ON app.t TO {owner};
        GRANT USAGE ON SEQUENCE app.t_id_seq TO {writer};
        CREATE VIEW app.v AS SELECT id, name FROM app.t;
        GRANT SELECT (name) ON app.v TO {reader};
        CREATE FUNCTION app.f() RETURNS integer LANGUAGE sql AS 'SELECT 1';
        REVOKE EXECUTE ON FUNCTION app.f() FROM PUBLIC;
        GRANT EXECUTE ON FUNCTION app.f() TO {reader};
        CREATE TYPE app.mood AS ENUM ('ok');
        REVOKE USAGE ON TYPE app.mood FROM PUBLIC;
        CREATE SEQUENCE app.s;
        GRANT USAGE, SELECT ON SEQUENCE app.s TO PUBLIC;
    """,
    "owners": """
        CREATE SCHEMA app AUTHORIZATION {owner};
        CREATE TABLE app.t (id serial PRIMARY KEY);
        ALTER TABLE app.t OWNER TO {owner};
        CREATE TABLE app.mine (id integer);
        CREATE VIEW app.v AS SELECT id FROM app.t;
        ALTER VIEW app.v OWNER TO {writer};
        CREATE SEQUENCE app.s;
        ALTER SEQUENCE app.s OWNER TO {reader};
        CREATE TYPE app.mood AS ENUM ('ok');
        ALTER TYPE app.mood OWNER TO {owner};
        CREATE FUNCTION app.f() RETURNS integer LANGUAGE sql AS 'SELECT 1';
        ALTER FUNCTION app.f() OWNER TO {owner};
    """,
    "public schema as pg_dump leaves it": """
        ALTER SCHEMA public OWNER TO CURRENT_USER;
        REVOKE USAGE ON SCHEMA public FROM PUBLIC;
        GRANT ALL ON SCHEMA public TO PUBLIC;
        COMMENT ON SCHEMA public IS 'changed';
        CREATE TABLE public.t (id integer);
    """,
}


@pytest.fixture
async def roles(linkgress_server: LinkgressServer) -> AsyncIterator[Roles]:
    async with made_roles(linkgress_server.admin_dsn) as made:
        yield made


@pytest.fixture
def databases(roles: Roles, linkgress_databases: DatabaseFactory) -> DatabaseFactory:
    """Databases dropped before the roles they use (fixtures end in reverse order)."""
    return linkgress_databases


@pytest.mark.parametrize("kind", list(KINDS))
async def test_each_kind_round_trips(
    kind: str, roles: Roles, databases: DatabaseFactory, tmp_path: Path
) -> None:
    source, empty = await databases.create(), await databases.create()
    await load_sql(source, roles.format(KINDS[kind]))
    result = await round_trip(source, empty, tmp_path)
    assert result.module.undeclared == ()
    assert result.on_source == []
    assert result.on_copy == []
    assert result.differing_lines == [], "\n".join(result.difference)


async def test_the_security_edge_cases_round_trip(
    roles: Roles, databases: DatabaseFactory, tmp_path: Path
) -> None:
    source, empty = await databases.create(), await databases.create()
    await load_sql(source, roles.format(EDGE_CASES))
    result = await round_trip(source, empty, tmp_path)
    assert [u.description for u in result.module.undeclared] == []
    assert result.on_source == []
    assert result.on_copy == []
    assert result.differing_lines == [], "\n".join(result.difference)
    assert ruff_problems(result.module.source, tmp_path, "checked.py") == ""
