"""``naming="linkgress-ts"``: the model Linkgress (TypeScript) would have built."""

from __future__ import annotations

import pytest

from linkgress_async.catalog import Catalog, ForeignKey, QualifiedName, Table
from linkgress_async.errors import ModelError
from linkgress_async.model import DbModelConfig, build_model, integer, text


class Customer:
    id: int
    main_address_id: int


class Order:
    id: int
    customer_id: int
    billing_customer_id: int


class Address:
    id: int
    line: str


CUSTOMERS = QualifiedName("public", "customers")


def declare(model: DbModelConfig) -> None:
    customers = model.entity(Customer).to_table("customers")
    customers.property("id").has_type(
        integer("id").primary_key().generated_always_as_identity("customers_key_seq")
    )
    customers.property("main_address_id").has_type(integer("main_address_id"))
    customers.has_many("orders", Order).with_foreign_key("customer_id")
    orders = model.entity(Order).to_table("orders")
    orders.property("id").has_type(integer("id").primary_key())
    orders.property("customer_id").has_type(integer("customer_id"))
    orders.property("billing_customer_id").has_type(integer("billing_customer_id"))
    orders.has_one("customer", Customer).with_foreign_key("customer_id").on_delete("cascade")
    orders.has_one("billing", Customer).with_foreign_key("billing_customer_id")
    addresses = model.entity(Address).to_table("addresses")
    addresses.property("id").has_type(integer("id").primary_key())
    addresses.property("line").has_type(text("line"))
    # One-to-one: the key is on customers; the address's side is a navigation only.
    customers.has_one("main_address", Address).with_foreign_key("main_address_id")
    addresses.has_one("customer", Customer).with_foreign_key("id").is_inverse_navigation()


def table(catalog: Catalog, name: str) -> Table:
    found = catalog.table("public", name)
    assert found is not None
    return found


def test_foreign_keys_are_named_after_their_first_column() -> None:
    catalog = build_model(declare, naming="linkgress-ts")
    assert set(table(catalog, "orders").foreign_keys) == {
        ForeignKey(
            "FK_orders_customers_customer_id",
            ("customer_id",),
            CUSTOMERS,
            ("id",),
            on_delete="cascade",
        ),
        ForeignKey(
            "FK_orders_customers_billing_customer_id", ("billing_customer_id",), CUSTOMERS, ("id",)
        ),
    }
    assert [fk.name for fk in table(catalog, "customers").foreign_keys] == [
        "FK_customers_addresses_main_address_id"
    ]
    assert table(catalog, "addresses").foreign_keys == ()


def test_has_many_alone_makes_no_foreign_key() -> None:
    def only_has_many(model: DbModelConfig) -> None:
        customers = model.entity(Customer).to_table("customers")
        customers.property("id").has_type(integer("id").primary_key())
        customers.property("main_address_id").has_type(integer("main_address_id"))
        customers.has_many("orders", Order).with_foreign_key("customer_id")
        orders = model.entity(Order).to_table("orders")
        orders.property("id").has_type(integer("id").primary_key())
        orders.property("customer_id").has_type(integer("customer_id"))
        orders.property("billing_customer_id").has_type(integer("billing_customer_id"))

    assert table(build_model(only_has_many, naming="linkgress-ts"), "orders").foreign_keys == ()
    # The library's own convention makes one from has_many.
    assert [fk.name for fk in table(build_model(only_has_many), "orders").foreign_keys] == [
        "FK_orders_customers"
    ]


def test_identity_sequences_keep_postgresql_default_names() -> None:
    def named_identity(model: DbModelConfig) -> None:
        addresses = model.entity(Address).to_table("addresses")
        addresses.property("id").has_type(
            integer("id").primary_key().generated_always_as_identity("addresses_key_seq")
        )
        addresses.property("line").has_type(text("line"))

    linkgress = table(build_model(named_identity, naming="linkgress-ts"), "addresses")
    identity = linkgress.column("id").identity
    # None: the implicit name, addresses_id_seq.
    assert identity is not None
    assert identity.sequence_name is None
    declared = table(build_model(named_identity), "addresses").column("id").identity
    assert declared is not None
    assert declared.sequence_name == "addresses_key_seq"


def test_an_unknown_naming_is_refused() -> None:
    with pytest.raises(ModelError, match=r"naming='linkgress' is not a naming convention"):
        DbModelConfig(naming="linkgress")
