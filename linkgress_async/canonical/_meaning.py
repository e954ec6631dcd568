"""Compare what the server means, not one of its spellings.

PostgreSQL can spell one meaning two ways. A CHECK written ``status IN ('a', 'b')`` on a
``varchar`` column is stored as ``((status)::text = ANY ((ARRAY['a'::character varying,
...])::text[]))``; a ``pg_dump``/restore copy re-parses that text and stores
``= ANY (ARRAY[('a'::character varying)::text, ...])``. Both are the server's own spelling,
so comparing text says they differ, and the plan drops and re-adds the constraint forever.

:func:`reconcile` takes the expressions of ``target`` that differ in text from their
``current`` counterparts and has the server spell both again, in the context of the current
table, until the spellings stop changing (re-parsing the server's own text reaches a fixed
point within a round or two). Where both sides arrive at the same spelling they mean the
same, and the target takes the current text, so the diff sees no change. Nothing is asked of
the server when every text already matches.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

import asyncpg
import attrs
from attrs import frozen

from linkgress_async._gc import paused_gc
from linkgress_async.canonical._scratch import (
    ENVIRONMENT_ERRORS,
    read_scratch,
    scratch_transaction,
    scratch_unavailable,
)
from linkgress_async.catalog import (
    Catalog,
    CheckConstraint,
    Column,
    ExclusionConstraint,
    Generated,
    Index,
    QualifiedName,
    Table,
    storage_type,
)
from linkgress_async.catalog.comparisons import same_table
from linkgress_async.client import AnyConnection, using
from linkgress_async.render.quote import quote_ident
from linkgress_async.render.sql import index_definition, table_definition

__all__ = ["reconcile"]

_ROUNDS = 3
_PREFIX = "__linkgress_meaning_"

Kind = Literal[
    "default", "generated", "check", "exclusion", "index", "view", "policy_using", "policy_check"
]
_POLICY_ASPECTS: tuple[tuple[Kind, str], ...] = (
    ("policy_using", "using"),
    ("policy_check", "with_check"),
)
Payload = str | Generated | Index


@frozen
class _Question:
    """One spelling to ask for: ``payload`` of ``kind`` on ``table`` (a column's type for a
    default or generated expression)."""

    kind: Kind
    table: QualifiedName | None
    payload: Payload
    data_type: str = ""


@frozen
class _Pair:
    """A target item whose text differs from the current one.

    ``table`` is the target's table (or view) name, ``context`` the current one's, which the
    scratch copy is built from (they differ when the target renames the table)."""

    kind: Kind
    table: QualifiedName | None
    name: str
    current: Payload
    target: Payload
    data_type: str = ""
    context: QualifiedName | None = None


def _index_key(index: Index) -> Index:
    # The server's spelling is what compares (and what the meaning check re-parses), not
    # the model's own text of the predicate.
    return attrs.evolve(index, name="", renamed_from=None, written_where=None)


def _table_pairs(current: Table, target: Table) -> list[_Pair]:
    return [
        attrs.evolve(pair, table=target.qualified_name, context=current.qualified_name)
        for pair in _item_pairs(current, target)
    ]


def _item_pairs(current: Table, target: Table) -> list[_Pair]:
    name = current.qualified_name
    pairs: list[_Pair] = []
    for column in target.columns:
        live = current.column(column.renamed_from or column.name) or current.column(column.name)
        if live is None or storage_type(live.data_type) != storage_type(column.data_type):
            continue
        aspects: tuple[tuple[Kind, Payload | None, Payload | None], ...] = (
            ("default", column.default, live.default),
            ("generated", column.generated, live.generated),
        )
        for kind, wanted, found in aspects:
            if wanted is not None and found is not None and wanted != found:
                pairs.append(_Pair(kind, name, column.name, found, wanted, live.data_type))
    checks = {c.name: c for c in current.checks}
    for check in target.checks:
        live_check = checks.get(check.renamed_from or check.name) or checks.get(check.name)
        if live_check is not None and live_check.expression != check.expression:
            pairs.append(_Pair("check", name, check.name, live_check.expression, check.expression))
    exclusions = {x.name: x for x in current.exclusions}
    for exclusion in target.exclusions:
        live_x = exclusions.get(exclusion.name)
        if live_x is not None and live_x.definition != exclusion.definition:
            pairs.append(
                _Pair("exclusion", name, exclusion.name, live_x.definition, exclusion.definition)
            )
    indexes = {i.name: i for i in current.indexes}
    for index in target.indexes:
        live_index = indexes.get(index.renamed_from or index.name) or indexes.get(index.name)
        if live_index is None or _index_key(live_index) == _index_key(index):
            continue
        if not _has_expressions(index) and not _has_expressions(live_index):
            continue
        pairs.append(_Pair("index", name, index.name, _index_key(live_index), _index_key(index)))
    policies = {p.name: p for p in current.policies}
    for policy in target.policies:
        live_policy = policies.get(policy.renamed_from or policy.name) or policies.get(policy.name)
        if live_policy is None:
            continue
        for kind, field in _POLICY_ASPECTS:
            wanted, found = getattr(policy, field), getattr(live_policy, field)
            if wanted is not None and found is not None and wanted != found:
                pairs.append(_Pair(kind, name, policy.name, found, wanted))
    return pairs


def _has_expressions(index: Index) -> bool:
    return index.where is not None or any(e.expression is not None for e in index.elements)


def _pairs(current: Catalog, target: Catalog) -> list[_Pair]:
    pairs: list[_Pair] = []
    for table in target.tables:
        live = current.table(table.schema, table.renamed_from or table.name)
        if live is None:
            live = current.table(table.schema, table.name)
        if live is not None and not same_table(live, table):
            pairs.extend(_table_pairs(live, table))
    views = {v.qualified_name: v for v in current.views}
    for view in target.views:
        live_view = views.get(view.qualified_name)
        if view.resolved and live_view is not None and live_view.definition != view.definition:
            pairs.append(
                _Pair(
                    "view",
                    view.qualified_name,
                    "",
                    live_view.definition,
                    view.definition,
                    context=view.qualified_name,
                )
            )
    return pairs


class _Batch:
    """The scratch objects that spell a set of questions, and what each one is called."""

    def __init__(self, current: Catalog, questions: Iterable[_Question]) -> None:
        self.names: dict[_Question, str] = {}
        self.statements: list[list[str]] = []
        by_table: dict[QualifiedName | None, list[_Question]] = {}
        for question in questions:
            by_table.setdefault(question.table, []).append(question)
        for number, (table_name, asked) in enumerate(by_table.items()):
            views = [q for q in asked if q.kind == "view"]
            for index, question in enumerate(views):
                name = f"{_PREFIX}{number}_v{index}"
                self.names[question] = name
                self.statements.append(
                    [f"CREATE TEMPORARY VIEW {quote_ident(name)} AS {question.payload}"]
                )
            on_table = [q for q in asked if q.kind != "view"]
            if on_table and table_name is not None:
                table = current.table(table_name.schema, table_name.name)
                assert table is not None
                self.statements.append(self._shape(f"{_PREFIX}{number}", table, on_table))

    def _shape(self, name: str, table: Table, questions: list[_Question]) -> list[str]:
        columns = [
            Column(c.name, storage_type(c.data_type), collation=c.collation) for c in table.columns
        ]
        checks: list[CheckConstraint] = []
        exclusions: list[ExclusionConstraint] = []
        indexes: list[str] = []
        policies: list[str] = []
        for number, question in enumerate(questions):
            item = f"{name}_q{number}"
            self.names[question] = item
            payload = question.payload
            match question.kind:
                case "default":
                    assert isinstance(payload, str)
                    columns.append(Column(item, storage_type(question.data_type), default=payload))
                case "generated":
                    assert isinstance(payload, Generated)
                    columns.append(
                        Column(item, storage_type(question.data_type), generated=payload)
                    )
                case "check":
                    assert isinstance(payload, str)
                    checks.append(CheckConstraint(item, payload))
                case "exclusion":
                    assert isinstance(payload, str)
                    exclusions.append(ExclusionConstraint(item, payload))
                case "index":
                    assert isinstance(payload, Index)
                    index = attrs.evolve(payload, name=item)
                    indexes.append(index_definition("pg_temp", name, index))
                case "policy_using" | "policy_check":
                    # USING and WITH CHECK are read alike on the table: one probe for either.
                    assert isinstance(payload, str)
                    policies.append(
                        f"CREATE POLICY {quote_ident(item)} ON pg_temp.{quote_ident(name)}"
                        f" USING ({payload})"
                    )
                case "view":  # pragma: no cover - views are not built on a table shape
                    raise AssertionError(question)
        shape = Table("pg_temp", name, tuple(columns), checks=checks, exclusions=exclusions)
        return [table_definition(shape), *indexes, *policies]

    def answers(self, temp_schema: str, scratch: Catalog) -> dict[_Question, Payload]:
        """What the server made of each question it accepted."""
        tables = {t.name: t for t in scratch.tables if t.schema == temp_schema}
        views = {v.name: v for v in scratch.views if v.schema == temp_schema}
        read: dict[str, Payload] = {}
        for table in tables.values():
            for column in table.columns:
                if column.generated is not None:
                    read[column.name] = column.generated
                elif column.default is not None:
                    read[column.name] = column.default
            read.update((c.name, c.expression) for c in table.checks)
            read.update((x.name, x.definition) for x in table.exclusions)
            read.update((i.name, _index_key(i)) for i in table.indexes)
            read.update((p.name, p.using) for p in table.policies if p.using is not None)
        read.update((name, view.definition) for name, view in views.items())
        return {q: read[name] for q, name in self.names.items() if name in read}


async def _spell(
    conn: AnyConnection, current: Catalog, questions: set[_Question]
) -> Mapping[_Question, Payload]:
    """The server's spelling of each question (those it rejects are absent)."""
    batch = _Batch(current, questions)
    async with scratch_transaction(conn):
        for statements in batch.statements:
            # Each table's shape in its own savepoint: a target text the current table
            # cannot hold (it names a column the plan adds) only leaves its own shape out.
            try:
                async with conn.transaction():
                    await conn.execute(";\n".join(statements))
            except ENVIRONMENT_ERRORS as error:
                raise scratch_unavailable(error) from error
            except asyncpg.PostgresError:
                continue
        temp_schema, scratch = await read_scratch(conn)
    return batch.answers(temp_schema, scratch)


