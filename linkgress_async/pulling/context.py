"""What the emitters share while one module is written: the catalog, the names given so far,
the imports used, and what could not be declared."""

from __future__ import annotations

from collections.abc import Mapping

from attrs import frozen

from linkgress_async.catalog import Catalog, Comment, Grant, ObjectRef, Owner, QualifiedName
from linkgress_async.errors import PullError
from linkgress_async.pulling.names import MAX_NAME, MODULE_NAMES, Namespace
from linkgress_async.render.quote import quote_ident

__all__ = ["NOT_SUPPORTED", "PullContext", "Undeclared", "check_class_name", "sql_name"]

NOT_SUPPORTED = "not supported by the model builder yet"


def sql_name(schema: str | None, name: str) -> str:
    """``schema.name`` as a reader of the comments would type it, quoted only where needed."""

    def part(text: str) -> str:
        plain = text.isascii() and text.replace("_", "a").isalnum() and text == text.lower()
        return text if plain and not text[0].isdigit() else quote_ident(text)

    return part(name) if schema is None else f"{part(schema)}.{part(name)}"


def check_class_name(name: str) -> None:
    """Raise :class:`PullError` unless ``name`` can be the context class of a module."""
    usable = isinstance(name, str) and len(name) <= MAX_NAME
    if not usable or not Namespace(MODULE_NAMES, module_level=True).usable(name):
        raise PullError(
            f"class name {name!r} cannot name the pulled context class: it must be a Python "
            f"identifier of at most {MAX_NAME} characters that is not a keyword, a builtin or "
            "a name the module imports (such as text or DbContext); choose another"
        )


@frozen
class Undeclared:
    """An object (or a property of one) the pulled module does not declare, and why.

    ``kind`` groups them for counting (``trigger``, ``extension``, ``column collation``);
    ``description`` names the object (``trigger last_updated on public.actor``).
    """

    kind: str
    description: str
    reason: str = NOT_SUPPORTED

    @property
    def comment(self) -> str:
        """The text of the comment the module carries for it."""
        return f"not declared ({self.reason}): {self.description}"


class PullContext:
    """The state of one module being written.

    The emitters read the catalog from it, and record here the names they give, the entity
    classes they write and the objects they could not declare. (Imports are not recorded:
    the module imports the names its code uses, read back from the code's tokens.)
    """

    def __init__(
        self,
        catalog: Catalog,
        enum_spellings: Mapping[QualifiedName, str],
        context_class: str,
        current_user: str | None = None,
    ) -> None:
        self.catalog = catalog
        self.current_user = current_user
        """The role that pulled: objects it owns get no owner declaration (a model applied by
        the same role owns what it creates anyway)."""
        self.names = Namespace(MODULE_NAMES, module_level=True)
        check_class_name(context_class)
        self.context_class = self.names.claim(context_class)
        self.enum_handles: dict[str, str] = {}
        """An enum's column-type spelling (``public.mood``) -> its handle's variable."""
        self.enum_names: dict[QualifiedName, str] = dict(enum_spellings)
        self.classes: dict[QualifiedName, str] = {}
        """Declared table -> its entity class."""
        self.attributes: dict[QualifiedName, dict[str, str]] = {}
        """Declared table -> column -> the attribute that holds it."""
        self.class_sources: list[list[str]] = []
        """The entity classes' source lines, one list per class."""
        self.undeclared: list[Undeclared] = []
        self.handles: dict[ObjectRef, str] = {}
        """Declared object -> the variable its declaration's handle is to be kept in (for the
        grants, owners and comments declared on it later)."""
        self.bound: dict[ObjectRef, str] = {}
        """Declared object -> the variable that holds its handle, once written."""
        self.annotations: list[Comment | Grant | Owner] | None = None
        """The catalog's comments, owners and grants the module declares (once computed)."""
        self.annotations_by_name: (
            dict[tuple[str | None, str], list[Comment | Grant | Owner]] | None
        ) = None
        """The same, by the schema and name of the object (or table) they are on."""
        self.attached: set[object] = set()
        """The catalog's comments, grants and owners already declared (by a table's block)."""

    def assignment(self, ref: ObjectRef) -> str:
        """The ``name = `` to put before the declaration of ``ref`` (empty when nothing refers
        to it); a declaring emitter passes it as the ``prefix`` of its statement."""
        name = self.handles.get(ref)
        if name is None:
            return ""
        self.bound[ref] = name
        return f"{name} = "

    def note(self, kind: str, description: str, reason: str = NOT_SUPPORTED) -> Undeclared:
        """Record something the module cannot declare."""
        item = Undeclared(kind, description, reason)
        self.undeclared.append(item)
        return item
