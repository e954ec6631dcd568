"""Eight processes run ``migrate()`` on one new database at once: one applies the plan, the
others find it done, and nobody sees an error (issue: scratch objects used to spell the model
collided with what another process had just committed)."""

from __future__ import annotations

import sys
from pathlib import Path

import anyio
import asyncpg

ROOT = Path(__file__).resolve().parents[2]

# Prints "ok <operations applied>" or "error <type> <message>".
SCRIPT = """
import sys
import anyio
from linkgress_async import (
    DbContext, DbModelConfig, LinkgressError, PgClient, enum_column, integer, text, timestamptz,
)

class Order:
    id: int
    status: str
    note: str
    placed_at: object

class Shop(DbContext):
    def setup_model(self, model: DbModelConfig) -> None:
        model.schema("shop")
        status = model.enum("order_status", ["new", "paid", "sent"], schema="shop")
        with model.entity(Order) as e:
            e.to_table("orders", schema="shop")
            e.property("id").has_type(integer("id").primary_key())
            e.property("status").has_type(enum_column("status", status)).has_default_value("new")
            e.property("note").has_type(text("note")).has_default_value("")
            e.property("placed_at").has_type(timestamptz("placed_at")).has_default_sql("now()")
            e.has_check("orders_note_short", "length(note) < 500")
            e.has_index("ix_orders_note", ["note"], where="status <> 'sent'")

async def main() -> None:
    async with Shop(PgClient(dsn=sys.argv[1], min_size=1, max_size=4)) as db:
        try:
            applied = await db.get_schema_manager(out=lambda line: None).migrate()
        except LinkgressError as error:
            print("error", type(error).__name__, error)
            return
    print("ok", len(applied))

anyio.run(main)
"""


async def test_eight_processes_migrating_at_once_apply_the_plan_once(
    linkgress_dsn: str, tmp_path: Path
) -> None:
    script = tmp_path / "migrate.py"
    script.write_text(SCRIPT)
    outputs: list[str] = []

    async def run() -> None:
        done = await anyio.run_process(
            [sys.executable, str(script), linkgress_dsn], cwd=ROOT, check=False
        )
        assert done.returncode == 0, done.stderr.decode()
        outputs.append(done.stdout.decode().strip())

    async with anyio.create_task_group() as group:
        for _ in range(8):
            group.start_soon(run)

    assert all(line.startswith("ok ") for line in outputs), outputs
    applied = sorted(int(line.split()[1]) for line in outputs)
    assert applied[:-1] == [0] * 7, outputs
    assert applied[-1] > 0, outputs
    conn = await asyncpg.connect(linkgress_dsn)
    try:
        labels = await conn.fetchval(
            "SELECT array_agg(enumlabel::text ORDER BY enumsortorder) FROM pg_enum"
            " WHERE enumtypid = 'shop.order_status'::regtype"
        )
        assert labels == ["new", "paid", "sent"]
    finally:
        await conn.close()
