"""Triggers, policies, row-level security, comments, privileges and owners made by hand on a
model's tables: the schema manager keeps them (reporting triggers, policies and row-level
security), so every model still analyzes to nothing; ``drop_unmanaged`` lets them go."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings

from linkgress_async import DbContext, DbSchemaManager, PgClient
from linkgress_async.catalog import Catalog
from linkgress_async.migrations import MigrationRunner, MigrationScaffold
from linkgress_async.testing import DatabaseFactory, LinkgressServer
from tests.integration.helpers import quiet
from tests.integration.models import AppDatabase
from tests.integration.random_models import ModelSpec, context_for, model_specs, without_extras
from tests.integration.scaffold_models import ShopV2
from tests.integration.security_support import Roles, execute, made_roles, read, table_rows
from tests.integration.test_roundtrip_property import _create_role

# Run as one DO block per database: every table of the model's schemas gets a trigger, a
# policy, row-level security, comments, privileges and a new owner; enums and schemas get
# comments, privileges and owners. The trigger function lives in a schema the model does not
# use. {schemas} is an SQL array of the model's schema names.
HAND_MADE = """
CREATE SCHEMA hand;
CREATE FUNCTION hand.audit() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NULL; END$$;
DO $do$
DECLARE
    t record;
BEGIN
    FOR t IN
        SELECT n.nspname AS s, c.relname AS r, a.attname AS col
        FROM pg_class AS c
        JOIN pg_namespace AS n ON n.oid = c.relnamespace
        JOIN pg_attribute AS a ON a.attrelid = c.oid AND a.attnum = 1
        WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY({schemas})
    LOOP
        EXECUTE format('CREATE TRIGGER hand_trigger AFTER INSERT ON %I.%I FOR EACH ROW'
            ' EXECUTE FUNCTION hand.audit(%L)', t.s, t.r, 'by hand');
        EXECUTE format('ALTER TABLE %I.%I ENABLE ROW LEVEL SECURITY', t.s, t.r);
        EXECUTE format('ALTER TABLE %I.%I FORCE ROW LEVEL SECURITY', t.s, t.r);
        EXECUTE format('CREATE POLICY hand_policy ON %I.%I USING (true)', t.s, t.r);
        EXECUTE format('COMMENT ON TABLE %I.%I IS %L', t.s, t.r, 'by hand');
        EXECUTE format('COMMENT ON COLUMN %I.%I.%I IS %L', t.s, t.r, t.col, 'by hand');
        EXECUTE format('COMMENT ON TRIGGER hand_trigger ON %I.%I IS %L', t.s, t.r, 'by hand');
        EXECUTE format('GRANT SELECT ON %I.%I TO %s', t.s, t.r, {reader});
        EXECUTE format('GRANT UPDATE (%I) ON %I.%I TO %s', t.col, t.s, t.r, {reader});
        EXECUTE format('ALTER TABLE %I.%I OWNER TO %s', t.s, t.r, {owner});
    END LOOP;
    FOR t IN
        SELECT n.nspname AS s, ty.typname AS r FROM pg_type AS ty
        JOIN pg_namespace AS n ON n.oid = ty.typnamespace
        WHERE ty.typtype = 'e' AND n.nspname = ANY({schemas})
    LOOP
        EXECUTE format('COMMENT ON TYPE %I.%I IS %L', t.s, t.r, 'by hand');
        EXECUTE format('REVOKE USAGE ON TYPE %I.%I FROM PUBLIC', t.s, t.r);
        EXECUTE format('ALTER TYPE %I.%I OWNER TO %s', t.s, t.r, {owner});
    END LOOP;
    FOR t IN SELECT nspname AS s FROM pg_namespace WHERE nspname = ANY({schemas}) LOOP
        EXECUTE format('COMMENT ON SCHEMA %I IS %L', t.s, 'by hand');
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO %s', t.s, {reader});
    END LOOP;
