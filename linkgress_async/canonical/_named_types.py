"""The model's extensions, domains and composite types in the scratch transaction.

Two jobs, both inside the scratch transaction of :mod:`._scratch` (rolled back at the end):

* :func:`create_named_types` (the second step of :func:`prepare_named_objects`) makes the
  model's extensions, domains and composite types that the database lacks exist under their
  real names, before any scratch table is built: a column's type, a default or an
  expression may name them (``public.year``, ``public.vector(384)``). The model's functions
  are created under their real names too when an aggregate's state function or a type's
  check may need them.
* :class:`TypeProbes` spells the model's domains and composite types: each is built again as
  a temporary copy under a scratch name (``pg_temp.__linkgress_domain_0``), read back by the
  introspection queries with the rest of the temporary schema, and mapped onto the model's,
  so a declared domain and the live one are read by the very same code.
"""

from __future__ import annotations

import graphlib
from collections.abc import Iterable, Sequence

import asyncpg
import attrs

from linkgress_async.canonical._routines import probe_number
from linkgress_async.canonical._scratch import (
    ENVIRONMENT_ERRORS,
    prepare_schemas_enums_sequences,
    scratch_unavailable,
)
from linkgress_async.catalog import Catalog, CompositeType, Domain, Function, QualifiedName
from linkgress_async.client import AnyConnection
from linkgress_async.errors import ModelError, one_line
from linkgress_async.render.quote import qualified, quote_ident, render_literal
from linkgress_async.render.types_sql import composite_definition, domain_definition

__all__ = ["TypeProbes", "create_named_types", "prepare_named_objects"]

DOMAIN_PREFIX = "__linkgress_domain_"
COMPOSITE_PREFIX = "__linkgress_type_"
_TEMP = "pg_temp"

# Errors that no later plan can cure: the declaration itself is wrong.
_DECLARATION_ERRORS: tuple[type[asyncpg.PostgresError], ...] = (
    asyncpg.PostgresSyntaxError,
    asyncpg.InvalidTextRepresentationError,
    asyncpg.DatatypeMismatchError,
)

_TypeDeclaration = Domain | CompositeType


def _names_used(declaration: _TypeDeclaration) -> list[str]:
    if isinstance(declaration, Domain):
        return [declaration.data_type]
    return [attribute.data_type for attribute in declaration.attributes]


def _spellings(name: QualifiedName) -> set[str]:
    schema, bare = name.schema, name.name
    return {f"{s}.{n}" for s in (schema, quote_ident(schema)) for n in (bare, quote_ident(bare))}


def in_creation_order(declarations: Sequence[_TypeDeclaration]) -> list[_TypeDeclaration]:
    """Domains and composite types, each after those its type or attributes name (a domain
    over a composite, a composite with a domain attribute); in declaration order otherwise."""
    spelled = [_spellings(d.qualified_name) for d in declarations]
    sorter: graphlib.TopologicalSorter[int] = graphlib.TopologicalSorter()
    for number, declaration in enumerate(declarations):
        types = [t.removesuffix("[]").split("(")[0] for t in _names_used(declaration)]
        used = [
            other
            for other, names in enumerate(spelled)
            if other != number and any(t in names for t in types)
        ]
        sorter.add(number, *used)
    try:
        order = list(sorter.static_order())
    except graphlib.CycleError:
        order = list(range(len(declarations)))
    return [declarations[number] for number in order]


def _definition(declaration: _TypeDeclaration) -> list[str]:
    if isinstance(declaration, Domain):
        return domain_definition(declaration)
    return [composite_definition(declaration)]


def _function_sql(function: Function) -> str:
    definition = function.definition
    gap = "" if definition.startswith("(") else " "
    verb = "PROCEDURE" if function.kind == "procedure" else "FUNCTION"
    return f"CREATE {verb} {qualified(function.schema, function.name)}{gap}{definition}"


