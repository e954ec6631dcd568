"""Runs the code of docs/ownership.md, so the guide cannot drift from the library."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from linkgress_async import PgClient

DOC = Path(__file__).resolve().parents[2] / "docs" / "ownership.md"


def doc_blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", DOC.read_text(), re.S)


def doc_namespace() -> dict[str, Any]:
    """Every python block of the guide, run in order in one namespace."""
    namespace: dict[str, Any] = {}
    for block in doc_blocks("python"):
        exec(compile(block, str(DOC), "exec"), namespace)
    return namespace


async def relations(db: Any) -> list[str]:
    rows = await db.query(
        "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace"
        " AND relkind IN ('r', 'i') ORDER BY relname"
    )
    return [r["relname"] for r in rows]


async def test_the_guide_keeps_what_the_model_does_not_declare(linkgress_dsn: str) -> None:
    guide = doc_namespace()
    (hand_made,) = doc_blocks("sql")
    (printed,) = doc_blocks("text")
    async with guide["AppDatabase"](PgClient(dsn=linkgress_dsn)) as db:
        await db.get_schema_manager(out=lambda line: None).ensure_created()
        await db.execute(hand_made)
        lines: list[str] = []
        sm = db.get_schema_manager(out=lines.append)
        plan = await sm.plan()
        sm.print_plan(plan)
        assert lines == printed.strip("\n").splitlines()
        assert [op.type for op in await sm.analyze()] == ["drop_index"]

        await guide["tidy"](db)
        assert await relations(db) == [
            "ix_manual_email",
            "legacy_orders",
            "legacy_orders_pkey",
            "users",
            "users_pkey",
        ]
        options: dict[str, Any] = {
            "exclude": ["public.legacy_*", "public.users.ix_manual_*"],
            "drop_unmanaged": ["public.tmp_*"],
        }
        after = await db.get_schema_manager(**options).plan()
        assert after.operations == ()
        assert after.unmanaged == ()
