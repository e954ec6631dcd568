"""Linkgress parity: ``model.has_db_setting`` (ALTER DATABASE ... SET), read back from
pg_db_role_setting and set again when it differs; undeclared settings are left alone."""

from __future__ import annotations

import asyncpg
import pytest

from linkgress_async import DbContext, DbModelConfig, ModelError, PgClient, integer, pull
from linkgress_async.ops import SetDatabaseSetting
from tests.integration.helpers import quiet, table


def settings_model(**settings: object):  # type: ignore[no-untyped-def]
    class Settings(DbContext):
        def setup_model(self, model: DbModelConfig) -> None:
            table(model, "notes", integer("id").primary_key())
            for name, value in settings.items():
                model.has_db_setting(name.replace("__", "."), value)  # type: ignore[arg-type]

    return Settings


async def stored(dsn: str) -> dict[str, str]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT unnest(setconfig) AS entry FROM pg_db_role_setting"
            " WHERE setrole = 0 AND setdatabase ="
            " (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        return dict(row["entry"].split("=", 1) for row in rows)
    finally:
        await conn.close()


async def test_declared_settings_are_set_and_converge(linkgress_dsn: str) -> None:
    async with settings_model(jit=False, work_mem="8MB", app__tenant="acme")(
        PgClient(dsn=linkgress_dsn)
    ) as db:
        manager = db.get_schema_manager(out=quiet)
        await manager.ensure_created()
        assert await stored(linkgress_dsn) == {
            "jit": "off",
            "work_mem": "8MB",
            "app.tenant": "acme",
        }
        assert await manager.analyze() == []
        # A new session starts with them.
        conn = await asyncpg.connect(linkgress_dsn)
        try:
            assert await conn.fetchval("SHOW work_mem") == "8MB"
            assert await conn.fetchval("SELECT current_setting('app.tenant')") == "acme"
            # Changed by hand, and one the model does not declare.
            await conn.execute(
                "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET work_mem = ''16MB''',"
                " current_database()); EXECUTE format('ALTER DATABASE %I SET"
                " statement_timeout = ''5s''', current_database()); END $$"
            )
        finally:
            await conn.close()
        plan = await manager.analyze()
        assert plan == [SetDatabaseSetting("work_mem", "8MB", "16MB")]
        assert plan[0].reverse() == SetDatabaseSetting("work_mem", "16MB", "8MB")
        await manager.migrate()
        assert await manager.analyze() == []
    assert (await stored(linkgress_dsn))["work_mem"] == "8MB"
    assert (await stored(linkgress_dsn))["statement_timeout"] == "5s"
    # pull declares every setting of the database.
    async with PgClient(dsn=linkgress_dsn) as client:
        source = await pull(client)
    assert 'model.has_db_setting("statement_timeout", "5s")' in source
    assert 'model.has_db_setting("app.tenant", "acme")' in source


def test_a_bad_setting_is_refused_before_any_sql() -> None:
    model = DbModelConfig()
    with pytest.raises(ModelError, match="not a setting name"):
        model.has_db_setting("work mem", "8MB")
    with pytest.raises(ModelError, match="a non-empty string, a number or a boolean"):
        model.has_db_setting("work_mem", "")
