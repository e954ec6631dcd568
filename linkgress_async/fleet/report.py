"""Reports of a fleet run that stay small at any size: failures grouped by cause, JSON, JUnit XML.

At thousands of targets a row per target is hundreds of kilobytes nobody reads. What a
reader needs is how many targets ended how, and *why* the failed ones failed: targets that
failed for the same reason (the same error class and the same message once the parts that
name the target are taken out) form one :class:`FailureGroup` with a count and a few example
targets. :meth:`FleetResult.failures_by_cause` and :meth:`FleetResult.report` use this
module; ``as_document`` and ``junit_xml`` give CI the whole result.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import unquote, urlsplit

from attrs import frozen

from linkgress_async.dsn import redact_dsn, server_of

if TYPE_CHECKING:
    from linkgress_async.fleet.results import FleetResult
    from linkgress_async.fleet.targets import FleetTarget

__all__ = [
    "Failing",
    "FailureGroup",
    "as_document",
    "cause_of",
    "group_failures",
    "junit_xml",
    "render_groups",
    "report",
]

DEFAULT_EXAMPLES = 3
"""Example targets named per group of failures."""

MAX_GROUPS_SHOWN = 10
"""Groups of failures a report lists; the rest are counted in one line."""

_CAUSE_WIDTH = 200
_QUOTED = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'")
# Numbers that name a particular thing: ports, process ids, oids, addresses. Short numbers
# and decimals (0.5 s, 3 attempts) are the run's settings and stay.
_NUMBER = re.compile(r"\b(?:\d+(?:\.\d+){2,}|\d{3,})\b")
_HEX = re.compile(r"\b0x[0-9a-fA-F]+\b")


class Failing(Protocol):
    """What grouping needs of a failed target: its target, its label and its error."""

    @property
    def target(self) -> FleetTarget: ...

    @property
    def label(self) -> str: ...

    @property
    def error(self) -> str | None: ...


@frozen
class FailureGroup:
    """Failed targets that share a cause: ``count`` of them, the first few as ``examples``."""

    cause: str
    """The error class and message with what names the target taken out (quoted names
    become ``""``, long numbers ``N``), such as ``ConnectionFailedError: ... port N ...``."""
    count: int
    examples: tuple[str, ...]
    """Labels of the first targets (in target order) that failed this way."""
    error_type: str
    """The exception class name, such as ``MigrationLockTimeoutError``."""
    sample: str
    """The full error line of the first of them, unnormalised."""

    def describe(self) -> str:
        """``"12 targets: cause"``, then the examples on a second line; a group of one shows
        its error as it was (nothing to generalise)."""
        more = self.count - len(self.examples)
        named = ", ".join(self.examples) + (f" (+{more} more)" if more > 0 else "")
        shown = self.sample if self.count == 1 and self.sample else self.cause
        return f"{_targets(self.count)}: {shown}\n    e.g. {named}"


_KEYWORD_DATABASE = re.compile(r"\bdbname\s*=\s*'?([^'\s]+)")


def _database_of(dsn: str) -> str | None:
    try:
        parts = urlsplit(dsn)
    except ValueError:
        return None
    if parts.scheme:
        return unquote(parts.path.lstrip("/")) or None
    match = _KEYWORD_DATABASE.search(dsn)
    return match.group(1) if match else None


def _target_names(target: FleetTarget) -> list[str]:
    """The strings that name ``target`` in an error message, longest first."""
    server = server_of(target.dsn)
    names = {target.dsn, redact_dsn(target.dsn), target.name, server, server.rpartition(":")[0]}
    if target.schema is not None:
        names.add(target.schema)
    database = _database_of(target.dsn)
    if database:
        names.add(database)
    return sorted((name for name in names if len(name) >= 3), key=len, reverse=True)


def _replace_whole(text: str, name: str) -> str:
    """``text`` with each whole occurrence of ``name`` as ``<target>``: a database "shop"
    must not change "shopping". (No regex: one compiled per target costs seconds at 5,000.)"""
    parts: list[str] = []
    start = 0
    while (found := text.find(name, start)) >= 0:
        end = found + len(name)
        before = text[found - 1] if found else " "
        after = text[end] if end < len(text) else " "
        if _word(before) or before == "." or _word(after):
            parts.append(text[start : found + 1])
            start = found + 1
            continue
        parts.append(text[start:found] + "<target>")
        start = end
    parts.append(text[start:])
    return "".join(parts)


def _word(char: str) -> bool:
    return char.isalnum() or char == "_"


def cause_of(failing: Failing) -> str:
    """The cause of a failure: its error line without what is particular to the target.

    The target's DSN, label, server, database and schema names become ``<target>``, quoted names
    ``""`` and long numbers (ports, process ids, addresses) ``N``, so that a hundred targets whose
    lock was held read as one cause, not a hundred.
    """
    text = failing.error or "failed without an error message"
    for name in _target_names(failing.target):
        text = _replace_whole(text, name)
    text = _QUOTED.sub(lambda match: match.group(0)[0] * 2, text)
    text = _HEX.sub("N", text)
    text = _NUMBER.sub("N", text)
    return text if len(text) <= _CAUSE_WIDTH else text[: _CAUSE_WIDTH - 3] + "..."


def _error_type(error: str | None, exception: BaseException | None) -> str:
    if exception is not None:
        return type(exception).__name__
    # "002_x.py: DuplicateTableError: ..." or "DuplicateTableError: ...".
    parts = [part.strip() for part in (error or "").split(":")]
    named = [part for part in parts[:2] if part.endswith(("Error", "Exception", "Timeout"))]
    return named[0] if named else (parts[0] or "Error")


def group_failures(
    failures: Iterable[Failing], *, examples: int = DEFAULT_EXAMPLES
) -> list[FailureGroup]:
    """The failures grouped by :func:`cause_of`, the largest group first (then by the order
    of its first target)."""
    grouped: dict[str, list[Failing]] = {}
    for failing in failures:
        grouped.setdefault(cause_of(failing), []).append(failing)
    ordered = sorted(grouped.items(), key=lambda item: -len(item[1]))
    return [
        FailureGroup(
            cause=cause,
            count=len(members),
            examples=tuple(member.label for member in members[:examples]),
            error_type=_error_type(members[0].error, getattr(members[0], "exception", None)),
            sample=members[0].error or "",
        )
        for cause, members in ordered
    ]


def render_groups(groups: Sequence[FailureGroup], *, heading: str = "Failures by cause") -> str:
    """The groups as text: at most :data:`MAX_GROUPS_SHOWN`, the rest counted."""
    if not groups:
        return ""
    total = sum(group.count for group in groups)
    causes = "1 cause" if len(groups) == 1 else f"{len(groups)} causes"
    lines = [f"{heading} ({_targets(total)}, {causes}):"]
    lines += [f"  {group.describe()}" for group in groups[:MAX_GROUPS_SHOWN]]
    rest = groups[MAX_GROUPS_SHOWN:]
    if rest:
        lines.append(
            f"  ... and {len(rest)} more causes ({_targets(sum(group.count for group in rest))}); "
            "--json or as_document() lists every target"
        )
    return "\n".join(lines)


def _targets(count: int) -> str:
    return "1 target" if count == 1 else f"{count} targets"


def _rate(result: FleetResult) -> str:
    finished = len(result.targets) - len(result.not_run)
    if result.duration <= 0 or not finished:
        return ""
    return f" ({finished / result.duration:.1f} targets/s)"


def report(result: FleetResult, *, examples: int = DEFAULT_EXAMPLES) -> str:
    """The summary line, the failures grouped by cause, and the targets left unrun: a few
    lines whatever the number of targets."""
    lines = [result.summary() + _rate(result)]
    groups = render_groups(result.failures_by_cause(examples=examples))
    if groups:
        lines.append(groups)
    not_run = result.not_run
    if not_run:
        named = ", ".join(target.label for target in not_run[:examples])
        more = len(not_run) - examples
        lines.append(
            f"Not run ({_targets(len(not_run))}): e.g. {named}"
            + (f" (+{more} more)" if more > 0 else "")
            + "; rerun the same command to reach them"
        )
    return "\n".join(lines)


def target_document(result: Any) -> dict[str, Any]:
    """One target's outcome as JSON-ready values (also a ``--log-format json`` line)."""
    document: dict[str, Any] = {
        "index": result.index,
        "target": result.label,
        "status": result.status,
        "applied": list(result.applied),
        "duration": round(result.duration, 3),
    }
    if result.target.schema is not None:
        document["schema"] = result.target.schema
    if result.error is not None:
        document["error"] = result.error
        document["error_type"] = _error_type(result.error, result.exception)
        document["cause"] = cause_of(result)
    return document


