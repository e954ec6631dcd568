"""The catalog families introspection reads, one ``.sql`` resource each.

The queries leave out what belongs to an extension (``pg_depend`` deptype ``e``). They find
those members by what they reference, the extension (``refclassid = pg_extension``), which
pg_depend's index on the referenced object answers with the members alone: selected by the
member's catalog instead, every query scanned the whole of pg_depend, which holds a row for
each default, index, constraint and sequence of every table, once per query that looked:
measured on the families concerned, ~130 -> ~113 ms of server time at 1,000 tables and
~1.32 -> ~0.96 s at 10,000.
"""

from __future__ import annotations

import enum
import functools
import re
from importlib import resources

__all__ = [
    "OWN_READ_SETUP",
    "OWN_READ_SETUP_VALUES",
    "SESSION_SETUP",
    "SESSION_SETUP_VALUES",
    "SPELLING",
    "SPLIT",
    "Family",
    "sql",
]


class Family(enum.StrEnum):
    """One catalog query; the value names its file in ``queries/``."""

    TABLES_COLUMNS = "tables_columns"
    SCHEMAS_ENUMS = "schemas_enums"
    SEQUENCES = "sequences"
    COLUMN_SEQUENCES = "column_sequences"
    CONSTRAINTS = "constraints"
    INDEXES = "indexes"
    VIEWS = "views"
    FUNCTIONS = "functions"
    TABLE_PROPERTIES = "table_properties"
    DEPENDENCIES = "dependencies"
    EXTENSIONS = "extensions"
    DOMAINS = "domains"
    COMPOSITE_TYPES = "composite_types"
    AGGREGATES = "aggregates"
    TRIGGERS = "triggers"
    ROW_SECURITY = "row_security"
    COMMENTS = "comments"
    PRIVILEGES = "privileges"
    DATABASE_SETTINGS = "database_settings"
    STATISTICS = "statistics"


# The families of the two connections a concurrent read uses, each sent as one statement.
# Two, because every further connection costs three round trips (begin with the snapshot
# import, its statement, commit), and because the catalog work of each half keeps one of
# the server's cores busy. Split so that both take about as long on the server (measured
# alone at 10,000 tables: ~780 and ~810 ms; at 1,000: ~80 and ~70); the exporting
# connection's half starts one round trip earlier and holds the largest query.
SPLIT: tuple[tuple[Family, ...], tuple[Family, ...]] = (
    (
        Family.TABLES_COLUMNS,
        Family.CONSTRAINTS,
        Family.SCHEMAS_ENUMS,
        Family.SEQUENCES,
        Family.VIEWS,
        Family.FUNCTIONS,
        Family.TABLE_PROPERTIES,
        Family.EXTENSIONS,
        Family.DOMAINS,
        Family.COMPOSITE_TYPES,
        Family.AGGREGATES,
        Family.COMMENTS,
        Family.DATABASE_SETTINGS,
        Family.STATISTICS,
        Family.PRIVILEGES,
    ),
    (
        Family.DEPENDENCIES,
        Family.INDEXES,
        Family.COLUMN_SEQUENCES,
        Family.TRIGGERS,
        Family.ROW_SECURITY,
    ),
)


# The families the canonical stage reads its scratch objects back with: what a model's
# types, defaults and expressions are spelled from (columns and their identity, constraints,
# indexes, partitioning, views, routines, named types, policies). Reading a temporary schema
# with the others as well (dependencies, privileges, comments, triggers, statistics,
# extensions, settings) spelled nothing and cost as much as the database's own read at every
# first analysis of a process: their queries scan whole catalogs before a schema narrows them.
SPELLING: tuple[Family, ...] = (
    Family.TABLES_COLUMNS,
    Family.SCHEMAS_ENUMS,
    Family.SEQUENCES,
    Family.COLUMN_SEQUENCES,
    Family.CONSTRAINTS,
    Family.INDEXES,
    Family.VIEWS,
    Family.FUNCTIONS,
    Family.TABLE_PROPERTIES,
    Family.DOMAINS,
    Family.COMPOSITE_TYPES,
    Family.AGGREGATES,
    Family.ROW_SECURITY,
)

