"""What every migration operation shares: the base class and the name shown in plans."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from attrs import frozen

if TYPE_CHECKING:
    from linkgress_async.ops import MigrationOperation


def display(schema: str, name: str) -> str:
    """The name as plans print it: unqualified in ``public``, ``schema.name`` elsewhere."""
    return name if schema == "public" else f"{schema}.{name}"


@frozen
class BaseOperation:
    """The base of every operation: ``type``, ``destructive``, ``describe()``, ``reverse()``."""

    type: ClassVar[str] = ""
    destructive: ClassVar[bool] = False

    def describe(self) -> str:  # pragma: no cover - every subclass overrides it
        raise NotImplementedError

    def reverse(self) -> MigrationOperation | None:  # pragma: no cover - overridden
        raise NotImplementedError
