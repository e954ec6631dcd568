"""The fluent model builder users configure in ``DbContext.setup_model``.

The builders only record declarations (in :mod:`~linkgress_async.model.specs`) and check what
can be checked locally; :meth:`DbModelConfig.build` checks the model as a whole and produces
the frozen :class:`~linkgress_async.catalog.Catalog`.
"""

from __future__ import annotations

import dataclasses
import enum as _enum
import inspect
import re
from collections.abc import Callable, Iterable, Mapping
from collections.abc import Sequence as SequenceOf
from types import TracebackType
from typing import Any, Generic, Literal, TypeVar

import attrs

from linkgress_async.catalog import (
    FK_ACTIONS,
    Catalog,
    ForeignKeyAction,
    Function,
    Sequence,
    View,
)
from linkgress_async.errors import ModelError
from linkgress_async.model.build import BuiltModel, EntityMapping, build_catalog
from linkgress_async.model.sequences import SEQUENCE_TYPE_ALIASES, complete_sequence_options
from linkgress_async.model.specs import (
    CheckSpec,
    DefaultSpec,
    EntitySpec,
    IndexSpec,
    ModelSpec,
    PropertySpec,
    RelationshipSpec,
    UniqueSpec,
    entity_name,
)
from linkgress_async.model.tables import check_identifier
from linkgress_async.model.types import ColumnType, enum_labels, pg_enum
from linkgress_async.render.quote import RawSql

__all__ = [
    "DbModelConfig",
    "EntityBuilder",
    "PropertyBuilder",
    "RelationshipBuilder",
    "build_model",
]

T = TypeVar("T")

_METHOD = re.compile(r"[a-z_][a-z0-9_]*")


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


def _selected_name(entity: str, selector: Callable[[Any], object]) -> str:
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


def _attribute_names(cls: type) -> list[str] | None:
    """The attributes an entity declares, or ``None`` for a plain class (checked lazily)."""
    if attrs.has(cls):
        return [a.name for a in attrs.fields(cls)]
    if dataclasses.is_dataclass(cls):
        return [f.name for f in dataclasses.fields(cls)]
    return None


def _has_attribute(cls: type, name: str) -> bool:
    if name.startswith("__") and name.endswith("__"):
        # Every class has __init__, __doc__ and friends; none of them is a property.
        return False
    names = _attribute_names(cls)
    if names is not None:
        return name in names
    if any(name in inspect.get_annotations(klass) for klass in cls.__mro__):
        return True
    return hasattr(cls, name)


def _names(value: str | SequenceOf[str], where: str) -> tuple[str, ...]:
    names = (value,) if isinstance(value, str) else tuple(value)
    if not names or not all(isinstance(name, str) for name in names):
        raise ModelError(f"{where}: expected a property name or a list of them, not {value!r}")
    return names


def _expression(value: str | RawSql, where: str) -> str:
    text = value.text if isinstance(value, RawSql) else value
    if not isinstance(text, str) or not text.strip():
        raise ModelError(f"{where}: expected an SQL expression, not {value!r}")
    return text


def _action(value: str, where: str) -> ForeignKeyAction:
    normal = " ".join(value.split()).lower() if isinstance(value, str) else ""
    for action in FK_ACTIONS:
        if action == normal:
            return action
    raise ModelError(f"{where}: {value!r} is not one of {', '.join(FK_ACTIONS)}")


class PropertyBuilder:
    """Configures one property's column: ``e.property("email").has_type(text("email"))``."""

    def __init__(self, entity: EntitySpec, spec: PropertySpec) -> None:
        self._entity = entity
        self._spec = spec

    @property
    def _where(self) -> str:
        return f"{self._entity.label}, property {self._spec.name!r}"

    def has_type(self, column_type: ColumnType) -> PropertyBuilder:
        """Set the column's name and type from a type builder such as ``integer("id")``."""
        if not isinstance(column_type, ColumnType):
            raise ModelError(
                f"{self._where}: has_type takes a type builder such as "
                f"text({self._spec.name!r}), not {column_type!r}"
            )
        self._spec.column_type = column_type
        return self

    def is_required(self, required: bool = True) -> PropertyBuilder:
        """Make the column NOT NULL."""
        self._spec.required = required
        return self

    def is_unique(self, name: str | None = None) -> PropertyBuilder:
        """Add a unique constraint on this column (default name ``{table}_{column}_key``)."""
        self._spec.unique = True
        self._spec.unique_name = name
        return self

    def has_default_value(self, value: object) -> PropertyBuilder:
        """Default to a Python value, written as a safe literal (``sql(...)`` is verbatim)."""
        self._spec.default = DefaultSpec(value)
        return self

    def has_default_sql(self, expression: str | RawSql) -> PropertyBuilder:
        """Default to an SQL expression such as ``now()``."""
        self._spec.default = DefaultSpec(_expression(expression, self._where), is_sql=True)
        return self

    def renamed_from(self, old_column: str) -> PropertyBuilder:
        """The column's previous name: migrations rename it (keeping its values), not drop it."""
        check_identifier(old_column, f"{self._where}: renamed_from")
        self._spec.renamed_from = old_column
        return self


