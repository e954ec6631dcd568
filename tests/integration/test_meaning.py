"""The server may spell one meaning two ways: a database and its pg_dump/restore copy, or a
check, view or policy copied from ``\\d``, must give the same plan as the original."""

from __future__ import annotations

import anyio
import asyncpg
import pytest

from linkgress_async import DbModelConfig, ModelError, PgClient, integer, sql, text, varchar
from linkgress_async._server import resolve_bin_dir
from linkgress_async.testing import DatabaseFactory
from tests.integration.helpers import Setup, context, quiet, table


async def _schema_dump(dsn: str) -> str:
    pg_dump = resolve_bin_dir() / "pg_dump"
    result = await anyio.run_process([str(pg_dump), "--schema-only", "--no-owner", "-d", dsn])
    return result.stdout.decode()


async def _restore(dump: str, dsn: str) -> None:
    script = "\n".join(line for line in dump.splitlines() if not line.startswith("\\"))
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(script)
    finally:
        await conn.close()


_USER_CHECK = "status IN ('new', 'open', 'done')"
_USER_VIEW = "SELECT status, note FROM public.orders WHERE status IN ('new', 'open')"
_USER_POLICY = "status IN ('new', 'open')"


def _setup(check: str, view: str, policy: str = _USER_POLICY) -> Setup:
    def setup(model: DbModelConfig) -> None:
        entity = table(model, "orders", varchar("status", 20), text("note"))
        entity.has_policy("orders_open", using=policy, with_check=policy)
        entity.property("status").has_default_value("new")
        entity.has_check("orders_status_check", check)
        entity.has_index("ix_orders_open", [sql("lower(note)")], where="status IN ('new', 'open')")
        model.view("open_orders", view)

    return setup


async def _analyze(
    dsn: str, check: str, view: str = _USER_VIEW, policy: str = _USER_POLICY
) -> list[str]:
    async with context(_setup(check, view, policy))(PgClient(dsn=dsn, max_size=4)) as db:
        manager = db.get_schema_manager(out=quiet)
        return [op.describe() for op in await manager.analyze()]


# What the application's own DDL (or another tool) made: the user's text, parsed once.
_HAND_MADE = f"""
CREATE TABLE public.orders (
    status character varying(20) DEFAULT 'new',
    note text,
    CONSTRAINT orders_status_check CHECK ({_USER_CHECK})
);
CREATE INDEX ix_orders_open ON public.orders (lower(note)) WHERE status IN ('new', 'open');
CREATE VIEW public.open_orders AS {_USER_VIEW};
CREATE POLICY orders_open ON public.orders USING ({_USER_POLICY}) WITH CHECK ({_USER_POLICY});
"""


