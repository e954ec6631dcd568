"""``linkgress pull`` and ``linkgress diff``, and ``compare()`` behind the latter."""

from __future__ import annotations

from pathlib import Path

import anyio

from linkgress_async import PgClient, compare
from linkgress_async.render.sql import plan_sql
from linkgress_async.testing import DatabaseFactory
from tests.integration.fidelity import load_sql
from tests.integration.test_cli import one_error_line, run_cli

SHOP = """
CREATE SCHEMA app;
CREATE TYPE app.state AS ENUM ('open', 'closed');
CREATE TABLE public.owners (id integer PRIMARY KEY, name text NOT NULL);
CREATE TABLE app.shops (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_id integer NOT NULL REFERENCES public.owners (id),
    state app.state NOT NULL DEFAULT 'open',
    name varchar(80) NOT NULL UNIQUE
);
CREATE INDEX ix_shops_owner ON app.shops (owner_id);
"""


def _load(dsn: str, sql: str) -> None:
    anyio.run(load_sql, dsn, sql)


def test_pull_writes_a_module_whose_first_plan_is_empty(
    linkgress_databases: DatabaseFactory, tmp_path: Path
) -> None:
    dsn = linkgress_databases.create_sync()
    _load(dsn, SHOP)
    pulled = run_cli("--dsn", dsn, "pull", "--output", "shop_db.py", cwd=tmp_path)
    assert pulled.returncode == 0, pulled
    assert pulled.stdout == ""
    assert "wrote shop_db.py (2 tables)" in pulled.stderr
    assert "warning" not in pulled.stderr
    context = "shop_db:Database"
    planned = run_cli("--dsn", dsn, "--context", context, "plan", "--check", cwd=tmp_path)
    assert planned.returncode == 0, planned
    assert "Database schema is up to date. No changes needed." in planned.stdout


def test_pull_to_stdout_warns_about_what_it_cannot_declare(
    linkgress_databases: DatabaseFactory, tmp_path: Path
) -> None:
    dsn = linkgress_databases.create_sync()
    _load(dsn, SHOP)
    # Only app: the foreign key to public.owners cannot be declared without its target.
    pulled = run_cli("--dsn", dsn, "pull", "--schema", "app", "--class-name", "Shop", cwd=tmp_path)
    assert pulled.returncode == 0, pulled
    assert "class Shop(DbContext):" in pulled.stdout
    assert "# not declared (it references public.owners, which is not pulled): foreign key" in (
        pulled.stdout
    )
    warning = [line for line in pulled.stderr.splitlines() if "warning" in line]
    assert warning == [
        "linkgress: warning: the module does not declare 1 object (foreign key: 1); each is "
        "listed, with the reason, in a comment starting with 'not declared'"
    ]


def test_pull_usage_errors_exit_2(linkgress_databases: DatabaseFactory, tmp_path: Path) -> None:
    dsn = linkgress_databases.create_sync()
    missing = run_cli("--dsn", dsn, "pull", "--schema", "nope", cwd=tmp_path)
    assert missing.returncode == 2
    assert "schema 'nope' does not exist" in one_error_line(missing)
    bad_name = run_cli("--dsn", dsn, "pull", "--class-name", "class", cwd=tmp_path)
    assert bad_name.returncode == 2
    assert "cannot name the pulled context class" in one_error_line(bad_name)


def test_diff_prints_the_plan_and_exits_1_until_the_databases_match(
    linkgress_databases: DatabaseFactory, tmp_path: Path
) -> None:
    old, new = linkgress_databases.create_sync(), linkgress_databases.create_sync()
    _load(old, SHOP)
    _load(new, SHOP)
    same = run_cli("diff", "--from", old, "--to", new, cwd=tmp_path)
    assert (same.returncode, same.stdout) == (0, "No differences: the databases match.\n")
    _load(
        new,
        "ALTER TABLE app.shops DROP COLUMN state; DROP TYPE app.state;"
        " ALTER TABLE public.owners ADD COLUMN email text;"
        " CREATE TABLE app.audit (at timestamptz DEFAULT now());",
    )
    plan = run_cli("diff", "--from", old, "--to", new, cwd=tmp_path)
    assert plan.returncode == 1, plan
    heading, *numbered = plan.stdout.splitlines()[:5]
    assert heading == "Migration plan (4 operations):"
    assert sorted(line.split(". ", 1)[1] for line in numbered) == [
        "Add column 'owners.email'",
        "Create table 'app.audit'",
        "Drop column 'app.shops.state'  [DESTRUCTIVE]",
        "Drop enum 'app.state'  [DESTRUCTIVE]",
    ]
    assert "WARNING: 2 destructive operations will delete data:" in plan.stdout
    statements = run_cli("diff", "--from", old, "--to", new, "--sql", cwd=tmp_path)
    assert statements.returncode == 1
    assert 'ALTER TABLE "app"."shops" DROP COLUMN "state";' in statements.stdout
    _load(old, statements.stdout)
    after = run_cli("diff", "--from", old, "--to", new, "--schema", "app", cwd=tmp_path)
    assert after.returncode == 0, after


def test_diff_exits_2_when_it_cannot_compare(
    linkgress_databases: DatabaseFactory, tmp_path: Path
) -> None:
    dsn = linkgress_databases.create_sync()
    unreachable = "postgresql://postgres@127.0.0.1:1/nothing"
    failed = run_cli("diff", "--from", dsn, "--to", unreachable, cwd=tmp_path)
    assert failed.returncode == 2
    assert "Cannot connect to PostgreSQL at 127.0.0.1:1" in one_error_line(failed)
    malformed = run_cli(
        "diff", "--from", "postgresql://u:secret@h:port/x", "--to", dsn, cwd=tmp_path
    )
    assert malformed.returncode == 2
    assert "--from postgresql://u:***@h:port/x is not a valid DSN" in one_error_line(malformed)
    usage = run_cli("diff", "--from", dsn, cwd=tmp_path)
    assert usage.returncode == 2
    assert "the following arguments are required: --to" in usage.stderr


async def test_compare_returns_the_operations_that_make_one_database_the_other(
    linkgress_databases: DatabaseFactory,
) -> None:
    old, new = await linkgress_databases.create(), await linkgress_databases.create()
    await load_sql(old, SHOP)
    await load_sql(new, SHOP + "ALTER TYPE app.state ADD VALUE 'moved';")
    async with PgClient(dsn=old) as source, PgClient(dsn=new) as target:
        operations = await compare(source, target)
        assert [op.describe() for op in operations] == [
            "Add value 'moved' to enum 'app.state' after 'closed'"
        ]
        async with source.acquire() as conn:
            for statement in plan_sql(operations):
                await conn.execute(statement)
        assert await compare(source, target) == []
        assert await compare(source, target, schemas=["public"]) == []
        await load_sql(old, "CREATE SCHEMA old; CREATE TABLE old.t (id integer)")
        operations = await compare(source, target)
        assert [op.describe() for op in operations] == [
            "Drop table 'old.t'",
            "Drop schema 'old'",
        ]