END
$do$;
"""


@pytest.fixture
async def roles(linkgress_server: LinkgressServer) -> AsyncIterator[Roles]:
    async with made_roles(linkgress_server.admin_dsn) as made:
        yield made


@pytest.fixture
def databases(roles: Roles, linkgress_databases: DatabaseFactory) -> DatabaseFactory:
    """Databases dropped before the roles they use (fixtures end in reverse order)."""
    return linkgress_databases


def _literal_array(names: Iterable[str]) -> str:
    quoted = ", ".join("'" + name.replace("'", "''") + "'" for name in names)
    return f"ARRAY[{quoted}]::text[]"


def _hand_made(roles: Roles, schemas: Iterable[str]) -> str:
    # format(%s) takes the role as SQL: already quoted (and quoted again as a literal here).
    def as_literal(quoted: str) -> str:
        return "'" + quoted.replace("'", "''") + "'"

    return HAND_MADE.format(
        schemas=_literal_array(schemas),
        reader=as_literal(roles.format("{reader}")),
        owner=as_literal(roles.format("{owner}")),
    )


def manager(db: DbContext, **options: Any) -> DbSchemaManager:
    sm: DbSchemaManager = db.get_schema_manager(out=quiet, **options)
    return sm


async def _decorated(dsn: str, context: type[DbContext], roles: Roles) -> None:
    """Create the model, then decorate it by hand."""
    async with context(PgClient(dsn=dsn, max_size=4)) as db:
        await manager(db).ensure_created()
        await execute(dsn, _hand_made(roles, db.model.schemas))


async def _kept_as_they_are(dsn: str, context: type[DbContext]) -> None:
    async with context(PgClient(dsn=dsn, max_size=4)) as db:
        before = await read(dsn, db.model.schemas)
        sm = manager(db)
        plan = await sm.plan()
        assert plan.operations == ()
        tables = {(t.schema, t.name) for t in db.model.tables}
        mine = ("trigger", "policy", "row_security")
        kept = {(u.kind, u.schema_name, u.name) for u in plan.unmanaged if u.kind in mine}
        assert kept == (
            {("trigger", s, f"{t}.hand_trigger") for s, t in tables}
            | {("policy", s, f"{t}.hand_policy") for s, t in tables}
            | {("row_security", s, t) for s, t in tables}
        )
        assert await sm.migrate(interactive=False) == []
        assert await read(dsn, db.model.schemas) == before


@pytest.mark.parametrize("context", [AppDatabase, ShopV2], ids=["api", "shop"])
async def test_hand_made_security_is_kept_and_the_model_analyzes_to_nothing(
    roles: Roles, databases: DatabaseFactory, context: type[DbContext]
) -> None:
    dsn = await databases.create()
    await _create_role(dsn)
    await _decorated(dsn, context, roles)
    await _kept_as_they_are(dsn, context)


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
@given(spec=model_specs())
async def test_random_models_keep_hand_made_security(
    roles: Roles, databases: DatabaseFactory, spec: ModelSpec
) -> None:
    dsn = await databases.create()
    await _create_role(dsn)
    # The random model's own comments, policies and triggers would be changed by hand here.
    plain = context_for(without_extras(spec))
    await _decorated(dsn, plain, roles)
    await _kept_as_they_are(dsn, plain)


async def test_drop_unmanaged_lets_them_go(roles: Roles, databases: DatabaseFactory) -> None:
    dsn = await databases.create()
    await _create_role(dsn)
    await _decorated(dsn, ShopV2, roles)
    async with ShopV2(PgClient(dsn=dsn, max_size=4)) as db:
        before = await read(dsn, db.model.schemas)
        sm = manager(db, drop_unmanaged=True)
        applied = await sm.migrate(interactive=False)
        kinds = sorted({op.type for op in applied})
        assert kinds == ["alter_row_security", "drop_policy", "drop_trigger", "set_comment"]
        assert not any(op.destructive for op in applied)
        assert await sm.analyze() == []
        assert await manager(db).analyze() == []
        after = await read(dsn, db.model.schemas)
    for table in after.tables:
        assert (table.triggers, table.policies, table.rls_enabled) == ((), (), False)
    # Comments the model does not state go, but a schema's; privileges and owners stay (the
    # model names no role and states no owner).
    assert {c.target.kind for c in after.comments} == {"schema"}
    assert after.grants == before.grants
    assert after.owners == before.owners


async def test_patterns_and_exclusions_pick_triggers_and_policies(
    roles: Roles, databases: DatabaseFactory
) -> None:
    dsn = await databases.create()
    await _decorated(dsn, ShopV2, roles)
    async with ShopV2(PgClient(dsn=dsn, max_size=4)) as db:
        sm = manager(db, drop_unmanaged=["shop.orders.hand_*"], exclude=["*.customers.hand_*"])
        plan = await sm.plan()
        dropped = sorted(op.describe() for op in plan.operations)
        assert dropped == [
            "Drop policy 'hand_policy' on 'shop.orders'",
            "Drop trigger 'hand_trigger' on 'shop.orders'",
        ]
        # Row-level security belongs to the table, which the patterns do not name.
        kept = sorted(u.describe() for u in plan.unmanaged)
        assert kept == ["row_security 'shop.customers'", "row_security 'shop.orders'"]


FUNCTION_IN_MODEL_SCHEMA = """
CREATE FUNCTION shop.stamp() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
CREATE TRIGGER stamp BEFORE UPDATE ON shop.orders FOR EACH ROW EXECUTE FUNCTION shop.stamp();
"""


async def test_an_undeclared_trigger_function_goes_after_its_trigger(
    databases: DatabaseFactory,
) -> None:
    dsn = await databases.create()
    async with ShopV2(PgClient(dsn=dsn, max_size=4)) as db:
        await manager(db).ensure_created()
        await db.execute(FUNCTION_IN_MODEL_SCHEMA)
        plan = await manager(db).plan()
        assert sorted(u.describe() for u in plan.unmanaged) == [
            "function 'shop.stamp'",
            "trigger 'shop.orders.stamp'",
        ]
        # The function may go, the trigger that calls it not: the function stays too.
        plan = await manager(db, drop_unmanaged=["shop.stamp"]).plan()
        assert plan.operations == ()
        assert sorted(u.describe() for u in plan.unmanaged) == [
            "function 'shop.stamp' (used by kept trigger 'stamp')",
            "trigger 'shop.orders.stamp'",
        ]
        applied = await manager(db, drop_unmanaged=True).migrate(interactive=False)
        assert [op.type for op in applied] == ["drop_trigger", "drop_function"]
        left = await db.query(
            "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal"
            " UNION ALL SELECT count(*) FROM pg_proc WHERE proname = 'stamp'"
        )
        assert table_rows(left) == [(0,), (0,)]


async def test_a_scaffolded_migration_drops_them_and_its_down_brings_them_back(
    roles: Roles, databases: DatabaseFactory, tmp_path: Path
) -> None:
    dsn = await databases.create()
    await _decorated(dsn, ShopV2, roles)
    async with ShopV2(PgClient(dsn=dsn, max_size=4)) as db:
        before = await read(dsn, db.model.schemas)
        options = {"drop_unmanaged": True}
        scaffold = MigrationScaffold(db, tmp_path, manager_options=options)
        written = await scaffold.scaffold("tests.integration.scaffold_models", name="tidy")
        assert {op.type for op in written.operations} == {
            "alter_row_security",
            "drop_policy",
            "drop_trigger",
            "set_comment",
        }
        runner = MigrationRunner(db, tmp_path, verbose=False)
        assert (await runner.up()).applied == [written.filename]
        assert await manager(db, **options).analyze() == []
        assert (await runner.down(1)).applied == [written.filename]
        after = await read(dsn, db.model.schemas)

    # Everything is back but the triggers' comments: a drop does not carry its object's.
    def without_trigger_comments(catalog: Catalog) -> Catalog:
        kept = [c for c in catalog.comments if c.target.kind != "trigger"]
        return attrs.evolve(catalog, comments=kept)

    assert without_trigger_comments(after) == without_trigger_comments(before)
