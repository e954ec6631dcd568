"""Runs the code of docs/renames.md, so the guide cannot drift from the library."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from linkgress_async import PgClient

DOC = Path(__file__).resolve().parents[2] / "docs" / "renames.md"


def doc_blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", DOC.read_text(), re.S)


def doc_namespace(marker: str) -> dict[str, Any]:
    blocks = [b for b in doc_blocks("python") if marker in b]
    assert len(blocks) == 1, f"expected one python block with {marker!r} in {DOC.name}"
    namespace: dict[str, Any] = {}
    exec(compile(blocks[0], str(DOC), "exec"), namespace)
    return namespace


async def test_the_guide_renames_keep_data(linkgress_dsn: str) -> None:
    models = doc_namespace("class AppV2")
    lines: list[str] = []
    async with models["AppV1"](PgClient(dsn=linkgress_dsn)) as v1:
        await v1.get_schema_manager(out=lines.append).migrate()
        await v1.query("INSERT INTO app_users (mail, role) VALUES ('a@x', 'admin')")
    lines.clear()
    async with models["AppV2"](PgClient(dsn=linkgress_dsn)) as v2:
        sm = v2.get_schema_manager(out=lines.append)
        await sm.migrate(interactive=False)
        printed = doc_blocks("text")[0].strip().splitlines()
        assert lines[: len(printed)] == printed
        assert await sm.analyze() == []
        await v2.query("INSERT INTO members (email, role) VALUES ('b@x', 'guest')")
        rows = await v2.query("SELECT id, email, role::text FROM members ORDER BY id")
        assert [tuple(r.values()) for r in rows] == [(1, "a@x", "admin"), (2, "b@x", "guest")]
        removing_is_safe = doc_namespace("async def removing_is_safe")["removing_is_safe"]
        assert await removing_is_safe(sm)