class RelationshipBuilder:
    """Configures a foreign key declared by ``has_one`` or ``has_many``."""

    def __init__(self, spec: RelationshipSpec) -> None:
        self._spec = spec

    def with_foreign_key(self, columns: str | SequenceOf[str]) -> RelationshipBuilder:
        """The dependent entity's properties that hold the key (a list for composite keys)."""
        self._spec.foreign_key = _names(columns, self._spec.describe())
        return self

    def with_principal_key(self, columns: str | SequenceOf[str]) -> RelationshipBuilder:
        """The referenced properties (default: the principal's primary key)."""
        self._spec.principal_key = _names(columns, self._spec.describe())
        return self

    def on_delete(self, action: str) -> RelationshipBuilder:
        """``cascade``, ``restrict``, ``set null``, ``set default`` or ``no action``."""
        self._spec.on_delete = _action(action, self._spec.describe() + ", on_delete")
        return self

    def on_update(self, action: str) -> RelationshipBuilder:
        """``cascade``, ``restrict``, ``set null``, ``set default`` or ``no action``."""
        self._spec.on_update = _action(action, self._spec.describe() + ", on_update")
        return self

    def has_db_name(self, name: str) -> RelationshipBuilder:
        """Name the foreign key constraint (default ``FK_{table}_{target_table}``)."""
        check_identifier(name, self._spec.describe() + ", has_db_name")
        self._spec.name = name
        return self

    def is_required(self, required: bool = True) -> RelationshipBuilder:
        """Make the foreign key columns NOT NULL."""
        self._spec.required = required
        return self

    def allow_type_mismatch(self) -> RelationshipBuilder:
        """Let the key columns' types differ from the referenced columns' types.

        By default they must match (a length may differ), which catches mistakes; PostgreSQL
        itself accepts any pair it can compare, such as ``integer`` referencing ``bigint``
        or ``varchar`` referencing ``text``, and checks that when it creates the key.
        """
        self._spec.any_key_types = True
        return self

    def renamed_from(self, old_name: str) -> RelationshipBuilder:
        """The foreign key constraint's previous name: migrations rename it."""
        check_identifier(old_name, self._spec.describe() + ", renamed_from")
        self._spec.renamed_from = old_name
        return self


