"""The entity builder: one entity class's table, properties and relationships, with its
table options (:mod:`.entity_table`), keys and indexes (:mod:`.entity_keys`), and triggers
and policies (:mod:`.entity_security`) from one module per concern."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Generic, Literal

from linkgress_async.errors import ModelError
from linkgress_async.model._args import (
    attribute_names,
    check_identifier,
    declared_attributes,
    has_attribute,
    selected_name,
)
from linkgress_async.model._entity_parts import T
from linkgress_async.model.entity_keys import KeysAndIndexes
from linkgress_async.model.entity_security import TriggersAndPolicies
from linkgress_async.model.entity_table import TableOptions
from linkgress_async.model.links import RelationshipBuilder
from linkgress_async.model.properties import PropertyBuilder
from linkgress_async.model.specs import (
    PropertySpec,
    RelationshipSpec,
    entity_name,
)
from linkgress_async.model.triggers import function_name

__all__ = ["EntityBuilder", "function_name"]


class EntityBuilder(TableOptions[T], KeysAndIndexes[T], TriggersAndPolicies[T], Generic[T]):
    """Configures one entity class; also a context manager (``with model.entity(User) as e``).

    Its declarations come by concern from :class:`TableOptions`, :class:`KeysAndIndexes` and
    :class:`TriggersAndPolicies`; the table's name, its properties and relationships are here.
    """

    def __enter__(self) -> EntityBuilder[T]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None

    # --- the table ---------------------------------------------------------------------

    def to_table(
        self, name: str, schema: str | None = None, renamed_from: str | None = None
    ) -> EntityBuilder[T]:
        """Map the entity to table ``name`` in ``schema`` (default ``public``).

        ``renamed_from`` is the table's previous name in the same schema: migrations rename
        the table, keeping its rows, instead of dropping it and creating a new one.
        """
        if renamed_from is not None:
            check_identifier(renamed_from, f"{self._label}: renamed_from")
        self._spec.table = name
        self._spec.schema = schema
        self._spec.renamed_from = renamed_from
        return self

    # --- columns -----------------------------------------------------------------------

    def property(self, name_or_selector: str | Callable[[T], object]) -> PropertyBuilder:
        """Configure the property named ``name`` (or picked by ``lambda u: u.name``)."""
        entity = self._spec
        cls = entity.cls
        if isinstance(name_or_selector, str):
            name = name_or_selector
        elif callable(name_or_selector):
            name = selected_name(entity.label, name_or_selector)
        else:
            raise ModelError(f"{entity.label}: property() takes a name or a selector, not a number")
        # What the class declares is looked up once per builder, not once per property.
        declared = self._declared
        if declared is None:
            declared = self._declared = declared_attributes(cls)
        if not has_attribute(cls, name, declared):
            known = attribute_names(cls)
            hint = f" (its attributes: {', '.join(known)})" if known else ""
            raise ModelError(
                f"{entity.label}, property {name!r}: {entity_name(cls)} has no attribute "
                f"{name!r}{hint}; name an attribute of the class"
            )
        spec = entity.properties.get(name)
        if spec is None:
            spec = entity.properties[name] = PropertySpec(name)
        return PropertyBuilder(entity, spec)

    # --- relationships -----------------------------------------------------------------

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
            raise ModelError(f"{self._label}: {call} needs a navigation name")
        if not isinstance(target, type):
            raise ModelError(
                f"{self._label}, {call}({navigation!r}): the target must be an entity "
                f"class, not {target!r}"
            )
        spec = RelationshipSpec(self._spec.cls, kind, navigation, target)
        self._spec.relationships += (spec,)
        return RelationshipBuilder(spec)
