"""A plain asyncio script: create the model, use it, then evolve it with ``migrate()``.

    DATABASE_URL=postgresql://user:password@host:5432/dbname python -m examples.asyncio_script

Version 1 of the model is created with ``ensure_created()``, rows are written in a transaction
and read back; version 2 adds a column and an index, applied with ``migrate()``, which prints
its plan. Running the script again finds everything in place and changes nothing.
"""

from __future__ import annotations

import asyncio
import os
import sys
from decimal import Decimal

import attrs

from linkgress_async import (
    DbContext,
    DbModelConfig,
    DestructiveMigrationError,
    PgClient,
    integer,
    numeric,
    text,
    varchar,
)


@attrs.define
class Product:
    id: int
    sku: str
    name: str
    price: Decimal
    stock: int = 0


def product_v1(model: DbModelConfig) -> None:
    """The first release: products with a unique SKU."""
    with model.entity(Product) as e:
        e.to_table("products", schema="shop")
        e.property("id").has_type(integer("id").primary_key().generated_always_as_identity())
        e.property("sku").has_type(varchar("sku", 32)).is_required().is_unique()
        e.property("name").has_type(text("name")).is_required()
        e.property("price").has_type(numeric("price", 10, 2)).is_required()
        e.has_check("ck_products_price", "price >= 0")


class ShopV1(DbContext):
    def setup_model(self, model: DbModelConfig) -> None:
        product_v1(model)


class ShopV2(DbContext):
    """The next release: stock levels, and an index to find what runs out."""

    def setup_model(self, model: DbModelConfig) -> None:
        product_v1(model)
        with model.entity(Product) as e:
            e.property("stock").has_type(integer("stock")).is_required().has_default_value(0)
            e.has_index("ix_products_low_stock", ["stock"], where="stock < 10")


async def main(dsn: str) -> int:
    async with ShopV1(PgClient(dsn=dsn)) as v1:
        for operation in await v1.get_schema_manager().ensure_created():
            print("created:", operation.describe())
        async with v1.transaction():  # both rows or neither
            for sku, name, price in (("T-1", "Teapot", "24.50"), ("C-2", "Cup", "6.00")):
                await v1.query(
                    "INSERT INTO shop.products (sku, name, price) VALUES ($1, $2, $3)"
                    " ON CONFLICT (sku) DO NOTHING",
                    sku,
                    name,
                    Decimal(price),
                )
        rows = await v1.query("SELECT sku, price FROM shop.products ORDER BY sku")
        print("products:", ", ".join(f"{r['sku']} at {r['price']}" for r in rows))

    async with ShopV2(PgClient(dsn=dsn)) as v2:
        try:
            # Adding a column and an index deletes nothing, so no confirmation is needed.
            await v2.get_schema_manager().migrate(interactive=False)
        except DestructiveMigrationError as error:
            print(f"refused: {[op.describe() for op in error.operations]}", file=sys.stderr)
            return 1
        await v2.query("UPDATE shop.products SET stock = 3 WHERE sku = $1", "T-1")
        low = await v2.query("SELECT sku FROM shop.products WHERE stock < 10 ORDER BY sku")
        print("low on stock:", ", ".join(row["sku"] for row in low))
    return 0


if __name__ == "__main__":
    url = os.environ.get("DATABASE_URL")
    if not url:
        sys.exit("Set DATABASE_URL=postgresql://user:password@host:5432/dbname")
    sys.exit(asyncio.run(main(url)))