class EntityBuilder(Generic[T]):
    """Configures one entity class; also a context manager (``with model.entity(User) as e``)."""

    def __init__(self, spec: EntitySpec) -> None:
        self._spec = spec

    def __enter__(self) -> EntityBuilder[T]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None

    def to_table(
        self, name: str, schema: str | None = None, renamed_from: str | None = None
    ) -> EntityBuilder[T]:
        """Map the entity to table ``name`` in ``schema`` (default ``public``).

        ``renamed_from`` is the table's previous name in the same schema: migrations rename
        the table, keeping its rows, instead of dropping it and creating a new one.
        """
        if renamed_from is not None:
            check_identifier(renamed_from, f"{self._spec.label}: renamed_from")
        self._spec.table = name
        self._spec.schema = schema
        self._spec.renamed_from = renamed_from
        return self

    def property(self, name_or_selector: str | Callable[[T], object]) -> PropertyBuilder:
        """Configure the property named ``name`` (or picked by ``lambda u: u.name``)."""
        cls = self._spec.cls
        label = self._spec.label
        if isinstance(name_or_selector, str):
            name = name_or_selector
        elif callable(name_or_selector):
            name = _selected_name(label, name_or_selector)
        else:
            raise ModelError(f"{label}: property() takes a name or a selector, not a number")
        if not _has_attribute(cls, name):
            known = _attribute_names(cls)
            hint = f" (its attributes: {', '.join(known)})" if known else ""
            raise ModelError(
                f"{label}, property {name!r}: {entity_name(cls)} has no attribute {name!r}"
                f"{hint}; name an attribute of the class"
            )
        spec = self._spec.properties.get(name)
        if spec is None:
            spec = self._spec.properties[name] = PropertySpec(name)
        return PropertyBuilder(self._spec, spec)

    def has_index(
        self,
        name: str,
        columns: str | RawSql | SequenceOf[str | RawSql],
        unique: bool = False,
        method: str = "btree",
        where: str | RawSql | None = None,
        include: str | SequenceOf[str] | None = None,
        renamed_from: str | None = None,
    ) -> EntityBuilder[T]:
        """Add an index on properties and/or ``sql(...)`` expressions."""
        label = f"{self._spec.label}, index {name!r}"
        if renamed_from is not None:
            check_identifier(renamed_from, label + ", renamed_from")
        elements = (columns,) if isinstance(columns, str | RawSql) else tuple(columns)
        if not elements or not all(isinstance(e, str | RawSql) for e in elements):
            raise ModelError(
                f"{label}: columns must be property names or sql(...) expressions, not {columns!r}"
            )
        access_method = method.lower() if isinstance(method, str) else ""
        if not _METHOD.fullmatch(access_method):
            raise ModelError(f"{label}: {method!r} is not an index method such as btree or gin")
        if unique and access_method != "btree":
            raise ModelError(
                f"{label}: only btree indexes can be unique in PostgreSQL, not {access_method}"
            )
        self._spec.indexes.append(
            IndexSpec(
                name=name,
                elements=elements,
                unique=unique,
                method=access_method,
                where=None if where is None else _expression(where, label + ", where"),
                include=() if include is None else _names(include, label + ", include"),
                renamed_from=renamed_from,
            )
        )
        return self

    def has_unique(
        self,
        name: str | None,
        columns: str | SequenceOf[str],
        renamed_from: str | None = None,
    ) -> EntityBuilder[T]:
        """Add a unique constraint (``name=None`` gives ``{table}_{cols}_key``)."""
        where = f"{self._spec.label}, unique constraint {name!r}"
        if renamed_from is not None:
            check_identifier(renamed_from, where + ", renamed_from")
        self._spec.uniques.append(UniqueSpec(name, _names(columns, where), renamed_from))
        return self

    def has_check(
        self, name: str, expression: str | RawSql, renamed_from: str | None = None
    ) -> EntityBuilder[T]:
        """Add a ``CHECK`` constraint."""
        where = f"{self._spec.label}, check constraint {name!r}"
        if renamed_from is not None:
            check_identifier(renamed_from, where + ", renamed_from")
        self._spec.checks.append(CheckSpec(name, _expression(expression, where), renamed_from))
        return self

    def has_primary_key(
        self, columns: str | SequenceOf[str], name: str | None = None
    ) -> EntityBuilder[T]:
        """Set the primary key (instead of marking columns with ``.primary_key()``)."""
        self._spec.primary_key = _names(columns, f"{self._spec.label}, primary key")
        self._spec.primary_key_name = name
        return self

    def has_one(self, navigation: str, target: type) -> RelationshipBuilder:
        """A reference to one ``target``: the foreign key lives on this entity's table."""
        return self._relationship("one", navigation, target)

    def has_many(self, navigation: str, target: type) -> RelationshipBuilder:
        """A collection of ``target``: the foreign key lives on the target's table."""
        return self._relationship("many", navigation, target)

    def _relationship(
        self, kind: Literal["one", "many"], navigation: str, target: type
    ) -> RelationshipBuilder:
        call = "has_one" if kind == "one" else "has_many"
        if not isinstance(navigation, str) or not navigation:
            raise ModelError(f"{self._spec.label}: {call} needs a navigation name")
        if not isinstance(target, type):
            raise ModelError(
                f"{self._spec.label}, {call}({navigation!r}): the target must be an entity "
                f"class, not {target!r}"
            )
        spec = RelationshipSpec(self._spec.cls, kind, navigation, target)
        self._spec.relationships.append(spec)
        return RelationshipBuilder(spec)


