"""Argument checks shared by the builders: property selectors, name lists, SQL fragments."""

from __future__ import annotations

import dataclasses
import inspect
import re
import weakref
from collections.abc import Callable, Iterable, Mapping
from collections.abc import Sequence as SequenceOf
from typing import Any

import attrs

from linkgress_async.catalog import FK_ACTIONS, ForeignKeyAction
from linkgress_async.errors import ModelError
from linkgress_async.render.quote import RawSql, identifier_problem

__all__ = [
    "METHOD",
    "action",
    "action_of",
    "attribute_names",
    "check_identifier",
    "declared_attributes",
    "expression",
    "has_attribute",
    "names",
    "privileges",
    "roles",
    "selected_name",
    "storage_parameters",
]

METHOD = re.compile(r"[a-z_][a-z0-9_]*")


class _Picked:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __getattr__(self, name: str) -> Any:
        raise ModelError(
            f"a property selector must pick one attribute, like lambda u: u.email; "
            f"it went on to .{name} after .{self.name}"
        )


class _Recorder:
    __slots__ = ()

    def __getattr__(self, name: str) -> _Picked:
        return _Picked(name)


def selected_name(entity: str, selector: Callable[[Any], object]) -> str:
    try:
        picked = selector(_Recorder())
    except ModelError as error:
        raise ModelError(f"{entity}: {error}") from None
    except Exception as error:
        raise ModelError(
            f"{entity}: a property selector must return one attribute, like "
            f"lambda u: u.email ({type(error).__name__}: {error})"
        ) from None
    if not isinstance(picked, _Picked):
        raise ModelError(
            f"{entity}: a property selector must return one attribute, like lambda u: u.email"
        )
    return picked.name


def attribute_names(cls: type) -> list[str] | None:
    """The attributes an entity declares, or ``None`` for a plain class (checked lazily)."""
    if attrs.has(cls):
        return [a.name for a in attrs.fields(cls)]
    if dataclasses.is_dataclass(cls):
        return [f.name for f in dataclasses.fields(cls)]
    return None


def has_attribute(
    cls: type, name: str, declared: tuple[frozenset[str], bool] | None = None
) -> bool:
    """Whether ``name`` is an attribute of entity ``cls``; ``declared`` is
    :func:`declared_attributes` of ``cls``, when the caller kept it."""
    if name.startswith("__") and name.endswith("__"):
        # Every class has __init__, __doc__ and friends; none of them is a property.
        return False
    names, fields_only = declared_attributes(cls) if declared is None else declared
    if name in names:
        return True
    return not fields_only and hasattr(cls, name)


_declarations: weakref.WeakKeyDictionary[type, tuple[frozenset[str], bool]] = (
    weakref.WeakKeyDictionary()
)


def declared_attributes(cls: type) -> tuple[frozenset[str], bool]:
    """The names ``cls`` declares (its fields, or the annotations of it and its bases) and
    whether those are all it has (attrs and dataclasses), read once per class: a model
    asks about each property of each entity, tens of thousands of times for a large one."""
    known = _declarations.get(cls)
    if known is None:
        fields = attribute_names(cls)
        if fields is not None:
            known = (frozenset(fields), True)
        else:
            # Every class's last base is object, which annotates nothing: not asking saves
            # a quarter of the time a model's first look at an entity class takes.
            bases = cls.__mro__[:-1]
            annotated = (n for klass in bases for n in inspect.get_annotations(klass))
            known = (frozenset(annotated), False)
        _declarations[cls] = known
    return known


def names(value: str | SequenceOf[str], where: str) -> tuple[str, ...]:
    names = (value,) if isinstance(value, str) else tuple(value)
    if not names or not all(isinstance(name, str) for name in names):
        raise ModelError(f"{where}: expected a property name or a list of them, not {value!r}")
    return names


def expression(value: str | RawSql, where: str) -> str:
    text = value.text if isinstance(value, RawSql) else value
    if not isinstance(text, str) or not text.strip():
        raise ModelError(f"{where}: expected an SQL expression, not {value!r}")
    return text


def action_of(value: object) -> ForeignKeyAction | None:
    """The foreign key action ``value`` spells, or ``None``."""
    normal = " ".join(value.split()).lower() if isinstance(value, str) else ""
    for action in FK_ACTIONS:
        if action == normal:
            return action
    return None


def action(value: str, where: str) -> ForeignKeyAction:
    found = action_of(value)
    if found is not None:
        return found
    raise ModelError(f"{where}: {value!r} is not one of {', '.join(FK_ACTIONS)}")


def check_identifier(name: str, where: str | Callable[[], str], hint: str = "") -> None:
    """Raise a ModelError saying where ``name`` is used when it is no valid identifier.

    ``where`` may be a function making the text, called only for the error: a model checks
    tens of thousands of names, and spelling each one's context cost more than the check.
    """
    problem = identifier_problem(name)
    if problem is not None:
        context = where if isinstance(where, str) else where()
        raise ModelError(f"{context}: {problem}{hint}")


_PRIVILEGES = frozenset(
    [
        "SELECT",
        "INSERT",
        "UPDATE",
        "DELETE",
        "TRUNCATE",
        "REFERENCES",
        "TRIGGER",
        "USAGE",
        "CREATE",
        "CONNECT",
        "TEMPORARY",
        "EXECUTE",
        "MAINTAIN",
        "ALL",
    ]
)


def privileges(values: Iterable[str], where: str) -> tuple[str, ...]:
    """Privilege names in upper case (``select`` → ``SELECT``, ``all`` → ``ALL``)."""
    found: list[str] = []
    for value in values:
        word = " ".join(value.split()).upper() if isinstance(value, str) else ""
        word = {"ALL PRIVILEGES": "ALL", "TEMP": "TEMPORARY"}.get(word, word)
        if word not in _PRIVILEGES:
            known = ", ".join(sorted(_PRIVILEGES))
            raise ModelError(f"{where}: {value!r} is not a privilege (one of {known})")
        if word not in found:
            found.append(word)
    if not found:
        raise ModelError(f"{where}: name at least one privilege (SELECT, USAGE, ALL...)")
    return tuple(found)


def roles(value: str | SequenceOf[str], where: str) -> tuple[str, ...]:
    """Role names; ``PUBLIC`` (any case) is the pseudo-role everyone has."""
    found = (value,) if isinstance(value, str) else tuple(value)
    if not found:
        raise ModelError(f"{where}: name at least one role")
    checked: list[str] = []
    for role in found:
        if isinstance(role, str) and role.upper() == "PUBLIC":
            role = "PUBLIC"
        else:
            check_identifier(role, f"{where}: role")
        if role not in checked:
            checked.append(role)
    return tuple(checked)


def storage_parameters(values: Mapping[str, object], where: str) -> tuple[str, ...]:
    """``WITH (...)`` storage parameters as ``reloptions`` holds them: ``name=value``, in
    the order given (the server keeps that order and ``pg_dump`` prints it; they compare as a
    set)."""
    found: list[str] = []
    for name, value in values.items():
        if not re.fullmatch(r"[a-z_][a-z0-9_.]*", name):
            raise ModelError(f"{where}: {name!r} is not a storage parameter name")
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, int | float):
            text = repr(value)
        elif isinstance(value, str) and value and "," not in value and "=" not in value:
            text = value
        else:
            raise ModelError(f"{where}: storage parameter {name}={value!r} is not a plain value")
        found.append(f"{name}={text}")
    return tuple(found)
