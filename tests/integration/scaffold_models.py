"""Models for the scaffold tests, importable by dotted path from generated migrations."""

from __future__ import annotations

import attrs

from linkgress_async import DbContext, DbModelConfig, enum_column, integer, text, varchar


@attrs.define
class Customer:
    id: int
    name: str
    email: str | None = None
    phone_number: str | None = None


@attrs.define
class Order:
    id: int
    customer_id: int
    status: str
    note: str


def _customers(model: DbModelConfig, *, email: bool, phone: bool) -> None:
    with model.entity(Customer) as e:
        e.to_table("customers", schema="shop")
        e.property("id").has_type(integer("id").primary_key().generated_always_as_identity())
        e.property("name").has_type(varchar("name", 100)).is_required()
        if email:
            e.property("email").has_type(text("email"))
        if phone:
            e.property("phone_number").has_type(varchar("phone_number", 20))
            e.has_index("ix_customers_phone", ["phone_number"])


class ShopV1(DbContext):
    """The first version: customers only."""

    def setup_model(self, model: DbModelConfig) -> None:
        _customers(model, email=True, phone=False)


class ShopV2(DbContext):
    """Adds a phone number with an index, an enum and an orders table with a foreign key."""

    def setup_model(self, model: DbModelConfig) -> None:
        _customers(model, email=True, phone=True)
        status = model.enum("order_status", ["new", "paid", 'it\'s "shipped"'], schema="shop")
        with model.entity(Order) as e:
            e.to_table("orders", schema="shop")
            e.property("id").has_type(integer("id").primary_key().generated_always_as_identity())
            e.property("customer_id").has_type(integer("customer_id")).is_required()
            e.property("status").has_type(enum_column("status", status)).has_default_value("new")
            e.property("note").has_type(text("note")).has_default_value('O\'Brien\\ "ü"\n')
            e.has_one("customer", Customer).with_foreign_key("customer_id").with_principal_key("id")


class ShopWithoutEmail(DbContext):
    """Drops the email column, which cannot be reversed."""

    def setup_model(self, model: DbModelConfig) -> None:
        _customers(model, email=False, phone=False)
