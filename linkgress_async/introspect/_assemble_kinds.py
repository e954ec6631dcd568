"""Rows -> extensions, domains, composite types, aggregates and the dependency graph.

Pure and synchronous, like :mod:`._assemble`, which calls these for its families.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Final, Literal

from linkgress_async.catalog import (
    Aggregate,
    CompositeAttribute,
    CompositeType,
    Dependency,
    Domain,
    DomainCheck,
    Extension,
    ObjectKind,
    ObjectRef,
)
from linkgress_async.render.quote import render_literal

from ._row import Row

__all__ = [
    "aggregate_definition",
    "aggregate_of",
    "composite_types_of",
    "dependencies_of",
    "domain_of",
    "extension_of",
]


AggregateKind = Literal["normal", "ordered-set", "hypothetical"]


def extension_of(row: Row) -> Extension:
    """An extension from a row of ``extensions.sql``."""
    return Extension(row["extension_name"], row["schema_name"], row["version"])


def domain_of(row: Row) -> Domain:
    """A domain from a row of ``domains.sql``."""
    name: str = row["domain_name"]
    checks = zip(row["check_names"] or (), row["check_expressions"] or (), strict=True)
    not_valid = set(row["not_valid_names"] or ())
    not_null_name: str | None = row["not_null_name"]
    return Domain(
        schema=row["schema_name"],
        name=name,
        data_type=row["data_type"],
        default=row["default_expr"],
        nullable=not row["not_null"],
        collation=row["collation_name"],
        checks=[DomainCheck(c, expression, c in not_valid) for c, expression in checks],
        not_null_name=None if not_null_name in (None, f"{name}_not_null") else not_null_name,
    )


def composite_types_of(rows: Iterable[Row]) -> Iterator[CompositeType]:
    """The composite types of ``composite_types.sql``'s rows (one per attribute, in order)."""
    current: tuple[str, str] | None = None
    attributes: list[CompositeAttribute] = []
    for row in rows:
        key = (row["schema_name"], row["type_name"])
        if key != current:
            if current is not None:
                yield CompositeType(current[0], current[1], tuple(attributes))
            current, attributes = key, []
        if row["attribute_name"] is not None:
            attributes.append(
                CompositeAttribute(row["attribute_name"], row["data_type"], row["collation_name"])
            )
    if current is not None:
        yield CompositeType(current[0], current[1], tuple(attributes))


_KINDS: Final[Mapping[str, AggregateKind]] = {
    "n": "normal",
    "o": "ordered-set",
    "h": "hypothetical",
}
_MODIFY: Final[Mapping[str, str]] = {"r": "READ_ONLY", "s": "SHAREABLE", "w": "READ_WRITE"}
_PARALLEL: Final[Mapping[str, str]] = {"s": "SAFE", "r": "RESTRICTED"}
# Flags written without a value; INITCOND and MINITCOND are quoted as literals.
_FLAGS: Final = frozenset({"FINALFUNC_EXTRA", "MFINALFUNC_EXTRA", "HYPOTHETICAL"})
_LITERALS: Final = frozenset({"INITCOND", "MINITCOND"})


def _aggregate_parameters(row: Row) -> tuple[tuple[str, str], ...]:
    """The parameters that differ from CREATE AGGREGATE's defaults, in its order."""
    # A final function of a normal aggregate only reads the state by default; ordered-set
    # and hypothetical ones may write it.
    default_modify = "r" if row["kind"] == "n" else "w"
    pairs: list[tuple[str, str]] = [("SFUNC", row["sfunc"]), ("STYPE", row["stype"])]
    if row["sspace"]:
        pairs.append(("SSPACE", str(row["sspace"])))
    if row["finalfunc"] is not None:
        pairs.append(("FINALFUNC", row["finalfunc"]))
        if row["finalfunc_extra"]:
            pairs.append(("FINALFUNC_EXTRA", ""))
        if row["finalfunc_modify"] != default_modify:
            pairs.append(("FINALFUNC_MODIFY", _MODIFY[row["finalfunc_modify"]]))
    for name in ("combinefunc", "serialfunc", "deserialfunc"):
        if row[name] is not None:
            pairs.append((name.upper(), row[name]))
    if row["initcond"] is not None:
        pairs.append(("INITCOND", row["initcond"]))
    if row["msfunc"] is not None:
        pairs.append(("MSFUNC", row["msfunc"]))
        pairs.append(("MINVFUNC", row["minvfunc"]))
        pairs.append(("MSTYPE", row["mstype"]))
    if row["msspace"]:
        pairs.append(("MSSPACE", str(row["msspace"])))
    if row["mfinalfunc"] is not None:
        pairs.append(("MFINALFUNC", row["mfinalfunc"]))
        if row["mfinalfunc_extra"]:
            pairs.append(("MFINALFUNC_EXTRA", ""))
        if row["mfinalfunc_modify"] != default_modify:
            pairs.append(("MFINALFUNC_MODIFY", _MODIFY[row["mfinalfunc_modify"]]))
    if row["minitcond"] is not None:
        pairs.append(("MINITCOND", row["minitcond"]))
    if row["sortop"] is not None:
        pairs.append(("SORTOP", row["sortop"]))
    if row["parallel"] in _PARALLEL:
        pairs.append(("PARALLEL", _PARALLEL[row["parallel"]]))
    if row["kind"] == "h":
        pairs.append(("HYPOTHETICAL", ""))
    return tuple(pairs)


def aggregate_definition(arguments: str, parameters: Iterable[tuple[str, str]]) -> str:
    """What follows the name in ``CREATE AGGREGATE``: ``(arguments) (NAME = value, ...)``.

    ``arguments`` is ``pg_get_function_arguments``' text; an aggregate of no arguments is
    written ``(*)``.
    """
    items = []
    for name, value in parameters:
        if name in _FLAGS:
            items.append(name)
        elif name in _LITERALS:
            items.append(f"{name} = {render_literal(value)}")
        else:
            items.append(f"{name} = {value}")
    return f"({arguments or '*'}) ({', '.join(items)})"


def aggregate_of(row: Row) -> Aggregate:
    """An aggregate from a row of ``aggregates.sql``."""
    parameters = _aggregate_parameters(row)
    return Aggregate(
        schema=row["schema_name"],
        name=row["aggregate_name"],
        identity_args=row["identity_args"],
        parameters=parameters,
        kind=_KINDS[row["kind"]],
        definition=aggregate_definition(row["arguments"], parameters),
    )


def _ref(row: Row, side: str) -> ObjectRef:
    kind: ObjectKind = row[f"{side}_kind"]
    return ObjectRef(kind, row[f"{side}_schema"], row[f"{side}_name"], row[f"{side}_member"])


def dependencies_of(rows: Iterable[Row]) -> list[Dependency]:
    """The dependency edges of ``dependencies.sql``'s rows."""
    return [
        Dependency(
            _ref(row, "dependent"),
            _ref(row, "referenced"),
            "normal" if row["dependency"] == "n" else "auto",
        )
        for row in rows
    ]
