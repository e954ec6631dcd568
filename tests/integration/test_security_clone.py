"""Triggers, row-level security, policies, comments, privileges and owners survive the round
trip catalog -> SQL -> catalog: a database made from diff(empty, introspect(source)) reads
back equal and dumps (pg_dump --schema-only) identically."""

from __future__ import annotations

import difflib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from linkgress_async.catalog import Grant, ObjectRef, Owner, QualifiedName, Trigger
from linkgress_async.diff import diff
from linkgress_async.diff.objects_index import TargetObjects
from linkgress_async.ops import (
    AlterOwner,
    AlterRowSecurity,
    CreatePolicy,
    CreateTrigger,
    GrantPrivileges,
    MigrationOperation,
    RevokePrivileges,
    SetComment,
)
from linkgress_async.testing import DatabaseFactory, LinkgressServer
from tests.integration.security_support import (
    PAGILA,
    Roles,
    apply,
    apply_what_runs,
    clone_plan,
    dump_blocks,
    execute,
    made_roles,
    pagila_blocks,
    read,
    schema_dump,
)

SCHEMAS = ("app", "public")

# Every feature of the kinds, on objects the library creates: owners other than the role that
# runs the plan, privileges beyond and below PostgreSQL's defaults (with grant options, on
# columns, taken from PUBLIC), comments on every kind, triggers of every shape, policies of
# every shape, forced row-level security, hostile names, and the public schema changed the
# way Pagila's dump changes it.
EDGE_CASES = (Path(__file__).parent / "security_edge_cases.sql").read_text(encoding="utf-8")


@pytest.fixture
async def roles(linkgress_server: LinkgressServer) -> AsyncIterator[Roles]:
    async with made_roles(linkgress_server.admin_dsn) as made:
        yield made


@pytest.fixture
def databases(roles: Roles, linkgress_databases: DatabaseFactory) -> DatabaseFactory:
    """Databases dropped before the roles they use (fixtures end in reverse order)."""
    return linkgress_databases


async def test_edge_cases_clone_exactly(roles: Roles, databases: DatabaseFactory) -> None:
    source, copy = await databases.create(), await databases.create()
    await execute(source, roles.format(EDGE_CASES))
    original = await read(source, SCHEMAS)

    await apply(copy, await clone_plan(source, SCHEMAS))

    cloned = await read(copy, SCHEMAS)
    assert cloned == original
    assert diff(original, cloned) == []
    assert await schema_dump(copy) == await schema_dump(source)


async def test_edge_cases_are_read_as_the_catalog_says(
    roles: Roles, databases: DatabaseFactory
) -> None:
    source = await databases.create()
    await execute(source, roles.format(EDGE_CASES))
    catalog = await read(source, SCHEMAS)
    accounts = catalog.table("app", "accounts")
    assert accounts is not None
    assert (accounts.rls_enabled, accounts.rls_forced) == (True, True)
    triggers = {t.name: t for t in accounts.triggers}
    assert triggers["touch"] == Trigger(
        "touch",
        QualifiedName("app", "touch"),
        "before",
        ("update",),
        "row",
        update_columns=("balance", "note"),
        when="old.* IS DISTINCT FROM new.*",
    )
    assert triggers["audit_statement"].events == ("insert", "delete", "truncate")
    assert triggers["audit_statement"].arguments == ("it's", "two words", "", "back\\slash")
    assert (triggers["audit_rows"].old_table, triggers["audit_rows"].new_table) == (
        "old_rows",
        "New Rows",
    )
    later = triggers["check_later"]
    assert (later.constraint, later.deferrable, later.initially_deferred) == (True, True, True)
    assert later.when == "new.balance > 100::numeric"
    assert [triggers[n].enabled for n in ("replica_only", "always_on", "switched_off")] == [
        "replica",
        "always",
        "disabled",
    ]
    assert triggers["fulltext"].function == QualifiedName("pg_catalog", "tsvector_update_trigger")
    weird = catalog.table("app", 'Weird "Table"')
    assert weird is not None
    assert weird.triggers[0].when == (
        'new."Col ""x""" > 0 AND new."when" <> \'x) EXECUTE FUNCTION (\'::text '
        "AND 'FOR EACH ROW'::text <> ')'::text"
    )
    view = next(v for v in catalog.views if v.name == "account_names")
    assert [(t.name, t.timing) for t in view.triggers] == [("names_insert", "instead of")]

    policies = {p.name: p for p in accounts.policies}
    assert policies["own_rows"].roles == tuple(sorted([roles.reader, roles.writer]))
    assert policies["read_all"].permissive is False
    assert policies["read_all"].roles == ("public",)
    assert (policies["adds"].command, policies["adds"].using) == ("insert", None)
    # PUBLIC among other roles is PUBLIC alone: the server keeps only it.
    assert policies["removals"].roles == ("public",)

    public = ObjectRef.of_schema("public")
    assert Owner(public, roles.owner) in catalog.owners
    assert {g for g in catalog.grants if g.target == public} == {
        Grant(public, "PUBLIC", "CREATE"),
        Grant(public, "PUBLIC", "USAGE"),
    }
    audit = ObjectRef("function", "app", "audit", "")
    assert Grant(audit, "PUBLIC", "EXECUTE", revoke=True) in catalog.grants
    assert Grant(audit, roles.writer, "EXECUTE") in catalog.grants
    accounts_ref = ObjectRef.of_table("app", "accounts")
    assert Grant(accounts_ref, roles.writer, "SELECT", grantable=True) in catalog.grants
    note = ObjectRef.of_column("app", "accounts", "note")
    assert Grant(note, roles.writer, "UPDATE") in catalog.grants
    # The owner's own privileges are not represented; a serial's sequence follows its table.
    assert not [g for g in catalog.grants if g.grantee == roles.owner]
    assert not [o for o in catalog.owners if o.target.name == "accounts_id_seq"]
    comments = {c.target: c.text for c in catalog.comments}
    assert comments[ObjectRef("index", "app", "accounts_pkey")] == "the key's index"
    assert comments[ObjectRef("policy", "app", "accounts", "own_rows")] == "own rows only"
    assert comments[ObjectRef("column", "app", "account_names", "owner_name")] == "who"