async def _create(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(_HAND_MADE)
    finally:
        await conn.close()


async def _stored(dsn: str, query: str) -> str:
    conn = await asyncpg.connect(dsn)
    try:
        expression: str = await conn.fetchval(query)
        return expression
    finally:
        await conn.close()


async def _stored_check(dsn: str) -> str:
    return await _stored(
        dsn,
        "SELECT pg_get_expr(conbin, conrelid) FROM pg_constraint"
        " WHERE conname = 'orders_status_check'",
    )


async def _stored_policy(dsn: str) -> str:
    return await _stored(
        dsn, "SELECT pg_get_expr(polqual, polrelid) FROM pg_policy WHERE polname = 'orders_open'"
    )


async def _stored_view(dsn: str) -> str:
    return await _stored(dsn, "SELECT pg_get_viewdef('public.open_orders'::regclass)")


async def test_a_restored_copy_gives_the_same_empty_plan(
    linkgress_databases: DatabaseFactory,
) -> None:
    original = await linkgress_databases.create()
    await _create(original)
    assert await _analyze(original, _USER_CHECK) == []

    copy = await linkgress_databases.create()
    await _restore(await _schema_dump(original), copy)
    # The restored check is stored in another spelling than the original's...
    assert await _stored_check(copy) != await _stored_check(original)
    # ...yet it means the same: neither database needs anything.
    assert await _analyze(copy, _USER_CHECK) == []
    assert await _analyze(original, _USER_CHECK) == []


async def test_a_database_the_manager_created_stays_equal(
    linkgress_databases: DatabaseFactory,
) -> None:
    """ensure_created writes the server's first spelling, which the server re-spells."""
    dsn = await linkgress_databases.create()
    async with context(_setup(_USER_CHECK, _USER_VIEW))(PgClient(dsn=dsn, max_size=4)) as db:
        manager = db.get_schema_manager(out=quiet)
        await manager.ensure_created()
        assert await manager.analyze() == []
        await manager.migrate()
        assert await manager.analyze() == []


async def test_the_servers_own_spelling_compares_equal_on_both(
    linkgress_databases: DatabaseFactory,
) -> None:
    """A check copied from ``\\d`` of either database is the same check on both."""
    original = await linkgress_databases.create()
    await _create(original)
    copy = await linkgress_databases.create()
    await _restore(await _schema_dump(original), copy)
    for spelled in (await _stored_check(original), await _stored_check(copy)):
        assert await _analyze(original, spelled) == []
        assert await _analyze(copy, spelled) == []


async def test_a_policy_and_view_copied_from_either_database_compare_equal_on_both(
    linkgress_databases: DatabaseFactory,
) -> None:
    original = await linkgress_databases.create()
    await _create(original)
    copy = await linkgress_databases.create()
    await _restore(await _schema_dump(original), copy)
    assert await _stored_policy(copy) != await _stored_policy(original)
    for source in (original, copy):
        policy, view = await _stored_policy(source), await _stored_view(source)
        for dsn in (original, copy):
            assert await _analyze(dsn, _USER_CHECK, view, policy) == []


async def test_the_manager_stores_what_the_servers_printed_text_says(
    linkgress_databases: DatabaseFactory,
) -> None:
    """A view and a policy created from the server's printed text (an introspected clone, a
    pulled model) are stored as the source stores them, so their dumps are alike."""
    original = await linkgress_databases.create()
    await _create(original)
    policy, view = await _stored_policy(original), await _stored_view(original)
    dsn = await linkgress_databases.create()
    async with context(_setup(_USER_CHECK, view, policy))(PgClient(dsn=dsn, max_size=4)) as db:
        manager = db.get_schema_manager(out=quiet)
        await manager.ensure_created()
        assert await manager.analyze() == []
    assert await _stored_policy(dsn) == policy
    assert await _stored_view(dsn) == view


@pytest.mark.parametrize("changed", ["status IN ('new', 'open')", "status <> 'gone'"])
async def test_a_real_change_is_still_seen_on_both(
    linkgress_databases: DatabaseFactory, changed: str
) -> None:
    original = await linkgress_databases.create()
    await _create(original)
    copy = await linkgress_databases.create()
    await _restore(await _schema_dump(original), copy)
    for dsn in (original, copy):
        plan = await _analyze(dsn, changed)
        assert any("orders_status_check" in line for line in plan), plan


async def test_a_changed_view_is_still_seen_on_a_copy(
    linkgress_databases: DatabaseFactory,
) -> None:
    original = await linkgress_databases.create()
    await _create(original)
    copy = await linkgress_databases.create()
    await _restore(await _schema_dump(original), copy)
    changed = "SELECT status, note FROM public.orders WHERE status IN ('new')"
    for dsn in (original, copy):
        plan = await _analyze(dsn, _USER_CHECK, changed)
        assert any("open_orders" in line for line in plan), plan


async def test_a_changed_policy_is_still_seen_on_a_copy(
    linkgress_databases: DatabaseFactory,
) -> None:
    original = await linkgress_databases.create()
    await _create(original)
    copy = await linkgress_databases.create()
    await _restore(await _schema_dump(original), copy)
    for dsn in (original, copy):
        plan = await _analyze(dsn, _USER_CHECK, policy="status IN ('new')")
        assert any("orders_open" in line for line in plan), plan


async def test_a_rejected_check_is_named_without_scratch_names(linkgress_dsn: str) -> None:
    def setup(model: DbModelConfig) -> None:
        table(model, "t", integer("id"), text("name")).has_check("t_name_check", "nam > 0")

    async with context(setup)(PgClient(dsn=linkgress_dsn, max_size=2)) as db:
        with pytest.raises(ModelError) as caught:
            await db.get_schema_manager(out=quiet).analyze()
    message = str(caught.value)
    assert "table 'public.t'" in message
    assert "check 't_name_check'" in message
    assert 'column "name"' in message  # the server's hint, about the user's table
    assert "__linkgress" not in message
    assert "\n" not in message
