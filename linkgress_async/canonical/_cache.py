"""The model's server spelling, kept per process while the server and the model are unchanged.

Spelling the model (:func:`~linkgress_async.canonical.canonicalize`) costs a scratch
transaction of a dozen round trips; its answer depends only on the model, the server and
what the spelling can see of it: its version, the session settings that parse and resolve
literals and names, the role, and the catalog objects an expression or a type can name
(types, functions, operators, casts, collations, schemas, extensions, enums, relations, ...).
:func:`state_expression` is one SQL expression that sums all of that up as a text **state
token**; it rides along with a query that runs anyway (the scratch transaction's lock, the
introspection's snapshot export), so checking it costs no round trip.

Each catalog is summed up by its row count, its largest oid and the sum of its rows' ``xmin``:
creating, altering or dropping any object writes a new row version (a new ``xmin``) or
removes one, so any DDL since the spelling changes the token and the model is spelled again.
The check is deliberately coarse: a change that cannot affect the spelling (a new table)
invalidates too, which costs one spelling, never a wrong answer. ``pg_class`` alone is summed
up by what an expression can name of a relation (its oid, name, schema and kind) rather than
by ``xmin``: adding a column or an index rewrites the table's row (its column count, its
"has indexes" flag) without changing anything a spelling reads, and that is what most
migrations do; indexes and TOAST tables, which no expression names, are left out. Columns
count where the model spells something that reads them (``columns``: ``pg_attribute``).
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from typing import Final

from linkgress_async.catalog import Catalog

__all__ = ["SpellingCache", "spelling_cache", "state_expression"]

# Settings a scratch statement parses or resolves with (literals, names, dates, text search).
_SETTINGS: Final = (
    "server_version_num",
    "search_path",
    "standard_conforming_strings",
    "DateStyle",
    "IntervalStyle",
    "TimeZone",
    "default_text_search_config",
    "lc_monetary",
    "lc_numeric",
    "lc_time",
)
# Catalogs whose objects a type, default or expression of the model can name (and pg_class,
# summed up apart: _RELATIONS).
_CATALOGS: Final = (
    "pg_namespace",
    "pg_type",
    "pg_proc",
    "pg_operator",
    "pg_cast",
    "pg_collation",
    "pg_extension",
    "pg_enum",
    "pg_opclass",
    "pg_ts_config",
)
# The same, for catalogs without an oid column.
_CATALOGS_WITHOUT_OID: Final = ("pg_range", "pg_aggregate")


def _summary(
    table: str, with_oid: bool = True, summed: str = "xmin::text::bigint", where: str = ""
) -> str:
    highest = "pg_catalog.max(oid)::text" if with_oid else "''"
    return (
        f"(SELECT pg_catalog.count(*)::text || '/' || coalesce({highest}, '') || '/' || "
        f"coalesce(pg_catalog.sum({summed})::text, '') FROM pg_catalog.{table}{where})"
    )


# The relations an expression can name (not indexes or TOAST tables), by what it can name of
# them: their identity, not the row's version (see the module's docstring).
_RELATIONS: Final = _summary(
    "pg_class",
    summed="pg_catalog.hashtext(oid::text || ' ' || relnamespace::text || ' ' || relkind::text"
    " || ' ' || relname::text)",
    where=" WHERE relkind NOT IN ('i', 'I', 't')",
)


# What a database fixes at its creation that a spelling can depend on (its encoding and
# locale), not its name: two databases whose catalogs and settings are the same spell a model
# the same way (a test suite's fresh databases, each created from the same template).
_DATABASE_LOCALE: Final = (
    "(SELECT pg_catalog.concat_ws('/', d.encoding, d.datcollate, d.datctype,"
    " l ->> 'datlocprovider', l ->> 'daticulocale', l ->> 'datlocale', l ->> 'daticurules')"
    " FROM pg_catalog.pg_database AS d, pg_catalog.to_jsonb(d) AS l"
    " WHERE d.datname = pg_catalog.current_database())"
)


def state_expression(*, columns: bool) -> str:
    """One SQL expression (text) that changes whenever the spelling of a model could.

    ``columns``: the model spells views, functions or composite types, whose spelling also
    depends on the live tables' columns (``pg_attribute``, large: only then).
    """
    parts = [f"pg_catalog.current_setting('{name}')" for name in _SETTINGS]
    parts += [
        "current_user::text",
        _DATABASE_LOCALE,
        "pg_catalog.pg_postmaster_start_time()::text",
    ]
    parts += [_summary(table) for table in _CATALOGS]
    parts.append(_RELATIONS)
    parts += [_summary(table, with_oid=False) for table in _CATALOGS_WITHOUT_OID]
    parts.append(_summary("pg_constraint WHERE contypid <> 0", with_oid=True))
    if columns:
        parts.append(_summary("pg_attribute", with_oid=False))
    return "pg_catalog.concat_ws(';', " + ", ".join(parts) + ")"


class SpellingCache:
    """The last few spellings of each model object, by state token.

    Keyed by the model object itself (a context builds its model once), never by value alone:
    catalog equality leaves out what the diff compares apart (a function's definition text,
    say), which the spelling does depend on. A model object new to the cache that has the
    very value of a model spelled last (equal, and equal in every field: its ``repr``) shares
    that model's spellings: a test suite builds a context, so a model, per test, each on a
    new database made from the same template, which spells the model the same way (the state
    token says so). The last few models spelled are kept alive for that.
    """

    _PER_MODEL: Final = 4
    _RECENT: Final = 2

    def __init__(self) -> None:
        self._by_id: dict[int, tuple[weakref.ref[Catalog], OrderedDict[str, object]]] = {}
        # The models spelled last (strong references: their contexts may be gone), with
        # their repr once a new model was compared with them.
        self._recent: OrderedDict[int, tuple[Catalog, list[str]]] = OrderedDict()

    def _entries(self, model: Catalog, create: bool) -> OrderedDict[str, object] | None:
        entry = self._by_id.get(id(model))
        if entry is not None and entry[0]() is model:
            return entry[1]
        entries = self._twins_entries(model)
        if entries is None:
            if not create:
                return None
            entries = OrderedDict()
        key = id(model)
        self._by_id[key] = (weakref.ref(model, lambda _ref: self._by_id.pop(key, None)), entries)
        return entries

    def _twins_entries(self, model: Catalog) -> OrderedDict[str, object] | None:
        """The spellings of a recent model with ``model``'s very value, if any."""
        # Nothing is iterated after the move below: the loop returns at once.
        for twin, written in self._recent.values():
            if twin is model or twin != model:
                continue
            if not written:
                written.append(repr(twin))
            if written[0] == repr(model):
                # Used again: the last to be let go.
                self._recent.move_to_end(id(twin))
                return self._by_id[id(twin)][1]
        return None

    def knows(self, model: Catalog) -> bool:
        """Whether this model was spelled before in this process (under any state)."""
        entries = self._entries(model, create=False)
        return bool(entries)

    def get(self, model: Catalog, state: str) -> object | None:
        """The spelling of ``model`` made at ``state``, if kept."""
        entries = self._entries(model, create=False)
        return None if entries is None else entries.get(state)

    def put(self, model: Catalog, state: str, spelling: object) -> None:
        """Keep ``spelling`` of ``model`` made at ``state``."""
        entries = self._entries(model, create=True)
        assert entries is not None
        entries[state] = spelling
        entries.move_to_end(state)
        while len(entries) > self._PER_MODEL:
            entries.popitem(last=False)
        if id(model) not in self._recent:
            self._recent[id(model)] = (model, [])
        self._recent.move_to_end(id(model))
        while len(self._recent) > self._RECENT:
            self._recent.popitem(last=False)

    def clear(self) -> None:
        """Forget every spelling (tests, or a caller that changed what the token cannot see)."""
        self._by_id.clear()
        self._recent.clear()


spelling_cache: Final = SpellingCache()
"""The process's spellings; :func:`~linkgress_async.canonical.canonicalize` fills it."""
