"""Bad input: connection settings, roles without rights, journals altered by hand, bad files.

Each is one clear error that names the cause. Malformed files beyond the ones here (syntax
error, no or two Migration subclasses, an exception at import, a missing down()) are covered
by ``test_runner.py::test_bad_file_is_reported_before_anything_runs``; hostile identifiers by
``test_hostile_names.py`` and ``test_roundtrip_property.py``.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import anyio
import asyncpg
import pytest

from linkgress_async import (
    ConnectionFailedError,
    DbContext,
    DbModelConfig,
    JournalError,
    MigrationFileError,
    PgClient,
    SchemaApplyError,
    bigint,
    text,
)
from linkgress_async.migrations import MigrationRunner
from linkgress_async.testing import LinkgressServer
from tests.integration.helpers import context, quiet, table

FIRST = """
from linkgress_async.migrations import Migration

class CreateItems(Migration):
    async def up(self, db):
        await db.execute("CREATE TABLE items (id int PRIMARY KEY)")

    async def down(self, db):
        await db.execute("DROP TABLE items")
"""


def with_user(dsn: str, user: str, password: str | None = None) -> str:
    parts = urlsplit(dsn)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    login = user if password is None else f"{user}:{password}"
    return urlunsplit(parts._replace(netloc=f"{login}@{host}"))


def closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- connecting ---------------------------------------------------------------------------


async def connect_error(client: PgClient) -> str:
    with pytest.raises(ConnectionFailedError) as info:
        async with DbContext(client) as db:
            await db.query("SELECT 1")
    message = str(info.value)
    assert "\n" not in message
    return message


async def test_nothing_listening_on_the_port() -> None:
    port = closed_port()
    dsn = f"postgresql://postgres:s3cr3t-pw@127.0.0.1:{port}/app"
    message = await connect_error(PgClient(dsn=dsn))
    assert message.startswith(f"Cannot connect to PostgreSQL at 127.0.0.1:{port}, database ")
    assert "nothing listens there: check host and port" in message
    assert "s3cr3t-pw" not in message


async def test_a_host_that_does_not_resolve() -> None:
    client = PgClient(host="no-such-host.invalid", port=5432, database="app", password="pw-x")
    message = await connect_error(client)
    assert "no-such-host.invalid:5432, database 'app'" in message
    assert "the host name does not resolve" in message
    assert "pw-x" not in message


async def test_a_malformed_dsn_is_one_line_before_any_connection() -> None:
    for dsn, problem in (
        ("postgresql://app:pw-secret@db.example:notaport/app", "port 'notaport' is not a number"),
        ("mysql://app@db.example/app", "must start with postgresql://"),
        ("postgresql://app@db.example/app?connect_timeout=soon", "connect_timeout 'soon'"),
    ):
        message = await connect_error(PgClient(dsn=dsn))
        assert problem in message
        assert "pw-secret" not in message


async def test_a_database_that_does_not_exist(linkgress_dsn: str) -> None:
    parts = urlsplit(linkgress_dsn)
    dsn = urlunsplit(parts._replace(path="/no_such_database_lk"))
    message = await connect_error(PgClient(dsn=dsn))
    assert "database 'no_such_database_lk'" in message
    assert "the database does not exist" in message
    assert "InvalidCatalogNameError" in message


async def test_a_role_that_does_not_exist(linkgress_dsn: str) -> None:
    message = await connect_error(PgClient(dsn=with_user(linkgress_dsn, "no_such_role_lk")))
    assert "as user 'no_such_role_lk'" in message
    assert "the server rejected this role" in message


@asynccontextmanager
async def password_role(server: LinkgressServer, dsn: str) -> AsyncIterator[str]:
    """A role that must log in with a password: a pg_hba.conf line for it alone, reloaded."""
    admin = await asyncpg.connect(dsn)
    role = f"lk_pw_{secrets.token_hex(4)}"
    hba_file = await admin.fetchval("SHOW hba_file")
    original: str = await admin.fetchval("SELECT pg_read_file($1)", hba_file)
    try:
        await admin.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'right-password'")
        rules = f"host all {role} all scram-sha-256\nlocal all {role} scram-sha-256\n"
        await write_server_file(admin, hba_file, rules + original)
        await admin.execute("SELECT pg_reload_conf()")
        # The reload is asynchronous: wait until the server asks this role for a password.
        with anyio.fail_after(20):
            while True:
                try:
                    probe = await asyncpg.connect(with_user(dsn, role, "wrong-password"))
                except asyncpg.InvalidPasswordError:
                    break
                await probe.close()
                await anyio.sleep(0.05)
        yield role
    finally:
        await write_server_file(admin, hba_file, original)
        await admin.execute("SELECT pg_reload_conf()")
        await admin.execute(f"DROP ROLE IF EXISTS {role}")
        await admin.close()


async def write_server_file(conn: asyncpg.Connection, path: str, content: str) -> None:
    """Write a file as the server (a superuser's lo_export), bytes exactly as given."""
    oid = await conn.fetchval("SELECT lo_from_bytea(0, convert_to($1, 'UTF8'))", content)
    try:
        await conn.execute(f"SELECT lo_export({int(oid)}, $1)", path)
    finally:
        await conn.execute(f"SELECT lo_unlink({int(oid)})")


async def test_a_wrong_password(linkgress_server: LinkgressServer, linkgress_dsn: str) -> None:
    async with password_role(linkgress_server, linkgress_dsn) as role:
        dsn = with_user(linkgress_dsn, role, "wrong-password")
        message = await connect_error(PgClient(dsn=dsn))
        assert f"as user '{role}'" in message
        assert "password authentication failed: check the user and password" in message
        assert "wrong-password" not in message
        # The right one works, so the error really was the password.
        async with DbContext(PgClient(dsn=with_user(linkgress_dsn, role, "right-password"))) as db:
            assert (await db.query("SELECT current_user AS u"))[0]["u"] == role


# --- a role without CREATE rights ---------------------------------------------------------


@asynccontextmanager
async def limited_role(dsn: str) -> AsyncIterator[str]:
    """A DSN for a new login role with no CREATE right on the database or schema public."""
    admin = await asyncpg.connect(dsn)
    role = f"lk_limited_{secrets.token_hex(4)}"
    try:
        await admin.execute(f"CREATE ROLE {role} LOGIN")
        # PostgreSQL 15+ grants PUBLIC no CREATE on schema public; revoke it anyway so the
        # test means the same on a database whose template still grants it.
        await admin.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        await admin.execute(
            f"REVOKE CREATE ON DATABASE {await admin.fetchval('SELECT current_database()')}"
            " FROM PUBLIC"
        )
        yield with_user(dsn, role)
    finally:
        await admin.execute(f"DROP OWNED BY {role}")
        await admin.execute(f"DROP ROLE {role}")
        await admin.close()


def limited_model(model: DbModelConfig) -> None:
    table(model, "accounts", bigint("id").primary_key(), text("name"))


def app_schema_model(model: DbModelConfig) -> None:
    table(model, "accounts", bigint("id").primary_key(), text("name"), schema="app")


async def test_migrate_without_create_rights_names_statement_and_privilege(
    linkgress_dsn: str,
) -> None:
    async with (
        limited_role(linkgress_dsn) as dsn,
        context(limited_model)(PgClient(dsn=dsn)) as db,
    ):
        with pytest.raises(SchemaApplyError) as info:
            await db.get_schema_manager(out=quiet).migrate()
        assert info.value.statement is not None
        assert info.value.statement.startswith('CREATE TABLE "public"."accounts"')
        assert "permission denied for schema public" in str(info.value)
        assert "nothing was applied" in str(info.value)


async def test_ensure_created_without_create_on_the_database(linkgress_dsn: str) -> None:
    async with (
        limited_role(linkgress_dsn) as dsn,
        context(app_schema_model)(PgClient(dsn=dsn)) as db,
    ):
        with pytest.raises(SchemaApplyError) as info:
            await db.get_schema_manager(out=quiet).ensure_created()
        assert info.value.statement is not None
        assert info.value.statement.startswith("CREATE SCHEMA")
        assert '"app"' in info.value.statement
        assert "permission denied for database" in str(info.value)


async def test_runner_without_create_rights_names_the_journal(
    linkgress_dsn: str, tmp_path: Path
) -> None:
    (tmp_path / "0001_items.py").write_text(FIRST)
    async with limited_role(linkgress_dsn) as dsn, DbContext(PgClient(dsn=dsn)) as db:
        with pytest.raises(JournalError) as info:
            await MigrationRunner(db, tmp_path, verbose=False).up()
        message = str(info.value)
        assert "\n" not in message
        assert 'migration journal "public"."__migrations"' in message
        assert "permission denied for schema public" in message
        assert "Grant the role CREATE on the schema" in message


# --- the journal altered by hand ----------------------------------------------------------

ALTERATIONS = {
    "dropped": ("ALTER TABLE __migrations DROP COLUMN checksum", "column checksum is missing"),
    "renamed": (
        "ALTER TABLE __migrations RENAME COLUMN filename TO file",
        "column filename is missing (dropped or renamed?)",
    ),
    "retyped": (
        "ALTER TABLE __migrations ALTER COLUMN applied_at TYPE text",
        "column applied_at has type text, expected timestamp with time zone",
    ),
    "status": (
        "ALTER TABLE __migrations ALTER COLUMN status DROP DEFAULT,"
        " ALTER COLUMN status TYPE int USING 1",
        "column status has type integer, expected text or character varying",
    ),
}


@pytest.mark.parametrize("kind", sorted(ALTERATIONS))
async def test_a_journal_altered_by_hand(linkgress_dsn: str, tmp_path: Path, kind: str) -> None:
    (tmp_path / "0001_items.py").write_text(FIRST)
    alteration, problem = ALTERATIONS[kind]
    async with DbContext(PgClient(dsn=linkgress_dsn)) as db:
        runner = MigrationRunner(db, tmp_path, verbose=False)
        assert (await runner.up()).applied == ["0001_items.py"]
        await db.execute(alteration)
        for call in (runner.up, runner.get_applied, runner.status):
            with pytest.raises(JournalError) as info:
                await call()
            message = str(info.value)
            assert message.startswith(
                'Migration journal "public"."__migrations" was altered by hand: '
            )
            assert problem in message
            assert "\n" not in message


def test_an_over_long_journal_name_is_a_journal_error(tmp_path: Path) -> None:
    db = DbContext(PgClient())
    with pytest.raises(JournalError, match="journal_table") as info:
        MigrationRunner(db, tmp_path, journal_table="j" * 64)
    assert "64 bytes" in str(info.value)
    with pytest.raises(JournalError, match="journal_schema"):
        MigrationRunner(db, tmp_path, journal_schema="s" * 70)


def _backslash_model(model: DbModelConfig) -> None:
    entity = table(model, "paths", bigint("id").primary_key(), text("path"))
    entity.property("path").has_default_value("C:\\temp\\new")


async def test_defaults_with_backslashes_without_standard_conforming_strings(
    linkgress_dsn: str,
) -> None:
    # An old setting some databases keep: backslashes in '...' are escapes. The library's
    # own sessions turn it on, so a default with a backslash is written and compared as is.
    admin = await asyncpg.connect(linkgress_dsn)
    name = await admin.fetchval("SELECT current_database()")
    await admin.execute(f'ALTER DATABASE "{name}" SET standard_conforming_strings = off')
    await admin.close()
    async with context(_backslash_model)(PgClient(dsn=linkgress_dsn)) as db:
        manager = db.get_schema_manager(out=quiet)
        await manager.migrate()
        assert await manager.analyze() == []
        # The application's own queries keep the database's setting, on every connection
        # the library's calls used (reading, spelling) and gave back to the pool.
        rows = await db.query("SHOW standard_conforming_strings")
        assert rows[0][0] == "off"
        pool = await db.client.connect()
        async with pool.acquire() as a, pool.acquire() as b, pool.acquire() as c:
            for conn in (a, b, c):
                assert await conn.fetchval("SHOW standard_conforming_strings") == "off"
        await db.query("INSERT INTO paths (id) VALUES (1)")
        rows = await db.query("SELECT path = $1 AS same FROM paths", "C:\\temp\\new")
        assert rows[0]["same"]


async def test_a_journal_of_the_previous_version_is_upgraded(
    linkgress_dsn: str, tmp_path: Path
) -> None:
    (tmp_path / "0001_items.py").write_text(FIRST)
    (tmp_path / "0002_more.py").write_text(FIRST.replace("items", "more"))
    async with DbContext(PgClient(dsn=linkgress_dsn)) as db:
        runner = MigrationRunner(db, tmp_path, verbose=False)
        assert not (await runner.status())[0].applied
        # The journal as the previous version created it, with 0001 applied.
        await db.execute(
            "CREATE TABLE items (id int PRIMARY KEY);"
            " CREATE TABLE __migrations (id SERIAL PRIMARY KEY,"
            " filename VARCHAR(255) NOT NULL UNIQUE,"
            " applied_at TIMESTAMPTZ NOT NULL DEFAULT NOW(), checksum TEXT NOT NULL,"
            " duration_ms INTEGER)"
        )
        from linkgress_async.migrations.files import load_file

        first = await anyio.to_thread.run_sync(load_file, tmp_path / "0001_items.py")
        await db.query(
            "INSERT INTO __migrations (filename, checksum) VALUES ($1, $2)",
            first.filename,
            first.checksum,
        )
        # Read-only calls work on the old journal without changing it.
        assert await runner.get_applied() == ["0001_items.py"]
        result = await runner.up()
        assert (result.applied, result.skipped) == (["0002_more.py"], ["0001_items.py"])
        rows = await db.query("SELECT filename, status, error FROM __migrations ORDER BY id")
        assert [tuple(r.values()) for r in rows] == [
            ("0001_items.py", "applied", None),
            ("0002_more.py", "applied", None),
        ]


# --- malformed migration files (the cases test_runner.py does not cover) -------------------

BAD_FILES = {
    "import_error": (
        b"import no_such_module_lk\n",
        "failed to import: ModuleNotFoundError: No module named 'no_such_module_lk'",
    ),
    "nul_bytes": (b"x = 1\x00\n", "null bytes"),
    "not_utf8": (b"x = '\xff\xfe'\n", "has a syntax error (line"),
    "exits": (b"import sys\nsys.exit(3)\n", "failed to import: SystemExit: 3"),
    "multi_line_error": (
        b"raise RuntimeError('first line\\nsecond line')\n",
        "failed to import: RuntimeError: first line second line",
    ),
}


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
async def test_malformed_file_is_one_line_naming_the_file(
    linkgress_dsn: str, tmp_path: Path, kind: str
) -> None:
    (tmp_path / "0001_items.py").write_text(FIRST)
    source, cause = BAD_FILES[kind]
    (tmp_path / f"0002_{kind}.py").write_bytes(source)
    async with DbContext(PgClient(dsn=linkgress_dsn)) as db:
        with pytest.raises(MigrationFileError) as info:
            await MigrationRunner(db, tmp_path, verbose=False).up()
        message = str(info.value)
        assert message.startswith(f"Migration file 0002_{kind}.py ")
        assert cause in message
        assert "\n" not in message
        rows = await db.query("SELECT to_regclass('public.items') IS NULL AS none")
        assert rows[0]["none"]
