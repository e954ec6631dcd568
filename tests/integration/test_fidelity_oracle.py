"""The whole truth about the edge-case schema, with ``pg_dump`` as the oracle.

``tests/realworld/edge/edge-schema.sql`` uses every object kind and option the library reads
(``edge-schema-18.sql`` adds what only PostgreSQL 18 has). Its pulled model must declare all
of it: nothing left as "not declared", ``analyze()`` empty on the source and on a database
``ensure_created()`` from the model, and both databases' ``pg_dump --schema-only`` alike.

Then drift: every kind is changed by hand on a database the migration files built, and both
``analyze()`` (the pulled model against the database) and ``MigrationRunner.drift()`` (the
files against the database) must report each change.
"""

from __future__ import annotations

from pathlib import Path

from linkgress_async import DbContext, DbModelConfig, PgClient
from linkgress_async.migrations import MigrationRunner
from linkgress_async.pulling import pull_module
from linkgress_async.testing import DatabaseFactory, LinkgressServer
from tests.integration.fidelity import (
    context_class,
    dump_schema,
    import_module,
    load_sql,
    round_trip,
    sql_file,
)
from tests.integration.test_baseline import write_migration
from tests.ruff_clean import ruff_problems

EDGE = Path(__file__).resolve().parents[1] / "realworld" / "edge"
ROLES = ("lk_edge_reader", "lk_edge_writer", "lk_edge_owner")


def edge_schema(server_version_num: int) -> str:
    """The edge-case schema for the suite's server."""
    text = sql_file(EDGE / "edge-schema.sql")
    if server_version_num >= 180000:
        text += "\n" + sql_file(EDGE / "edge-schema-18.sql")
    return text


async def edge_roles(dsn: str) -> None:
    """The roles the schema grants to (shared by the server's databases: made once)."""
    for role in ROLES:
        await load_sql(
            dsn,
            f"DO $$ BEGIN CREATE ROLE {role}; EXCEPTION WHEN duplicate_object THEN NULL; END $$",
        )


async def test_the_edge_schema_is_pulled_and_recreated_exactly(
    linkgress_server: LinkgressServer, linkgress_databases: DatabaseFactory, tmp_path: Path
) -> None:
    source, empty = await linkgress_databases.create(), await linkgress_databases.create()
    await edge_roles(source)
    await load_sql(source, edge_schema(linkgress_server.server_version_num))
    result = await round_trip(source, empty, tmp_path)
    print(
        f"\nedge schema: {len(result.differing_lines)} differing dump lines {result.by_kind};"
        f" not declared: {result.module.undeclared_by_kind}"
    )
    assert result.module.undeclared == ()
    assert result.on_source == []
    assert result.on_copy == []
    assert result.differing_lines == [], "\n".join(result.difference)
    assert ruff_problems(result.module.source, tmp_path, "edge_model.py") == ""


async def test_a_dump_restore_copy_of_the_edge_schema_needs_nothing(
    linkgress_server: LinkgressServer, linkgress_databases: DatabaseFactory, tmp_path: Path
) -> None:
    """The copy stores some expressions in another spelling (an ``IN`` list in a check, a
    view and a policy); the model pulled from the source means the same on both."""
    source, copy = await linkgress_databases.create(), await linkgress_databases.create()
    await edge_roles(source)
    await load_sql(source, edge_schema(linkgress_server.server_version_num))
    dump = [line for line in dump_schema(source) if not line.startswith("\\")]
    await load_sql(copy, "\n".join(dump))
    respelled = set(dump_schema(copy)) - set(dump)
    assert any("ARRAY[(" in line for line in respelled), respelled
    async with PgClient(dsn=source) as client:
        pulled = await pull_module(client)
    cls = context_class(import_module(pulled.source, tmp_path))
    for dsn in (source, copy):
        async with cls(PgClient(dsn=dsn)) as db:
            assert await db.get_schema_manager(out=lambda _line: None).analyze() == [], dsn