async def _attempt(conn: AnyConnection, statements: Sequence[str]) -> bool:
    """Run ``statements`` in a savepoint; whether the server took them (rolled back if not)."""
    try:
        async with conn.transaction():
            await conn.execute(";\n".join(statements))
    except ENVIRONMENT_ERRORS as error:
        raise scratch_unavailable(error) from error
    except asyncpg.PostgresError:
        return False
    return True


async def _create_all_or_each(conn: AnyConnection, batches: Sequence[Sequence[str]]) -> list[int]:
    """Create ``batches`` (each one object's statements) at once, else one by one; return
    the numbers of those the server did not take."""
    if not batches or await _attempt(conn, [s for batch in batches for s in batch]):
        return []
    return [number for number, batch in enumerate(batches) if not await _attempt(conn, batch)]


async def _existing_types(
    conn: AnyConnection, names: Iterable[QualifiedName]
) -> set[QualifiedName]:
    wanted = list(names)
    if not wanted:
        return set()
    rows = await conn.fetch(
        "SELECT n.nspname::text AS schema, t.typname::text AS name"
        " FROM pg_catalog.pg_type AS t"
        " JOIN pg_catalog.pg_namespace AS n ON n.oid = t.typnamespace"
        " JOIN unnest($1::text[], $2::text[]) AS w(schema, name)"
        "   ON w.schema = n.nspname AND w.name = t.typname",
        [n.schema for n in wanted],
        [n.name for n in wanted],
    )
    return {QualifiedName(row["schema"], row["name"]) for row in rows}


async def _existing_functions(conn: AnyConnection, model: Catalog) -> set[QualifiedName]:
    rows = await conn.fetch(
        "SELECT DISTINCT n.nspname::text AS schema, p.proname::text AS name"
        " FROM pg_catalog.pg_proc AS p"
        " JOIN pg_catalog.pg_namespace AS n ON n.oid = p.pronamespace"
        " JOIN unnest($1::text[], $2::text[]) AS w(schema, name)"
        "   ON w.schema = n.nspname AND w.name = p.proname",
        [f.schema for f in model.functions],
        [f.name for f in model.functions],
    )
    return {QualifiedName(row["schema"], row["name"]) for row in rows}


async def _create_extensions(conn: AnyConnection, model: Catalog) -> None:
    rows = await conn.fetch(
        "SELECT extname::text AS name FROM pg_catalog.pg_extension WHERE extname = ANY($1)",
        [e.name for e in model.extensions],
    )
    installed = {row["name"] for row in rows}
    for extension in model.extensions:
        if extension.name in installed:
            continue
        statement = (
            f"CREATE EXTENSION IF NOT EXISTS {quote_ident(extension.name)}"
            f" WITH SCHEMA {quote_ident(extension.schema)}"
        )
        if extension.version is not None:
            statement += f" VERSION {render_literal(extension.version)}"
        try:
            async with conn.transaction():
                await conn.execute(statement)
        except ENVIRONMENT_ERRORS as error:
            raise scratch_unavailable(error) from error
        except asyncpg.PostgresError as error:
            raise ModelError(
                f"extension {extension.name!r}: the server cannot create it: {one_line(error)}; "
                "install it on the server or remove its declaration"
            ) from error


async def _create_functions(conn: AnyConnection, model: Catalog) -> None:
    """The model's functions the database has no function of that name for, under their
    real names (bodies unchecked); those the server refuses are left to the routines stage."""
    existing = await _existing_functions(conn, model)
    missing = [f for f in model.functions if f.qualified_name not in existing]
    await conn.execute("SET LOCAL check_function_bodies = off")
    await _create_all_or_each(conn, [[_function_sql(f)] for f in missing])


async def create_named_types(conn: AnyConnection, model: Catalog) -> None:
    """Inside a scratch transaction, after the model's schemas exist: create the model's
    extensions, domains and composite types the database lacks, under their real names (and
    its functions, when an aggregate or a type may call them). A type the server refuses is
    left out: the scratch table of a column that uses it says why."""
    if model.extensions:
        await _create_extensions(conn, model)
    declared: list[_TypeDeclaration] = [*model.domains, *model.composite_types]
    if not declared and not model.aggregates:
        return
    existing = await _existing_types(conn, (d.qualified_name for d in declared))
    missing = in_creation_order([d for d in declared if d.qualified_name not in existing])
    failed = await _create_all_or_each(conn, [_definition(d) for d in missing])
    if model.functions and (failed or model.aggregates):
        await _create_functions(conn, model)
        await _create_all_or_each(conn, [_definition(missing[number]) for number in failed])


