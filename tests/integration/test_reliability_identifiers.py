"""Hypothesis-generated identifiers round-trip: create, introspect, diff, and no injection.

``test_hostile_names.py`` checks hand-picked hostile names in every position and a migration
between two hostile models; ``test_roundtrip_property.py`` random models from small name
pools. Here the names themselves are generated: quotes, backslashes, ``;``, ``--``, spaces,
any unicode (emoji, combining marks, right-to-left), reserved words and names of exactly 63
bytes, for a schema, a table, its columns, primary key, index, check, enum and enum values.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linkgress_async import DbModelConfig, PgClient, enum_column, integer, text
from linkgress_async.testing import DatabaseFactory
from tests.integration.helpers import context, quiet

RESERVED = ["select", "order", "user", "table", "group", "Select", "END", "from", "public"]
NASTY = [*"\"' ;-()\\$%\t", "--", "/*", "*/", "''", '""', "\u202e", "\u0301", "🙂", "ß"]


def fits(name: str) -> bool:
    return 0 < len(name.encode()) <= 63


def pad_to_63(name: str) -> str:
    """``name`` cut or padded with ``x`` to exactly 63 bytes."""
    while len(name.encode()) > 63:
        name = name[:-1]
    return name + "x" * (63 - len(name.encode()))


plain = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"))
piece = st.one_of(st.sampled_from(NASTY), plain)
generated = st.lists(piece, min_size=1, max_size=12).map("".join).filter(fits)
identifiers = st.one_of(st.sampled_from(RESERVED), generated, generated.map(pad_to_63))


@st.composite
def models(draw: st.DrawFn) -> dict[str, Any]:
    # Tables, indexes, primary keys and types share one namespace per schema.
    table, pk, index, enum = draw(st.lists(identifiers, min_size=4, max_size=4, unique=True))
    columns = draw(st.lists(identifiers, min_size=2, max_size=3, unique=True))
    return {
        "schema": draw(identifiers),
        "table": table,
        "pk": pk,
        "index": index,
        "enum": enum,
        "columns": columns,
        "values": draw(st.lists(identifiers, min_size=1, max_size=3, unique=True)),
        "default": draw(generated),
    }


def setup_for(spec: dict[str, Any]) -> Any:
    def setup(model: DbModelConfig) -> None:
        kind = model.enum(spec["enum"], spec["values"], schema=spec["schema"])
        key, mood, *rest = spec["columns"]
        props = {"key": integer(key).primary_key(), "mood": enum_column(mood, kind)}
        props |= {f"c{i}": text(name) for i, name in enumerate(rest)}
        cls = type("Generated", (), {"__annotations__": dict.fromkeys(props, Any)})
        e = model.entity(cls)
        e.to_table(spec["table"], schema=spec["schema"])
        for prop, column in props.items():
            e.property(prop).has_type(column)
        e.has_primary_key(["key"], name=spec["pk"])
        e.property("mood").has_default_value(spec["values"][0])
        for i in range(len(rest)):
            e.property(f"c{i}").has_default_value(spec["default"])
        e.has_index(spec["index"], ["mood", "key"])

    return setup


GENERATED = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)


@GENERATED
@given(spec=models())
async def test_generated_identifiers_round_trip_without_injection(
    linkgress_databases: DatabaseFactory, spec: dict[str, Any]
) -> None:
    dsn = await linkgress_databases.create()
    async with context(setup_for(spec))(PgClient(dsn=dsn, max_size=4)) as db:
        # A canary that any injected DROP/DELETE would remove.
        await db.execute("CREATE SCHEMA canary_lk; CREATE TABLE canary_lk.canary (x int)")
        await db.query("INSERT INTO canary_lk.canary VALUES (42)")
        sm = db.get_schema_manager(out=quiet)
        created = await sm.ensure_created()
        assert created
        assert await sm.analyze() == []
        # The server holds exactly the generated names, byte for byte.
        live = await sm.introspect()
        [table] = [t for t in live.tables if t.schema == spec["schema"]]
        assert table.name == spec["table"]
        assert [c.name for c in table.columns] == spec["columns"]
        assert [i.name for i in table.indexes] == [spec["index"]]
        rows = await db.query(
            "SELECT e.enumlabel FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid"
            " JOIN pg_namespace n ON n.oid = t.typnamespace"
            " WHERE t.typname = $1 AND n.nspname = $2 ORDER BY e.enumsortorder",
            spec["enum"],
            spec["schema"],
        )
        assert [row["enumlabel"] for row in rows] == spec["values"]
        # ensure_deleted removes the model again, and only the model.
        await sm.ensure_deleted()
        assert not (await sm.introspect()).tables
        rows = await db.query("SELECT x FROM canary_lk.canary")
        assert [row["x"] for row in rows] == [42]