# (what is changed by hand, the SQL, a text the report of the change contains)
HAND_CHANGES: list[tuple[str, str, str]] = [
    ("storage parameters", "ALTER TABLE edge.accounts SET (fillfactor = 60)", "accounts"),
    ("unlogged table", "ALTER TABLE edge.scratchpad SET LOGGED", "scratchpad"),
    (
        "column collation",
        'ALTER TABLE edge.notes ALTER COLUMN body TYPE text COLLATE "POSIX"',
        "notes.body",
    ),
    (
        "generated column",
        "ALTER TABLE edge.accounts ALTER COLUMN email_lower DROP EXPRESSION",
        "email_lower",
    ),
    ("partition", "ALTER TABLE edge.shards DETACH PARTITION edge.shards_1", "shards_1"),
    ("inheritance", "ALTER TABLE edge.trucks NO INHERIT edge.vehicles", "trucks"),
    (
        "check NOT VALID",
        "ALTER TABLE edge.accounts VALIDATE CONSTRAINT accounts_code_check",
        "accounts_code_check",
    ),
    ("unique options", "ALTER INDEX edge.accounts_email_key SET (fillfactor = 70)", "email_key"),
    (
        "foreign key DEFERRABLE",
        "ALTER TABLE edge.bookings ALTER CONSTRAINT bookings_room_fkey NOT DEFERRABLE",
        "bookings_room_fkey",
    ),
    (
        "exclusion constraint",
        "ALTER TABLE edge.bookings DROP CONSTRAINT bookings_no_overlap",
        "bookings_no_overlap",
    ),
    (
        "index operator class",
        "DROP INDEX edge.accounts_email_trgm;"
        " CREATE INDEX accounts_email_trgm ON edge.accounts USING gin (email gin_trgm_ops)"
        " WHERE email <> ''",
        "accounts_email_trgm",
    ),
    (
        "index key order",
        "DROP INDEX edge.accounts_created;"
        ' CREATE INDEX accounts_created ON edge.accounts (created_at, "Display Name")',
        "accounts_created",
    ),
    ("extension", "ALTER EXTENSION btree_gist SET SCHEMA edge", "btree_gist"),
    ("domain default", "ALTER DOMAIN edge.positive SET DEFAULT 2", "positive"),
    ("domain check", "ALTER DOMAIN edge.code DROP CONSTRAINT code_check", "code"),
    ("composite type", "ALTER TYPE edge.money_pair ADD ATTRIBUTE note text", "money_pair"),
    ("enum", "ALTER TYPE edge.mood ADD VALUE 'meh'", "mood"),
    ("sequence", "ALTER SEQUENCE edge.ticket_numbers INCREMENT BY 20", "ticket_numbers"),
    (
        "function",
        "CREATE OR REPLACE FUNCTION edge.add(a integer, b integer DEFAULT 1) RETURNS integer"
        " LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT a + b + 0 $$",
        "add",
    ),
    (
        "procedure",
        "CREATE OR REPLACE PROCEDURE edge.tidy(days integer) LANGUAGE sql AS $$ SELECT days + 1 $$",
        "tidy",
    ),
    ("aggregate", "DROP AGGREGATE edge.concat_all(text)", "concat_all"),
    (
        "view",
        "CREATE OR REPLACE VIEW edge.writable_rooms AS"
        " SELECT id, name FROM edge.rooms WHERE id > 1 WITH LOCAL CHECK OPTION",
        "writable_rooms",
    ),
    ("view options", "ALTER VIEW edge.open_accounts RESET (security_barrier)", "open_accounts"),
    (
        "materialized view index",
        "DROP INDEX edge.account_counts_status",
        "account_counts",
    ),
    (
        "trigger enabled",
        "ALTER TABLE edge.accounts ENABLE TRIGGER accounts_audit",
        "accounts_audit",
    ),
    ("trigger", "DROP TRIGGER accounts_touch ON edge.accounts", "accounts_touch"),
    ("policy", "ALTER POLICY accounts_self ON edge.accounts USING (true)", "accounts_self"),
    (
        "row level security",
        "ALTER TABLE edge.accounts NO FORCE ROW LEVEL SECURITY",
        "row level security",
    ),
    ("comment", "COMMENT ON TABLE edge.rooms IS 'changed by hand'", "rooms"),
    ("grant", "GRANT DELETE ON edge.notes TO lk_edge_writer", "notes"),
    (
        "column grant",
        'REVOKE UPDATE ("Display Name") ON edge.accounts FROM lk_edge_reader',
        "Display Name",
    ),
    ("revoke", "GRANT EXECUTE ON FUNCTION edge.audit() TO PUBLIC", "audit"),
    ("owner", 'ALTER TABLE "Odd Schema"."Select" OWNER TO lk_edge_writer', "Select"),
    ("schema grant", "REVOKE CREATE ON SCHEMA edge FROM lk_edge_writer", "edge"),
]

HAND_CHANGES_18: list[tuple[str, str, str]] = [
    (
        "foreign key NOT ENFORCED",
        "ALTER TABLE edge.labels ALTER CONSTRAINT labels_account_fkey ENFORCED",
        "labels_account_fkey",
    ),
    (
        "NOT NULL constraint name",
        "ALTER TABLE edge.labels RENAME CONSTRAINT labels_id_required TO labels_id_nn",
        "labels",
    ),
]


class FilesOnly(DbContext):
    """A context whose schema comes from migration files only."""

    def setup_model(self, model: DbModelConfig) -> None:
        """No model: the files make the schema."""


def _reported(needle: str, texts: list[str]) -> bool:
    return any(needle in text for text in texts)


async def test_every_kind_changed_by_hand_is_reported(
    linkgress_server: LinkgressServer, linkgress_databases: DatabaseFactory, tmp_path: Path
) -> None:
    dsn = await linkgress_databases.create()
    await edge_roles(dsn)
    files = tmp_path / "migrations"
    write_migration(
        files, "20240101_000000_edge.py", edge_schema(linkgress_server.server_version_num)
    )
    changes = HAND_CHANGES + (
        HAND_CHANGES_18 if linkgress_server.server_version_num >= 180000 else []
    )
    async with FilesOnly(PgClient(dsn=dsn)) as files_db:
        runner = MigrationRunner(files_db, migrations_directory=files, verbose=False)
        assert (await runner.up()).failed is None
        assert not (await runner.drift()).has_drift
        pulled = await pull_module(files_db.client)
    model_class = context_class(import_module(pulled.source, tmp_path, "edge_drift"))
    async with model_class(PgClient(dsn=dsn)) as db:
        manager = db.get_schema_manager(out=lambda line: None)
        assert await manager.analyze() == []
        for _kind, statement, _needle in changes:
            await db.execute(statement)
        analyzed = [op.describe() for op in await manager.analyze()]
        drift = await MigrationRunner(db, migrations_directory=files, verbose=False).drift()
        drifted = [op.describe() for op in drift.operations]
    unseen_by_analyze = [k for k, _, needle in changes if not _reported(needle, analyzed)]
    unseen_by_drift = [k for k, _, needle in changes if not _reported(needle, drifted)]
    print("\nanalyze():", *analyzed, "drift:", *drifted, sep="\n  ")
    assert unseen_by_analyze == []
    assert unseen_by_drift == []
