"""Fleet targets: a database (a DSN) or a tenant schema in one, with a password-free label."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import anyio.to_thread
import asyncpg
from attrs import field, frozen

from linkgress_async.dsn import is_url, redact_dsn, with_database
from linkgress_async.errors import LinkgressError
from linkgress_async.render.quote import identifier_problem, quote_ident

__all__ = [
    "FleetTarget",
    "FleetTargetError",
    "TargetLike",
    "as_targets",
    "databases_on_server",
    "parse_targets",
    "read_targets",
]

_COMMENT = re.compile(r"\s#")


class FleetTargetError(LinkgressError, ValueError):
    """The targets of a fleet run are malformed, repeated, or unsupported by the operation."""


@frozen
class FleetTarget:
    """One target of a fleet run: a database, or a tenant ``schema`` inside it.

    ``label`` names the target in results and logs; by default it is the DSN without its
    password, followed by ``schema=NAME`` for a tenant (see :attr:`name`).
    """

    dsn: str = field(repr=lambda dsn: repr(redact_dsn(dsn)))  # never show a password
    schema: str | None = None
    label: str | None = None

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.dsn, str) or not self.dsn.strip():
            raise FleetTargetError(f"A fleet target needs a DSN string, got {self.dsn!r}")
        if self.schema is not None:
            problem = identifier_problem(self.schema)
            if problem is not None:
                raise FleetTargetError(
                    f"Tenant schema of {redact_dsn(self.dsn)}: {problem}; pass a valid schema name"
                )

    @property
    def name(self) -> str:
        """The label, or the DSN without its password (plus ``schema=NAME`` for a tenant)."""
        if self.label is not None:
            return self.label
        default = redact_dsn(self.dsn)
        return default if self.schema is None else f"{default} schema={self.schema}"

    @property
    def search_path(self) -> str | None:
        """The ``search_path`` setting for a tenant (its schema only), else ``None``."""
        return None if self.schema is None else quote_ident(self.schema)


TargetLike = str | FleetTarget
"""What fleet functions accept as a target: a DSN or a :class:`FleetTarget`."""


def as_targets(targets: Iterable[TargetLike]) -> list[FleetTarget]:
    """Normalise DSNs to :class:`FleetTarget` and reject a target given twice."""
    if isinstance(targets, str):
        raise FleetTargetError(
            "targets must be a list of DSNs or FleetTarget values, not one string; "
            "wrap a single DSN in a list"
        )
    result: list[FleetTarget] = []
    seen: dict[tuple[str, str | None], int] = {}
    for position, item in enumerate(targets, start=1):
        target = item if isinstance(item, FleetTarget) else FleetTarget(item)
        key = (target.dsn, target.schema)
        if key in seen:
            raise FleetTargetError(
                f"Target #{position} ({target.name}) repeats target #{seen[key]}; each "
                "database or tenant schema may appear once per run"
            )
        seen[key] = position
        result.append(target)
    return result


def _parse_line(line: str, where: str) -> FleetTarget | None:
    # "#" starts a comment at the start of a line or after whitespace; inside a DSN it is
    # part of the value (a password, say).
    text = _COMMENT.split(line, maxsplit=1)[0].strip()
    if not text or text.startswith("#"):
        return None
    dsn, *options = text.split()
    values: dict[str, str] = {}
    for option in options:
        key, equals, value = option.partition("=")
        if not equals or key not in ("schema", "label") or not value:
            raise FleetTargetError(
                f"{where}: unexpected {option!r} after the DSN; write "
                "'DSN [schema=NAME] [label=NAME]' (one target a line, # starts a comment)"
            )
        values[key] = value
    return FleetTarget(dsn, schema=values.get("schema"), label=values.get("label"))


def parse_targets(text: str, source: str = "<targets>") -> list[FleetTarget]:
    """Targets from text: ``DSN [schema=NAME] [label=NAME]`` a line; ``#`` comments."""
    parsed = [
        _parse_line(line, f"{source}, line {number}")
        for number, line in enumerate(text.splitlines(), start=1)
    ]
    return as_targets(target for target in parsed if target is not None)


async def read_targets(path: str | Path) -> list[FleetTarget]:
    """Targets from a file (the CLI's ``--dsn-file``); see :func:`parse_targets`."""
    file = Path(path)
    text = await anyio.to_thread.run_sync(file.read_text, "utf-8")
    return parse_targets(text, str(file))


async def databases_on_server(
    dsn: str, *, like: str | None = None, exclude: Sequence[str] = ("postgres",)
) -> list[str]:
    """DSNs of the server's databases that accept connections (templates never), by name.

    ``dsn`` is a ``postgresql://`` URL to any database of the server; ``like`` is an SQL
    ``LIKE`` pattern the names must match; names in ``exclude`` are left out.
    """
    if not is_url(dsn):
        raise FleetTargetError(
            f"databases_on_server needs a postgresql:// URL, got {redact_dsn(dsn)!r}"
        )
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch(
            "SELECT datname FROM pg_catalog.pg_database"
            " WHERE datallowconn AND NOT datistemplate"
            " AND ($1::text IS NULL OR datname LIKE $1) AND NOT datname = ANY($2::text[])"
            " ORDER BY datname",
            like,
            list(exclude),
        )
    finally:
        await connection.close()
    return [with_database(dsn, row["datname"]) for row in rows]
