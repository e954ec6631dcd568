"""What the entity builder's parts share: the entity's spec, its label in messages, and
the checks of plain arguments."""

from __future__ import annotations

from typing import TypeVar

from linkgress_async.errors import ModelError
from linkgress_async.model.specs import EntitySpec

__all__ = ["EntityParts", "T", "check_comment", "check_flag", "check_text"]

T = TypeVar("T")


class EntityParts:
    """The state every part of :class:`~linkgress_async.model.entity.EntityBuilder` uses."""

    def __init__(self, spec: EntitySpec) -> None:
        self._spec = spec
        self._declared: tuple[frozenset[str], bool] | None = None
        """The attributes the entity class declares (``declared_attributes``), once asked."""

    @property
    def _label(self) -> str:
        return self._spec.label


def check_flag(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise ModelError(f"{where}: expected True or False, not {value!r}")
    return value


def check_comment(value: str | None, where: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ModelError(f"{where}: a comment is a string, not {value!r}")
    return value


def check_text(value: str, where: str) -> str:
    if not isinstance(value, str):
        raise ModelError(f"{where}: a comment is a string, not {value!r}")
    return value
