"""Comparators for extensions, domains and composite types.

Pure and synchronous. Both sides are in the server's spelling, so values compare with ``==``.
A domain changes in place where ``ALTER DOMAIN`` can (default, ``NOT NULL``, checks); a new
base type or collation rebuilds it, converting the columns that use it. A composite type
changes in place where ``ALTER TYPE`` can (attributes added at the end, dropped, or given
another type); any other change of its attributes (a new order) drops and creates it.
"""

from __future__ import annotations

import graphlib
from collections.abc import Iterable, Mapping, Sequence

from linkgress_async.catalog import (
    Catalog,
    CompositeType,
    Domain,
    ObjectRef,
    QualifiedName,
)
from linkgress_async.ops import (
    AddCompositeAttribute,
    AddDomainConstraint,
    AlterCompositeAttribute,
    AlterDomain,
    AlterDomainConstraint,
    AlterExtension,
    CreateCompositeType,
    CreateDomain,
    CreateExtension,
    DomainColumnUse,
    DropCompositeAttribute,
    DropCompositeType,
    DropDomain,
    DropDomainConstraint,
    DropExtension,
    MigrationOperation,
    RebuildDomain,
)
from linkgress_async.render.quote import quote_ident

__all__ = ["diff_composite_types", "diff_domains", "diff_extensions", "diff_types", "spellings"]


def diff_extensions(current: Catalog, target: Catalog) -> list[MigrationOperation]:
    """Create, update or move, and drop extensions.

    A target without a version leaves the installed version alone.
    """
    live = {e.name: e for e in current.extensions}
    wanted = {e.name: e for e in target.extensions}
    operations: list[MigrationOperation] = []
    for name, extension in wanted.items():
        old = live.get(name)
        if old is None:
            operations.append(CreateExtension(name, extension))
            continue
        change = AlterExtension(name, old, extension)
        if change.updates or change.moves:
            operations.append(change)
    operations.extend(DropExtension(name, e) for name, e in live.items() if name not in wanted)
    return operations


def spellings(name: QualifiedName) -> frozenset[str]:
    """How a type name may appear in another type's spelling (``format_type`` quotes only
    where needed, which these cover without knowing PostgreSQL's keywords)."""
    schema, bare = name.schema, name.name
    return frozenset(
        f"{s}.{n}" for s in (schema, quote_ident(schema)) for n in (bare, quote_ident(bare))
    )


def _uses(data_type: str, names: Iterable[str]) -> bool:
    return data_type.removesuffix("[]") in names


def _creation_order(
    creations: Mapping[QualifiedName, MigrationOperation],
    uses: Mapping[QualifiedName, Iterable[str]],
) -> list[MigrationOperation]:
    """The creations, each after the types it uses (a domain over a composite, a composite
    with a domain attribute); in name order otherwise."""
    spelled = {name: spellings(name) for name in creations}
    sorter: graphlib.TopologicalSorter[QualifiedName] = graphlib.TopologicalSorter()
    for name in sorted(creations):
        used = [
            other
            for other, names in spelled.items()
            if other != name and any(_uses(t, names) for t in uses[name])
        ]
        sorter.add(name, *used)
    try:
        order = list(sorter.static_order())
    except graphlib.CycleError:
        order = sorted(creations)
    return [creations[name] for name in order]


def _domain_columns(
    current: Catalog, target: Catalog, domain: Domain
) -> tuple[DomainColumnUse, ...]:
    """The live columns that use ``domain`` and that the plan keeps (by the columns' own
    dependencies when known, else by their type's spelling)."""
    ref = ObjectRef("domain", domain.schema, domain.name)
    users = {
        (d.dependent.schema, d.dependent.name, d.dependent.member)
        for d in current.dependencies
        if d.referenced == ref and d.dependent.kind == "column"
    }
    names = spellings(domain.qualified_name)
    result = []
    for table in current.tables:
        wanted = target.table(table.schema, table.name)
        if wanted is None:
            continue  # the table is dropped before the rebuild
        for column in table.columns:
            used = (table.schema, table.name, column.name) in users
            if not (used or _uses(column.data_type, names)):
                continue
            new_column = wanted.column(column.name)
            if new_column is None:
                continue  # dropped before the rebuild
            keeps_type = new_column.data_type == column.data_type
            result.append(
                DomainColumnUse(
                    table.schema,
                    table.name,
                    column.name,
                    column.data_type.endswith("[]"),
                    new_column.default if keeps_type else None,
                    keeps_type,
                )
            )
    return tuple(result)


