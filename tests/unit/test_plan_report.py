"""The plan print-out warns loudly about foreign keys dropped for good (issue 11)."""

from __future__ import annotations

from linkgress_async.catalog import ForeignKey, QualifiedName
from linkgress_async.ops import CreateForeignKey, DropForeignKey, MigrationOperation
from linkgress_async.plan.report import print_plan

FK = ForeignKey("orders_user_fkey", ("user_id",), QualifiedName("auth", "users"), ("id",))


def printed(operations: list[MigrationOperation]) -> list[str]:
    lines: list[str] = []
    print_plan(lines.append, operations)
    return lines


def test_a_foreign_key_the_model_lacks_is_a_warning() -> None:
    lines = printed([DropForeignKey("orders", FK.name, "public", FK)])
    assert lines[-4:] == [
        "WARNING: 1 foreign key will be dropped because the model does not declare it:",
        "  - orders_user_fkey on orders (user_id) -> auth.users (id)",
        "  Their references stop being checked. To keep one, declare it in the model",
        "  (has_one/has_many ... with_foreign_key).",
    ]


def test_several_are_counted_and_named() -> None:
    other = ForeignKey("orders_shop_fkey", ("shop_id",), QualifiedName("public", "shops"), ("id",))
    lines = printed(
        [
            DropForeignKey("orders", FK.name, "public", FK),
            DropForeignKey("orders", other.name, "sales", None),
        ]
    )
    assert "WARNING: 2 foreign keys will be dropped because the model does not declare them:" in (
        lines
    )
    assert "  - orders_shop_fkey on sales.orders" in lines


def test_a_foreign_key_created_again_is_no_warning() -> None:
    lines = printed(
        [DropForeignKey("orders", FK.name, "public", FK), CreateForeignKey("orders", FK, "public")]
    )
    assert not any(line.startswith("WARNING") for line in lines)
