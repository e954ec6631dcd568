"""Drift and drops of triggers, row-level security, policies, comments, privileges and
owners: every attribute changed by hand on a copy is found by the diff, named, and put back
by its alter operation (reversible); removing each kind plans drops PostgreSQL accepts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import attrs
import pytest

from linkgress_async import DbContext, PgClient
from linkgress_async.catalog import Catalog, Grant, ObjectRef, QualifiedName
from linkgress_async.diff import diff
from linkgress_async.diff.objects_index import TargetObjects
from linkgress_async.migrations import MigrationRunner
from linkgress_async.ops import MigrationOperation, RevokePrivileges
from linkgress_async.testing import DatabaseFactory, LinkgressServer
from tests.integration.security_support import Roles, apply, execute, made_roles, read
from tests.integration.test_baseline import write_migration

SCHEMAS = ("app", "public")
EDGE_CASES = (Path(__file__).parent / "security_edge_cases.sql").read_text(encoding="utf-8")


@pytest.fixture
async def roles(linkgress_server: LinkgressServer) -> AsyncIterator[Roles]:
    async with made_roles(linkgress_server.admin_dsn) as made:
        yield made


@pytest.fixture
def databases(roles: Roles, linkgress_databases: DatabaseFactory) -> DatabaseFactory:
    """Databases dropped before the roles they use (fixtures end in reverse order)."""
    return linkgress_databases


@attrs.frozen
class Drift:
    """A change made by hand, the operations that undo it, and a name they mention."""

    sql: str
    types: tuple[str, ...]
    names: str
    comments_come_back: bool = True
    """False where the plan drops a commented object: its reverse creates it again
    without the comment (a drop does not carry its object's comment)."""


DRIFTS = {
    # triggers
    "trigger disabled": Drift(
        "ALTER TABLE app.accounts DISABLE TRIGGER touch", ("alter_trigger_enabled",), "touch"
    ),
    "trigger enabled": Drift(
        "ALTER TABLE app.accounts ENABLE TRIGGER replica_only",
        ("alter_trigger_enabled",),
        "replica_only",
    ),
    "trigger dropped": Drift(
        "DROP TRIGGER audit_rows ON app.accounts", ("create_trigger",), "audit_rows"
    ),
    "trigger added": Drift(
        "CREATE TRIGGER extra AFTER INSERT ON app.accounts EXECUTE FUNCTION app.audit()",
        ("drop_trigger",),
        "extra",
    ),
    "trigger events and condition": Drift(
        "CREATE OR REPLACE TRIGGER touch BEFORE INSERT OR UPDATE OF balance ON app.accounts"
        " FOR EACH ROW EXECUTE FUNCTION app.touch()",
        ("create_trigger",),
        "Replace trigger 'touch'",
    ),
    "trigger arguments": Drift(
        "CREATE OR REPLACE TRIGGER audit_statement AFTER INSERT OR DELETE OR TRUNCATE"
        " ON app.accounts FOR EACH STATEMENT EXECUTE FUNCTION app.audit('other')",
        ("create_trigger",),
        "audit_statement",
    ),
    "trigger function and timing": Drift(
        "CREATE OR REPLACE TRIGGER switched_off BEFORE INSERT ON app.accounts"
        " FOR EACH ROW EXECUTE FUNCTION app.touch()",
        ("create_trigger",),
        "switched_off",
    ),
    "trigger transition tables": Drift(
        "CREATE OR REPLACE TRIGGER audit_rows AFTER UPDATE ON app.accounts"
        " REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION app.audit()",
        ("create_trigger",),
        "audit_rows",
    ),
    "constraint trigger deferral": Drift(
        "DROP TRIGGER check_later ON app.accounts;"
        " CREATE CONSTRAINT TRIGGER check_later AFTER INSERT OR UPDATE ON app.accounts"
        " FOR EACH ROW WHEN (NEW.balance > 100) EXECUTE FUNCTION app.audit()",
        ("create_trigger", "drop_trigger"),
        "check_later",
    ),
    "trigger renamed": Drift(
        "ALTER TRIGGER touch ON app.accounts RENAME TO touched",
        ("create_trigger", "drop_trigger", "set_comment"),
        "touched",
        comments_come_back=False,
    ),
    "view trigger dropped": Drift(
        "DROP TRIGGER names_insert ON app.account_names",
        ("create_trigger", "set_comment"),
        "names_insert",
    ),
    # row-level security
    "rls disabled": Drift(
        "ALTER TABLE app.accounts DISABLE ROW LEVEL SECURITY",
        ("alter_row_security",),
        "Enable row level security on 'app.accounts'",
    ),
    "rls not forced": Drift(
        "ALTER TABLE app.accounts NO FORCE ROW LEVEL SECURITY",
        ("alter_row_security",),
        "Force row level security",
    ),
    "rls enabled": Drift(
        'ALTER TABLE app."Weird ""Table""" FORCE ROW LEVEL SECURITY',
        ("alter_row_security",),
        "Stop forcing",
    ),
    # policies
    "policy roles": Drift(
        "ALTER POLICY own_rows ON app.accounts TO PUBLIC", ("alter_policy",), "roles"
    ),
    "policy using": Drift(
        "ALTER POLICY own_rows ON app.accounts USING (true)", ("alter_policy",), "using"
    ),
    "policy with check": Drift(
        "ALTER POLICY edits ON app.accounts WITH CHECK (true)", ("alter_policy",), "with check"
    ),
    "policy without its check": Drift(
        "DROP POLICY edits ON app.accounts;"
        " CREATE POLICY edits ON app.accounts FOR UPDATE USING (mood = 'happy')",
        ("alter_policy",),
        "edits",
    ),
    "policy with an extra expression": Drift(
        "ALTER POLICY everything ON app.accounts USING (false)",
        ("create_policy", "drop_policy"),
        "everything",
    ),
    "policy permissiveness": Drift(
        "DROP POLICY read_all ON app.accounts;"
        " CREATE POLICY read_all ON app.accounts FOR SELECT USING (true)",
        ("create_policy", "drop_policy"),
        "read_all",
    ),
    "policy command": Drift(
        "DROP POLICY removals ON app.accounts;"
        " CREATE POLICY removals ON app.accounts FOR SELECT USING (balance = 0)",
        ("create_policy", "drop_policy"),
        "removals",
    ),
    "policy renamed": Drift(
        "ALTER POLICY own_rows ON app.accounts RENAME TO mine",
        ("create_policy", "drop_policy", "set_comment"),
        "mine",
        comments_come_back=False,
    ),
    "policy added": Drift(
        "CREATE POLICY extra ON app.entries USING (true)", ("drop_policy",), "extra"
    ),
    # comments, one of each kind
    "schema comment": Drift("COMMENT ON SCHEMA app IS 'x'", ("set_comment",), "schema 'app'"),
    "table comment": Drift(
        "COMMENT ON TABLE app.accounts IS NULL", ("set_comment",), "table 'app.accounts'"
    ),
    "column comment": Drift(
        "COMMENT ON COLUMN app.accounts.note IS 'new'",
        ("set_comment",),
        "Remove comment on column 'app.accounts.note'",
    ),
    "view column comment": Drift(
        "COMMENT ON COLUMN app.account_names.owner_name IS 'x'",
        ("set_comment",),
        "account_names.owner_name",
    ),
    "constraint comment": Drift(
        "COMMENT ON CONSTRAINT accounts_balance_check ON app.accounts IS 'x'",
        ("set_comment",),
        "accounts_balance_check",
    ),
    "index comment": Drift(
        "COMMENT ON INDEX app.ix_accounts_owner IS 'x'", ("set_comment",), "ix_accounts_owner"
    ),
    "trigger comment": Drift(
        "COMMENT ON TRIGGER touch ON app.accounts IS 'x'", ("set_comment",), "trigger 'touch'"
    ),
    "policy comment": Drift(
        'COMMENT ON POLICY "Pol ""p""" ON app."Weird ""Table""" IS NULL',
        ("set_comment",),
        "policy 'Pol \"p\"'",
    ),
    "function comment": Drift(
        "COMMENT ON FUNCTION app.add(integer, integer) IS 'x'",
        ("set_comment",),
        "add(a integer, b integer)",
    ),
    "type comment": Drift("COMMENT ON TYPE app.mood IS 'x'", ("set_comment",), "mood"),
    "sequence comment": Drift(
        "COMMENT ON SEQUENCE app.accounts_id_seq IS 'x'", ("set_comment",), "accounts_id_seq"
    ),
    "view comment": Drift(
        "COMMENT ON VIEW app.account_names IS 'x'", ("set_comment",), "view 'app.account_names'"
    ),
    # privileges
    "privilege revoked": Drift(
        "REVOKE SELECT ON app.accounts FROM {reader}", ("grant_privileges",), "SELECT"
    ),
    "privilege granted": Drift(
        "GRANT DELETE, TRUNCATE ON app.accounts TO {reader}",
        ("revoke_privileges",),
        "Revoke DELETE, TRUNCATE on table 'app.accounts'",
    ),
    "grant option revoked": Drift(
        "REVOKE GRANT OPTION FOR SELECT ON app.accounts FROM {writer}",
        ("grant_privileges",),
        "with grant option",
    ),
    "grant option given": Drift(
        "GRANT INSERT ON app.accounts TO {reader} WITH GRANT OPTION",
        ("revoke_privileges",),
        "grant option for INSERT",
    ),
    "default privilege given back": Drift(
        "GRANT EXECUTE ON FUNCTION app.audit() TO PUBLIC",
        ("revoke_privileges",),
        "Revoke EXECUTE on function 'app.audit()' from 'PUBLIC'",
    ),
    "default privilege taken": Drift(
        "REVOKE EXECUTE ON FUNCTION app.touch() FROM PUBLIC",
        ("grant_privileges",),
        "Grant EXECUTE on function 'app.touch()' to 'PUBLIC'",
    ),
    "column privilege": Drift(
        "REVOKE UPDATE (note) ON app.accounts FROM {writer}",
        ("grant_privileges",),
        "column 'app.accounts.note'",
    ),
    "schema privilege": Drift(
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC", ("grant_privileges",), "schema 'public'"
    ),
    "type privilege": Drift(
        "GRANT USAGE ON TYPE app.mood TO PUBLIC", ("revoke_privileges",), "type 'app.mood'"
    ),
    "sequence privilege": Drift(
        "REVOKE USAGE ON SEQUENCE app.counter FROM {writer}", ("grant_privileges",), "counter"
    ),
    "view privilege": Drift(
        "GRANT INSERT ON app.account_names TO {writer}", ("revoke_privileges",), "account_names"
    ),
    # owners
    "table owner": Drift(
        "ALTER TABLE app.accounts OWNER TO postgres", ("alter_owner",), "table 'app.accounts'"
    ),
    "schema owner": Drift("ALTER SCHEMA app OWNER TO postgres", ("alter_owner",), "app"),
    "function owner": Drift(
        "ALTER FUNCTION app.touch() OWNER TO postgres", ("alter_owner",), "touch()"
    ),
    "type owner": Drift("ALTER TYPE app.mood OWNER TO postgres", ("alter_owner",), "mood"),
    "sequence owner": Drift(
        "ALTER SEQUENCE app.counter OWNER TO postgres", ("alter_owner",), "counter"
    ),
    "view owner": Drift(
        "ALTER VIEW app.account_names OWNER TO postgres", ("alter_owner",), "account_names"
    ),
}


def _reverse(operations: list[MigrationOperation]) -> list[MigrationOperation]:
    """What a scaffolded down() runs: each operation's reverse, last first."""
    reversed_ops: list[MigrationOperation] = []
    for op in reversed(operations):
        inverse = op.reverse()
        assert inverse is not None, op
        reversed_ops.append(inverse)
    return reversed_ops


@pytest.mark.parametrize("case", DRIFTS, ids=list(DRIFTS))
async def test_drift_is_found_named_and_put_back(
    roles: Roles, databases: DatabaseFactory, case: str
) -> None:
    drift = DRIFTS[case]
    source, copy = await databases.create(), await databases.create()
    await execute(source, roles.format(EDGE_CASES))
    await execute(copy, roles.format(EDGE_CASES) + ";\n" + roles.format(drift.sql))
    wanted, drifted = await read(source, SCHEMAS), await read(copy, SCHEMAS)

    operations = diff(drifted, wanted)
    assert sorted(op.type for op in operations) == sorted(drift.types)
    assert any(roles.format(drift.names) in op.describe() for op in operations), [
        op.describe() for op in operations
    ]
    assert not any(op.destructive for op in operations)
    await apply(copy, operations)
    assert await read(copy, SCHEMAS) == wanted
    assert diff(await read(copy, SCHEMAS), wanted) == []
    # The scaffold's down(): the reverse operations bring the drift back.
    await apply(copy, _reverse(operations))
    reverted = await read(copy, SCHEMAS)
    if not drift.comments_come_back:
        reverted, drifted = (attrs.evolve(c, comments=()) for c in (reverted, drifted))
    assert reverted == drifted


# --- drops ---------------------------------------------------------------------------------


def _consistent(catalog: Catalog) -> Catalog:
    """``catalog`` without the comments, privileges and owners of objects it lacks."""
    present = TargetObjects(catalog)
    return attrs.evolve(
        catalog,
        comments=[c for c in catalog.comments if c.target in present],
        grants=[g for g in catalog.grants if g.target in present],
        owners=[o for o in catalog.owners if o.target in present],
    )


def _without_function(catalog: Catalog, schema: str, name: str) -> Catalog:
    """``catalog`` without the function and every trigger that calls it."""
    function = QualifiedName(schema, name)
    tables = [
        attrs.evolve(t, triggers=[x for x in t.triggers if x.function != function])
        for t in catalog.tables
    ]
    functions = [f for f in catalog.functions if f.qualified_name != function]
    return _consistent(attrs.evolve(catalog, tables=tables, functions=functions))


async def test_a_trigger_function_goes_after_its_triggers(
    roles: Roles, databases: DatabaseFactory
) -> None:
    source = await databases.create()
    await execute(source, roles.format(EDGE_CASES))
    current = await read(source, SCHEMAS)
    target = _without_function(current, "app", "touch")

    operations = diff(current, target)
    kinds = [op.type for op in operations]
    dropped_triggers = [i for i, k in enumerate(kinds) if k == "drop_trigger"]
    assert len(dropped_triggers) == 4  # touch, replica_only, always_on, "Trig ""q"""
    assert kinds.index("drop_function") > max(dropped_triggers)
    await apply(source, operations)
    assert await read(source, SCHEMAS) == target


async def test_a_dropped_table_whose_trigger_function_goes_too(
    roles: Roles, databases: DatabaseFactory
) -> None:
    source = await databases.create()
    await execute(source, roles.format(EDGE_CASES))
    current = await read(source, SCHEMAS)
    weird = 'Weird "Table"'
    target = _without_function(current, "app", "touch")
    target = _consistent(attrs.evolve(target, tables=[t for t in target.tables if t.name != weird]))
    operations = diff(current, target)
    kinds = [op.type for op in operations]
    # The triggers that call the function go before it, whether the table goes first or not.
    last_trigger = max(i for i, kind in enumerate(kinds) if kind == "drop_trigger")
    assert last_trigger < kinds.index("drop_function")
    # Nothing is commented, granted or owned on what goes.
    assert not [op for op in operations if weird in op.describe() and op.type == "set_comment"]
    await apply(source, operations)
    assert await read(source, SCHEMAS) == target


async def test_each_kind_removed_from_the_target_is_dropped(
    roles: Roles, databases: DatabaseFactory
) -> None:
    source = await databases.create()
    await execute(source, roles.format(EDGE_CASES))
    current = await read(source, SCHEMAS)
    accounts = current.table("app", "accounts")
    assert accounts is not None
    bare = attrs.evolve(accounts, triggers=(), policies=(), rls_enabled=False, rls_forced=False)
    table = ObjectRef.of_table("app", "accounts")
    reader_select = Grant(table, roles.reader, "SELECT")
    target = attrs.evolve(
        current,
        tables=[bare if t is accounts else t for t in current.tables],
        views=[attrs.evolve(v, triggers=()) for v in current.views],
        comments=[],
        # Only roles the target names are managed: the writer's privileges are left alone.
        grants=[g for g in current.grants if g != reader_select and g.grantee != roles.writer],
    )
    operations = diff(current, target)
    assert {op.type for op in operations} == {
        "drop_trigger",
        "drop_policy",
        "alter_row_security",
        "set_comment",
        "revoke_privileges",
    }
    revokes = [op for op in operations if isinstance(op, RevokePrivileges)]
    assert revokes == [RevokePrivileges(table, roles.reader, ("SELECT",))]
    await apply(source, operations)
    after = await read(source, SCHEMAS)
    assert attrs.evolve(after, comments=(), grants=()) == attrs.evolve(target, grants=())
    assert set(after.grants) == set(target.grants) | {
        g for g in current.grants if g.grantee == roles.writer
    }
    # Even public's own comment goes: the target states none.
    assert after.comments == ()


# --- the drift command ---------------------------------------------------------------------


async def test_drift_compares_only_the_owners_migrations_give(
    roles: Roles, databases: DatabaseFactory, tmp_path: Path
) -> None:
    dsn = await databases.create()
    write_migration(
        tmp_path, "1_create.py", "CREATE TABLE notes (id int); CREATE TABLE log (x int)"
    )
    write_migration(tmp_path, "2_owner.py", roles.format("ALTER TABLE log OWNER TO {owner}"))
    async with DbContext(PgClient(dsn=dsn)) as db:
        runner = MigrationRunner(db, migrations_directory=tmp_path, verbose=False)
        assert (await runner.up()).failed is None
        assert not (await runner.drift()).has_drift
        # Who owns what the migrations created is not the migrations' business...
        await db.execute(roles.format("ALTER TABLE notes OWNER TO {reader}"))
        assert not (await runner.drift()).has_drift
        # ... unless a migration gave it an owner.
        await db.execute("ALTER TABLE log OWNER TO postgres")
        report = await runner.drift()
        assert [op.describe() for op in report.operations] == [
            f"Change the owner of table 'log' to '{roles.owner}'"
        ]
        # Comments and privileges made by hand are drift.
        await db.execute(roles.format("ALTER TABLE log OWNER TO {owner}"))
        await db.execute(roles.format("COMMENT ON TABLE notes IS 'x'"))
        report = await runner.drift()
        assert [op.describe() for op in report.operations] == ["Remove comment on table 'notes'"]