class DbModelConfig:
    """The model being declared: entities, enums, sequences and schemas."""

    def __init__(self) -> None:
        self._spec = ModelSpec()
        self._builders: dict[type, EntityBuilder[Any]] = {}
        self._built: BuiltModel | None = None

    def entity(self, cls: type[T]) -> EntityBuilder[T]:
        """The builder of entity ``cls`` (the same one each time for the same class)."""
        if not isinstance(cls, type):
            raise ModelError(f"model.entity() takes an entity class, not {cls!r}")
        existing: EntityBuilder[T] | None = self._builders.get(cls)
        if existing is not None:
            return existing
        spec = self._spec.entities[cls] = EntitySpec(cls)
        builder: EntityBuilder[T] = EntityBuilder(spec)
        self._builders[cls] = builder
        return builder

    def enum(
        self,
        name: str,
        values: Iterable[str] | type[_enum.Enum],
        schema: str | None = None,
        renamed_from: str | None = None,
    ) -> pg_enum:
        """Declare an enum type; pass the returned handle to ``enum_column``.

        ``renamed_from`` is the type's previous name in the same schema: migrations rename
        the type instead of dropping it.
        """
        schema = "public" if schema is None else schema
        check_identifier(name, f"enum {name!r}: name")
        check_identifier(schema, f"enum {name!r}: schema name")
        if renamed_from is not None:
            check_identifier(renamed_from, f"enum {name!r}: renamed_from")
        handle = pg_enum(schema, name, enum_labels(name, values))
        for other in self._spec.enums:
            if other.qualified_name == handle.qualified_name:
                raise ModelError(
                    f"enum {schema}.{name} is declared twice; declare it once and reuse the handle"
                )
        self._spec.enums.append(handle)
        if renamed_from is not None:
            self._spec.enum_renames[handle.qualified_name] = renamed_from
        return handle

    def sequence(
        self,
        name: str,
        schema: str | None = None,
        *,
        start_with: int | None = None,
        increment_by: int | None = None,
        min_value: int | None = None,
        max_value: int | None = None,
        cache: int | None = None,
        cycle: bool | None = None,
        data_type: str = "bigint",
    ) -> Sequence:
        """Declare a standalone sequence, with PostgreSQL's defaults for unset options."""
        schema = "public" if schema is None else schema
        check_identifier(name, f"sequence {name!r}: name")
        check_identifier(schema, f"sequence {name!r}: schema name")
        try:
            options = complete_sequence_options(
                data_type,
                start_with=start_with,
                increment_by=increment_by,
                min_value=min_value,
                max_value=max_value,
                cache=cache,
                cycle=cycle,
            )
        except ModelError as error:
            raise ModelError(f"sequence {schema}.{name}: {error}") from None
        kind = SEQUENCE_TYPE_ALIASES[data_type.strip().lower()]
        sequence = Sequence(schema, name, options, kind)
        for other in self._spec.sequences:
            if other.qualified_name == sequence.qualified_name:
                raise ModelError(f"sequence {schema}.{name} is declared twice; declare it once")
        self._spec.sequences.append(sequence)
        return sequence

    def view(self, name: str, sql: str | RawSql, schema: str | None = None) -> View:
        """Declare a view whose query is ``sql`` (``SELECT ...``), created after the tables.

        The query is raw SQL, compared with the live view in the server's spelling: a change
        drops and creates the view again (with the views that use it).
        """
        schema = "public" if schema is None else schema
        check_identifier(name, f"view {name!r}: name")
        check_identifier(schema, f"view {name!r}: schema name")
        query = _expression(sql, f"view {schema}.{name}").strip().removesuffix(";").rstrip()
        for other in self._spec.views:
            if other.schema == schema and other.name == name:
                raise ModelError(f"view {schema}.{name} is declared twice; declare it once")
        view = View(schema, name, query, resolved=False, position=len(self._spec.views))
        self._spec.views.append(view)
        return view

    def function(self, name: str, definition: str | RawSql, schema: str | None = None) -> Function:
        """Declare a function; ``definition`` is what follows its name in CREATE FUNCTION.

        For example ``"(a integer) RETURNS integer LANGUAGE sql AS $$ SELECT a + 1 $$"``.
        Functions are identified by schema, name and argument types, so overloads are
        separate declarations; the diff compares what the server stores, not the text.
        """
        schema = "public" if schema is None else schema
        check_identifier(name, f"function {name!r}: name")
        check_identifier(schema, f"function {name!r}: schema name")
        text = _expression(definition, f"function {schema}.{name}").strip().removesuffix(";")
        position = len(self._spec.functions)
        function = Function(schema, name, definition=text.rstrip(), position=position)
        self._spec.functions.append(function)
        return function

    def schema(self, name: str) -> str:
        """Declare a schema (schemas that tables, enums and sequences use are implied)."""
        check_identifier(name, f"schema {name!r}")
        if name not in self._spec.schemas:
            self._spec.schemas.append(name)
        return name

    def build(self) -> Catalog:
        """Check the whole model and return it as a frozen catalog."""
        self._built = build_catalog(self._spec)
        return self._built.catalog

    @property
    def entities(self) -> Mapping[type, EntityMapping]:
        """Entity class → its table and property columns (builds the model if needed)."""
        if self._built is None:
            self.build()
        assert self._built is not None
        return self._built.entities


def build_model(setup: Callable[[DbModelConfig], object]) -> Catalog:
    """Run ``setup`` (e.g. a context's ``setup_model``) on a fresh config and build it."""
    config = DbModelConfig()
    setup(config)
    return config.build()