# format_type, regclass output and pg_get_expr qualify every object that is not visible on
# the search path; with nothing but the system catalogs on it (pg_temp last, so a session's
# temporary objects cannot shadow catalog names), user objects always come out
# schema-qualified, whatever the caller's path. The serial check rebuilds pg_get_expr's
# literal quoting, which depends on standard_conforming_strings. Constants of date and time
# types (defaults, partition bounds) print in the session's time zone and date style, and
# floats with its extra_float_digits: pinned, so two sessions print one value alike. Sorting
# the column rows of thousands of tables outgrows the default 4 MB of work_mem and would
# spill to disk. Every setting is local to the transaction the queries run in. A SELECT (not
# SET LOCAL), so that the connection exporting the snapshot can add pg_export_snapshot() to
# the same round trip. The catalog statements are planned once per connection, with a plan
# for any schemas (their parameter): the server's default weighed a plan for the given
# schemas at every call, ~10 ms of each ~80 ms statement at 1,000 tables. Writing the schemas
# into the text instead would keep a plan per set of schemas, ~4 MB each in every server
# process that ran it, and a fleet of tenant schemas has thousands of sets. JIT is off: the
# statements' estimated cost passes jit_above_cost at a few hundred tables, and a server
# built with LLVM (Debian's and most distributions' packages) then compiles a thousand
# expressions at every call: measured on PostgreSQL 15, 0.6 s of a 0.8 s statement at 1,000
# tables and 15 s at 10,000, against rows a plain scan returns in milliseconds. And, as
# pg_dump does, no statement_timeout: a role's limit meant for the application's queries would
# cancel a read that only grows with the catalog (seconds at 10,000 tables); a server that
# stops answering is the watchdog's to notice.
SESSION_SETUP = (
    "SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true),"
    " pg_catalog.set_config('plan_cache_mode', 'force_generic_plan', true),"
    " pg_catalog.set_config('standard_conforming_strings', 'on', true),"
    " pg_catalog.set_config('work_mem', '64MB', true),"
    " pg_catalog.set_config('TimeZone', 'UTC', true),"
    " pg_catalog.set_config('DateStyle', 'ISO, MDY', true),"
    " pg_catalog.set_config('IntervalStyle', 'postgres', true),"
    " pg_catalog.set_config('extra_float_digits', '1', true),"
    " pg_catalog.set_config('jit', 'off', true),"
    " pg_catalog.set_config('statement_timeout', '0', true)"
)
SESSION_SETUP_VALUES = SESSION_SETUP.removeprefix("SELECT ")
"""The setup's values alone, to select beside a value read in the same round trip."""

# A read in a transaction of its own also waits for locks as pg_dump does (printing a view's
# definition locks its tables, so a read waits while one is altered): a role's lock_timeout
# would end it with an error instead. Inside a migration's transaction the read keeps that
# transaction's lock_timeout, the library's bound on every lock wait while it holds the
# migration lock (docs/automatic-migrations.md).
OWN_READ_SETUP = (
    SESSION_SETUP + ", pg_catalog.set_config('lock_timeout', '0', true),"
    # transaction_timeout (PostgreSQL 17+) would end the session, not only the statement.
    " CASE WHEN pg_catalog.current_setting('transaction_timeout', true) IS NOT NULL"
    " THEN pg_catalog.set_config('transaction_timeout', '0', true) END"
)
OWN_READ_SETUP_VALUES = OWN_READ_SETUP.removeprefix("SELECT ")
"""The setup of a read in a transaction of its own, values alone."""


# A catalog column that only newer servers have is written in a query as
# ``<value on older servers> /* since <major>: <expression> */``: the text for an older server
# keeps the value, so no query names a column the server lacks.
_SINCE = re.compile(r"(\S+) /\* since (\d+): (.+?) \*/")


@functools.cache
def _text(family: Family) -> str:
    path = resources.files(__name__.rpartition(".")[0]).joinpath("queries", f"{family.value}.sql")
    return path.read_text(encoding="utf-8")


@functools.cache
def sql(family: Family, server_major: int = 0) -> str:
    """The text of ``family``'s query for a server of major version ``server_major``.

    Read from the package once; each server version's text is made once. Without a version
    the text runs on every supported server but reads none of the newer servers' columns.
    """

    def choose(match: re.Match[str]) -> str:
        return match[3] if server_major >= int(match[2]) else match[1]

    return _SINCE.sub(choose, _text(family))
