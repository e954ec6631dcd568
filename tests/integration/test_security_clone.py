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
from linkgress_async.testing import DatabaseFactory, LinkgressServer
from tests.integration.security_support import (
    PAGILA,
    Roles,
    apply,
    clone_plan,
    dump_blocks,
    execute,
    made_roles,
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


_MY_TYPES = {"TRIGGER", "POLICY", "ROW SECURITY", "COMMENT", "ACL"}


async def test_pagila_clone_keeps_every_trigger_comment_privilege_and_owner(
    linkgress_server: LinkgressServer, databases: DatabaseFactory
) -> None:
    if linkgress_server.server_version_num < 180000:
        return  # the real-world schema is checked on PostgreSQL 18 (pgvector ships with it)
    source, copy = await databases.create(), await databases.create()
    await execute(source, PAGILA.read_text(encoding="utf-8"))
    # Every kind is cloned now: the whole plan runs as it is, in one transaction.
    plan = await clone_plan(source, ["public"])
    await apply(copy, plan)

    before, after = await schema_dump(source), await schema_dump(copy)
    source_blocks, copy_blocks = dump_blocks(before), dump_blocks(after)
    mine = {k: v for k, v in source_blocks.items() if k[0] in _MY_TYPES}
    assert mine == {k: v for k, v in copy_blocks.items() if k[0] in _MY_TYPES}
    assert len([k for k in mine if k[0] == "TRIGGER"]) == 16
    differing = [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert differing == []