def _question(pair: _Pair, payload: Payload) -> _Question:
    return _Question(pair.kind, pair.context, payload, pair.data_type)


async def same_meaning(conn: AnyConnection, current: Catalog, pairs: list[_Pair]) -> set[_Pair]:
    """The pairs whose two texts the server spells alike once both reach a fixed point."""
    pending = {pair: (pair.current, pair.target) for pair in pairs}
    same: set[_Pair] = set()
    for _round in range(_ROUNDS):
        if not pending:
            break
        questions = {_question(pair, text) for pair, texts in pending.items() for text in texts}
        spelled = await _spell(conn, current, questions)
        still: dict[_Pair, tuple[Payload, Payload]] = {}
        for pair, (live, wanted) in pending.items():
            live_spelled = spelled.get(_question(pair, live))
            wanted_spelled = spelled.get(_question(pair, wanted))
            if live_spelled is None or wanted_spelled is None:
                continue  # the server rejects one of them here: they cannot be the same
            if live_spelled == wanted_spelled:
                same.add(pair)
            elif (live_spelled, wanted_spelled) != (live, wanted):
                still[pair] = (live_spelled, wanted_spelled)
        pending = still
    return same


def _adopt(target: Catalog, same: set[_Pair]) -> Catalog:
    """``target`` with the current text of every item that means the same."""
    by_table: dict[QualifiedName | None, dict[tuple[Kind, str], _Pair]] = {}
    for pair in same:
        by_table.setdefault(pair.table, {})[(pair.kind, pair.name)] = pair
    tables = []
    for table in target.tables:
        chosen = by_table.get(table.qualified_name)
        tables.append(table if not chosen else _adopt_table(table, chosen))
    views = [
        attrs.evolve(view, definition=chosen_view.current)
        if (chosen_view := by_table.get(view.qualified_name, {}).get(("view", ""))) is not None
        and isinstance(chosen_view.current, str)
        else view
        for view in target.views
    ]
    return attrs.evolve(target, tables=tables, views=views)