async def prepare_named_objects(conn: AnyConnection, model: Catalog) -> None:
    """Inside a scratch transaction: make the model's schemas, enums, sequences, extensions,
    domains and composite types exist as declared, so that types and expressions naming
    them can be spelled."""
    await prepare_schemas_enums_sequences(conn, model)
    await create_named_types(conn, model)


def _scratch_name(prefix: str, number: int) -> str:
    return f"{prefix}{number}"


class TypeProbes:
    """The model's domains and composite types, spelled through temporary copies."""

    def __init__(self, model: Catalog) -> None:
        self.domains = list(model.domains)
        self.composites = list(model.composite_types)
        self.built_domains: set[int] = set()
        self.built_composites: set[int] = set()

    def __bool__(self) -> bool:
        return bool(self.domains or self.composites)

    async def create(self, conn: AnyConnection) -> None:
        """Build the temporary copies; a copy the server refuses for a reason no plan can
        cure is a :class:`ModelError` naming the declaration."""
        domains = [
            attrs.evolve(d, schema=_TEMP, name=_scratch_name(DOMAIN_PREFIX, n))
            for n, d in enumerate(self.domains)
        ]
        composites = [
            attrs.evolve(c, schema=_TEMP, name=_scratch_name(COMPOSITE_PREFIX, n))
            for n, c in enumerate(self.composites)
        ]
        copies: list[_TypeDeclaration] = [*domains, *composites]
        declarations: list[_TypeDeclaration] = [*self.domains, *self.composites]
        failed = set(await _create_all_or_each(conn, [_definition(c) for c in copies]))
        for number in sorted(failed):
            declared = declarations[number]
            error = await self._objection(conn, copies[number])
            if isinstance(error, _DECLARATION_ERRORS):
                kind = "domain" if isinstance(declared, Domain) else "composite type"
                raise ModelError(
                    f"{kind} {declared.schema}.{declared.name}: the server rejects it: "
                    f"{one_line(error)}"
                ) from error
        built = set(range(len(copies))) - failed
        self.built_domains = {n for n in built if n < len(domains)}
        self.built_composites = {n - len(domains) for n in built if n >= len(domains)}

    @staticmethod
    async def _objection(
        conn: AnyConnection, copy: _TypeDeclaration
    ) -> asyncpg.PostgresError | None:
        try:
            async with conn.transaction():
                await conn.execute(";\n".join(_definition(copy)))
        except asyncpg.PostgresError as error:
            return error
        return None  # pragma: no cover - it failed a moment ago

    def spelled(self, model: Catalog, temp_schema: str, scratch: Catalog) -> Catalog:
        """``model`` with its domains and composite types as the server read the copies."""
        if not self:
            return model
        domains = dict(enumerate(self.domains))
        for domain in scratch.domains:
            number = probe_number(domain.name, DOMAIN_PREFIX, self.built_domains)
            if domain.schema == temp_schema and number is not None:
                declared = self.domains[number]
                domains[number] = attrs.evolve(
                    domain,
                    schema=declared.schema,
                    name=declared.name,
                    not_null_name=declared.not_null_name,
                )
        composites = dict(enumerate(self.composites))
        for composite in scratch.composite_types:
            number = probe_number(composite.name, COMPOSITE_PREFIX, self.built_composites)
            if composite.schema == temp_schema and number is not None:
                declared_type = self.composites[number]
                composites[number] = attrs.evolve(
                    composite, schema=declared_type.schema, name=declared_type.name
                )
        return attrs.evolve(
            model,
            domains=list(domains.values()),
            composite_types=list(composites.values()),
        )