def _pagila_prelude() -> list[str]:
    """What the clone needs that other object kinds' work will create (not these tests'):
    the extension, the domains, and the aggregate with its state function."""
    blocks = pagila_blocks()
    prelude = [body for kind, body in blocks if kind in ("EXTENSION", "DOMAIN")]
    prelude += [b for kind, b in blocks if kind == "FUNCTION" and "_group_concat(" in b][:1]
    prelude += [body for kind, body in blocks if kind == "AGGREGATE"]
    return prelude


_MY_TYPES = {"TRIGGER", "POLICY", "ROW SECURITY", "COMMENT", "ACL"}


async def test_pagila_clone_keeps_every_trigger_comment_privilege_and_owner(
    linkgress_server: LinkgressServer, databases: DatabaseFactory
) -> None:
    if linkgress_server.server_version_num < 180000:
        return  # the real-world schema is checked on PostgreSQL 18 (pgvector ships with it)
    source, copy = await databases.create(), await databases.create()
    await execute(source, PAGILA.read_text(encoding="utf-8"))
    # Kinds other engineers are adding (extensions, domains, aggregates, partitions) are not
    # created by the plan yet: the clone starts with what they need, and every statement of
    # the plan runs in a savepoint of its own, so the dump below measures what is missing.
    await execute(copy, "\n".join(_pagila_prelude()))
    plan = await clone_plan(source, ["public"])
    failed = await apply_what_runs(copy, plan)
    # Operations of these kinds fail only on objects the copy lacks (another kind's failure).
    present = TargetObjects(await read(copy, ["public"]))
    assert not [(op, error) for op, error in failed if _mine_on_present(op, present)]

    before, after = await schema_dump(source), await schema_dump(copy)
    source_blocks, copy_blocks = dump_blocks(before), dump_blocks(after)
    mine = {k: v for k, v in source_blocks.items() if k[0] in _MY_TYPES}
    assert mine == {k: v for k, v in copy_blocks.items() if k[0] in _MY_TYPES}
    assert len([k for k in mine if k[0] == "TRIGGER"]) == 16
    # Every object both dumps have is owned alike (an object the copy lacks is its kind's).
    for key in source_blocks.keys() & copy_blocks.keys():
        owners = [line for line in source_blocks[key].splitlines() if "OWNER TO" in line]
        assert owners == [line for line in copy_blocks[key].splitlines() if "OWNER TO" in line]
    differing = [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    # The measure of what other kinds still miss (shown with pytest -s).
    print(f"pagila: {len(differing)} differing pg_dump lines, {len(failed)} failed statements:")
    for op, error in failed:
        print(f"  {op.describe()}: {error.splitlines()[0]}")
    assert differing  # partitions, at least, are not cloned yet: this measures something


def _mine_on_present(op: MigrationOperation, present: TargetObjects) -> bool:
    """Whether ``op`` is one of this work's operations, on an object the copy has."""
    match op:
        case SetComment() | GrantPrivileges() | RevokePrivileges() | AlterOwner():
            return op.target in present
        case CreateTrigger() | CreatePolicy() | AlterRowSecurity():
            relation = ObjectRef("table", op.schema_name, op.table_name)
            view = ObjectRef("view", op.schema_name, op.table_name)
            return relation in present or view in present
        case _:
            return False
