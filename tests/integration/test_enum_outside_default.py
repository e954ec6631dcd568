"""An enum the model rebuilds without a value that a column outside the model's schemas
defaults to: the plan is refused before anything runs, offline and online (found by the
online round-trip property test)."""

from __future__ import annotations

import pytest

from linkgress_async import PgClient
from linkgress_async.errors import EnumRebuildBlockedError
from linkgress_async.ops import EnumColumnUse
from linkgress_async.plan.facts import _default_labels
from linkgress_async.testing import DatabaseFactory
from tests.integration.random_models import ColumnSpec, ModelSpec, TableSpec, context_for


def _column(name: str, kind: str, required: bool = False) -> ColumnSpec:
    return ColumnSpec(name, kind, required, None, False, False)


def _table(schema: str, name: str, *columns: ColumnSpec) -> TableSpec:
    return TableSpec(schema, name, "identity", columns, (), False, None, None)


# A's app.users."Name" defaults to 'live'; B uses no table of schema app and drops 'live'.
A = ModelSpec(
    (("status", ("live",)),),
    (_table("app", "users", _column("Name", "enum", required=True)),),
)
B = ModelSpec((("status", ("draft",)),), (_table("public", "users", _column("a", "jsonb")),))


@pytest.mark.parametrize("online", [False, True], ids=["offline", "online"])
async def test_a_lost_default_outside_the_model_is_refused(
    linkgress_databases: DatabaseFactory, online: bool
) -> None:
    dsn = await linkgress_databases.create()
    async with context_for(A)(PgClient(dsn=dsn, max_size=2)) as db:
        await db.get_schema_manager(out=lambda line: None).ensure_created()
    async with context_for(B)(PgClient(dsn=dsn, max_size=2)) as db:
        manager = db.get_schema_manager(out=lambda line: None, drop_unmanaged=True)
        with pytest.raises(EnumRebuildBlockedError) as raised:
            await manager.migrate(allow_destructive=True, online=online)
        message = str(raised.value)
        assert 'Cannot rebuild enum "public"."status" without \'live\'' in message
        assert '"app"."users"."Name" defaults to \'live\'' in message
        (row,) = await db.query(
            "SELECT array_agg(enumlabel::text ORDER BY enumsortorder) AS labels,"
            " to_regclass('public.users') IS NULL AS no_users"
            " FROM pg_enum WHERE enumtypid = 'public.status'::regtype"
        )
        assert (row["labels"], row["no_users"]) == (["live"], True)
        await db.execute('ALTER TABLE app.users ALTER COLUMN "Name" DROP DEFAULT')
        await manager.migrate(allow_destructive=True, online=online)
        assert await manager.analyze() == []


def test_the_labels_a_constant_default_names() -> None:
    def labels(default: str, is_array: bool = False) -> set[str]:
        return _default_labels(EnumColumnUse("s", "t", "c", is_array, default))

    assert labels("'live'::public.status") == {"live"}
    assert labels("'it''s'::status") == {"it's"}
    assert labels("""'{live,"a b","x\\"y"}'::public.status[]""", True) == {"live", "a b", 'x"y'}
    assert labels("public.pick()") == set()