def _adopt_table(table: Table, chosen: Mapping[tuple[Kind, str], _Pair]) -> Table:
    def live(kind: Kind, name: str) -> Payload | None:
        pair = chosen.get((kind, name))
        return None if pair is None else pair.current

    columns = []
    for column in table.columns:
        default, generated = live("default", column.name), live("generated", column.name)
        if isinstance(default, str):
            column = attrs.evolve(column, default=default)
        if isinstance(generated, Generated):
            column = attrs.evolve(column, generated=generated)
        columns.append(column)
    checks = [
        attrs.evolve(c, expression=text) if isinstance(text := live("check", c.name), str) else c
        for c in table.checks
    ]
    exclusions = [
        attrs.evolve(x, definition=text)
        if isinstance(text := live("exclusion", x.name), str)
        else x
        for x in table.exclusions
    ]
    indexes = [
        attrs.evolve(found, name=i.name, renamed_from=i.renamed_from)
        if isinstance(found := live("index", i.name), Index)
        else i
        for i in table.indexes
    ]
    policies = []
    for policy in table.policies:
        using, with_check = live("policy_using", policy.name), live("policy_check", policy.name)
        if isinstance(using, str):
            policy = attrs.evolve(policy, using=using)
        if isinstance(with_check, str):
            policy = attrs.evolve(policy, with_check=with_check)
        policies.append(policy)
    return attrs.evolve(
        table,
        columns=tuple(columns),
        checks=checks,
        exclusions=exclusions,
        indexes=indexes,
        policies=policies,
    )


async def reconcile(
    source: asyncpg.Pool | AnyConnection, current: Catalog, target: Catalog
) -> Catalog:
    """``target`` with the current spelling of every expression that means the same.

    ``source`` (a pool or a connection to the database ``current`` was read from) is only
    used when some text differs."""
    with paused_gc():
        pairs = _pairs(current, target)
    if not pairs:
        return target
    async with using(source) as conn:
        same = await same_meaning(conn, current, pairs)
    return _adopt(target, same) if same else target