def _check_operations(old: Domain, new: Domain) -> list[MigrationOperation]:
    """Add, drop, rename, validate or replace the checks of a domain that stays."""
    live = {c.name: c for c in old.checks}
    wanted = {c.name: c for c in new.checks}
    schema, name = new.schema, new.name
    operations: list[MigrationOperation] = []
    unmatched_live = [c for c in old.checks if c.name not in wanted]
    for check in new.checks:
        previous = live.get(check.name)
        if previous is None:
            # A live check of the same expression under another name is renamed.
            renamed = next((c for c in unmatched_live if c.expression == check.expression), None)
            if renamed is not None and not (check.not_valid and not renamed.not_valid):
                unmatched_live.remove(renamed)
                operations.append(AlterDomainConstraint(name, schema, renamed, check))
            else:
                operations.append(AddDomainConstraint(name, schema, check))
        elif previous != check:
            operations.append(AlterDomainConstraint(name, schema, previous, check))
    operations.extend(DropDomainConstraint(name, schema, c.name, c) for c in unmatched_live)
    return operations


def _in_place(domain: Domain) -> tuple[object, ...]:
    return domain.default, domain.nullable, domain.not_null_name


def diff_domains(current: Catalog, target: Catalog) -> list[MigrationOperation]:
    """Create, alter, rebuild and drop domains."""
    live = {d.qualified_name: d for d in current.domains}
    wanted = {d.qualified_name: d for d in target.domains}
    creations: dict[QualifiedName, MigrationOperation] = {}
    operations: list[MigrationOperation] = []
    for name, domain in wanted.items():
        old = live.get(name)
        if old is None:
            creations[name] = CreateDomain(domain.name, domain.schema, domain)
        elif (old.data_type, old.collation) != (domain.data_type, domain.collation):
            columns = _domain_columns(current, target, old)
            operations.append(RebuildDomain(domain.name, domain.schema, old, domain, columns))
        elif old != domain:
            if _in_place(old) != _in_place(domain):
                operations.append(AlterDomain(domain.name, domain.schema, old, domain))
            operations.extend(_check_operations(old, domain))
    operations[:0] = creations.values()
    operations.extend(
        DropDomain(d.name, d.schema, d) for name, d in live.items() if name not in wanted
    )
    return operations


def _alterable(old: CompositeType, new: CompositeType) -> bool:
    """Whether ``ALTER TYPE`` can turn ``old`` into ``new``: the attributes both have keep
    their order, and new ones come after them (``ADD ATTRIBUTE`` appends)."""
    new_names = [a.name for a in new.attributes]
    old_names = {a.name for a in old.attributes}
    kept = [n for n in new_names if n in old_names]
    if kept != [a.name for a in old.attributes if a.name in set(new_names)]:
        return False
    return new_names[: len(kept)] == kept


def _attribute_operations(old: CompositeType, new: CompositeType) -> list[MigrationOperation]:
    live = {a.name: a for a in old.attributes}
    wanted = {a.name for a in new.attributes}
    operations: list[MigrationOperation] = [
        DropCompositeAttribute(new.name, new.schema, a.name, a)
        for a in old.attributes
        if a.name not in wanted
    ]
    for attribute in new.attributes:
        previous = live.get(attribute.name)
        if previous is None:
            operations.append(AddCompositeAttribute(new.name, new.schema, attribute))
        elif previous != attribute:
            operations.append(AlterCompositeAttribute(new.name, new.schema, previous, attribute))
    return operations


def diff_composite_types(current: Catalog, target: Catalog) -> list[MigrationOperation]:
    """Create, alter and drop composite types."""
    live = {t.qualified_name: t for t in current.composite_types}
    wanted = {t.qualified_name: t for t in target.composite_types}
    creations: dict[QualifiedName, MigrationOperation] = {}
    operations: list[MigrationOperation] = []
    for name, composite in wanted.items():
        old = live.get(name)
        if old is None:
            creations[name] = CreateCompositeType(composite.name, composite.schema, composite)
        elif old != composite:
            if _alterable(old, composite):
                operations.extend(_attribute_operations(old, composite))
            else:
                operations.append(DropCompositeType(old.name, old.schema, old, recreated=True))
                creations[name] = CreateCompositeType(composite.name, composite.schema, composite)
    operations.extend(creations.values())
    operations.extend(
        DropCompositeType(t.name, t.schema, t) for name, t in live.items() if name not in wanted
    )
    return operations


def diff_types(current: Catalog, target: Catalog) -> list[MigrationOperation]:
    """Extension, domain and composite-type operations, creations of types that use each
    other in order (a domain over a composite type, a composite with a domain attribute)."""
    operations = diff_extensions(current, target)
    domain_ops = diff_domains(current, target)
    composite_ops = diff_composite_types(current, target)
    creations: dict[QualifiedName, MigrationOperation] = {}
    uses: dict[QualifiedName, Sequence[str]] = {}
    rest: list[MigrationOperation] = []
    for op in [*domain_ops, *composite_ops]:
        if isinstance(op, CreateDomain):
            creations[op.domain.qualified_name] = op
            uses[op.domain.qualified_name] = [op.domain.data_type]
        elif isinstance(op, CreateCompositeType):
            creations[op.composite.qualified_name] = op
            uses[op.composite.qualified_name] = [a.data_type for a in op.composite.attributes]
        else:
            rest.append(op)
    operations.extend(_creation_order(creations, uses))
    operations.extend(rest)
    return operations