def as_document(result: FleetResult, *, examples: int = DEFAULT_EXAMPLES) -> dict[str, Any]:
    """The whole result as JSON-ready values: counts, duration, why a staged run stopped and
    how many targets a resumed run left out, failures by cause, every
    target (label, status, applied, duration, error and its cause)."""
    return {
        "ok": result.ok,
        "counts": dict(result.counts()),
        "duration": round(result.duration, 3),
        "stopped": result.stopped,
        "resumed_skipped": result.resumed_skipped,
        "failures_by_cause": [
            {
                "cause": group.cause,
                "count": group.count,
                "error_type": group.error_type,
                "examples": list(group.examples),
                "sample": group.sample,
            }
            for group in result.failures_by_cause(examples=examples)
        ],
        "targets": [target_document(target) for target in result.targets],
    }


def junit_xml(result: FleetResult, *, suite: str = "linkgress") -> str:
    """JUnit XML for CI: one ``testcase`` per target; a failed target is a ``failure`` whose
    ``message`` is its cause and whose text its error line, a target not run is ``skipped``."""
    counts = result.counts()
    root = ElementTree.Element(
        "testsuite",
        {
            "name": suite,
            "tests": str(len(result.targets)),
            "failures": str(counts["failed"]),
            "errors": "0",
            "skipped": str(counts["not-run"]),
            "time": f"{result.duration:.3f}",
        },
    )
    for target in result.targets:
        case = ElementTree.SubElement(
            root,
            "testcase",
            {"classname": suite, "name": target.label, "time": f"{target.duration:.3f}"},
        )
        if target.status == "failed":
            failure = ElementTree.SubElement(
                case,
                "failure",
                {
                    "message": cause_of(target),
                    "type": _error_type(target.error, target.exception),
                },
            )
            failure.text = target.error or ""
        elif target.status == "not-run":
            ElementTree.SubElement(case, "skipped", {"message": "not run"})
        elif target.applied:
            ElementTree.SubElement(case, "system-out").text = "\n".join(target.applied)
    ElementTree.indent(root)
    body = ElementTree.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'
