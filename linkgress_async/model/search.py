"""Normalised-search index keys: ``ix_lower``, ``ix_unaccent`` and ``ix_normalized``.

Linkgress' ``ixLower``/``ixUnaccent``/``ixNormalized``. ``ix_normalized`` indexes
``public.search_normalize(column)``, the function Linkgress creates (the same definition, so
a database Linkgress made compares equal); ``ix_unaccent`` indexes
``public.search_unaccent(column)``, because ``unaccent()`` itself is not immutable and
PostgreSQL refuses it in an index. A model with such keys gets the ``unaccent`` extension
and these functions declared (``pg_trgm`` too for a trigram index), unless it declares them
itself.
"""

from __future__ import annotations

from attrs import evolve, frozen

from linkgress_async.errors import ModelError

__all__ = [
    "SEARCH_NORMALIZE",
    "SEARCH_UNACCENT",
    "SearchKey",
    "ix_lower",
    "ix_normalized",
    "ix_unaccent",
    "search_support",
]

SEARCH_NORMALIZE = "search_normalize"
SEARCH_UNACCENT = "search_unaccent"

# The dictionary is schema-qualified because an index expression is evaluated with a
# restricted search_path; declared IMMUTABLE so that an index may use it.
_HEADER = (
    "(value text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURNS NULL ON NULL INPUT"
)
_DEFINITIONS = {
    SEARCH_NORMALIZE: _HEADER
    + " AS $$\n  SELECT lower(public.unaccent('public.unaccent', value))\n$$",
    SEARCH_UNACCENT: _HEADER + " AS $$\n  SELECT public.unaccent('public.unaccent', value)\n$$",
}


@frozen
class SearchKey:
    """A property wrapped in search functions, innermost first; a key of ``has_index``."""

    key: str
    """The property (its column is resolved when the model is built)."""
    functions: tuple[str, ...] = ()
    gin: bool = False
    """``ix_normalized(..., gin=True)``: a trigram GIN key (``gin_trgm_ops``)."""

    @property
    def normalized(self) -> bool:
        """Whether the outermost function is ``search_normalize``."""
        return bool(self.functions) and self.functions[-1] == f"public.{SEARCH_NORMALIZE}"

    @property
    def opclass(self) -> str | None:
        """The operator class ``ix_normalized`` implies: trigram for GIN, else
        ``text_pattern_ops`` so that anchored ``LIKE 'prefix%'`` can use the index."""
        if self.gin:
            return "gin_trgm_ops"
        return "text_pattern_ops" if self.normalized else None

    def expression(self, column_sql: str) -> str:
        """The key's SQL around the quoted column."""
        text = column_sql
        for function in self.functions:
            text = f"{function}({text})"
        return text


def _wrap(key: str | SearchKey, function: str, helper: str) -> SearchKey:
    if isinstance(key, str):
        if not key:
            raise ModelError(f"{helper}: name a property")
        return SearchKey(key, (function,))
    if isinstance(key, SearchKey):
        if key.normalized:
            raise ModelError(
                f"{helper}: ix_normalized must be the outermost helper (it lowers and removes "
                "accents already); write ix_normalized(property)"
            )
        return evolve(key, functions=(*key.functions, function))
    raise ModelError(f"{helper}: takes a property name or another ix_ helper, not {key!r}")


def ix_lower(key: str | SearchKey) -> SearchKey:
    """``lower(column)`` as an index key: ``e.has_index("ix_users_email", [ix_lower("email")])``."""
    return _wrap(key, "lower", "ix_lower")


def ix_unaccent(key: str | SearchKey) -> SearchKey:
    """``public.search_unaccent(column)``: the column without accents, as an index key
    (composable: ``ix_lower(ix_unaccent("name"))``)."""
    return _wrap(key, f"public.{SEARCH_UNACCENT}", "ix_unaccent")


def ix_normalized(key: str | SearchKey, *, gin: bool = False) -> SearchKey:
    """``public.search_normalize(column)`` (lower case, no accents) as an index key: a btree
    key with ``text_pattern_ops`` (equality, unique, ``LIKE 'prefix%'``), or with
    ``gin=True`` a trigram GIN key (``LIKE '%part%'``), which makes the index ``USING gin``."""
    wrapped = _wrap(key, f"public.{SEARCH_NORMALIZE}", "ix_normalized")
    return evolve(wrapped, gin=bool(gin))


def search_support(keys: list[SearchKey]) -> tuple[list[str], list[tuple[str, str]]]:
    """The extensions and ``public`` functions (name, definition) ``keys`` need."""
    functions = [
        name
        for name in (SEARCH_NORMALIZE, SEARCH_UNACCENT)
        if any(f"public.{name}" in key.functions for key in keys)
    ]
    extensions = ["unaccent"] if functions else []
    if any(key.gin for key in keys):
        extensions.append("pg_trgm")
    return extensions, [(name, _DEFINITIONS[name]) for name in functions]
