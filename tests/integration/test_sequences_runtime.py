"""Declared sequences at run time: next_value, current_value, resync (Linkgress DbSequence)."""

from __future__ import annotations

import pytest

from linkgress_async import DbModelConfig, ModelError, PgClient
from tests.integration.helpers import context, quiet

ORDER_NUMBERS = "order_numbers"


def setup(model: DbModelConfig) -> None:
    model.sequence(ORDER_NUMBERS, start_with=1000, increment_by=5)
    model.sequence("invoices", schema="billing")


async def test_next_current_and_resync(linkgress_dsn: str) -> None:
    async with context(setup)(PgClient(dsn=linkgress_dsn, max_size=3)) as db:
        await db.get_schema_manager(out=quiet).ensure_created()
        numbers = db.sequence(ORDER_NUMBERS)
        assert await numbers.current_value() is None
        assert await numbers.next_value() == 1000
        assert await numbers.next_value() == 1005
        # The value given out last, whichever pooled connection asks.
        assert await numbers.current_value() == 1005
        await numbers.resync(2000)
        assert await numbers.next_value() == 2005
        invoices = db.sequence(db.model.sequences[0])
        assert invoices.name.schema == "billing"
        assert await invoices.next_value() == 1
        async with db.transaction():
            assert await db.sequence("billing.invoices").next_value() == 2


async def test_an_undeclared_sequence_is_a_model_error(linkgress_dsn: str) -> None:
    async with context(setup)(PgClient(dsn=linkgress_dsn)) as db:
        with pytest.raises(ModelError, match=r"public\.nope is not declared"):
            db.sequence("nope")
        with pytest.raises(TypeError):
            await db.sequence(ORDER_NUMBERS).resync("12")  # type: ignore[arg-type]
