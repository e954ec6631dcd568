"""Assemble the pulled module: names first, then every emitter's code, then the imports the
code uses. Pure and synchronous: a catalog in, source text out."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping

import attrs
from attrs import frozen

from linkgress_async.catalog import Catalog, QualifiedName
from linkgress_async.pulling.code import LINE_LENGTH, width
from linkgress_async.pulling.context import PullContext, Undeclared, sql_name
from linkgress_async.pulling.emit import EMITTERS, security
from linkgress_async.pulling.names import (
    BUILDER_NAMES,
    Namespace,
    attribute_name,
    class_name,
    is_attribute_name,
    snake_name,
)

__all__ = ["PulledModule", "name_everything", "render_module"]

_STDLIB = (
    ("datetime", None),
    ("Decimal", "decimal"),
    ("Any", "typing"),
    ("UUID", "uuid"),
)


@frozen
class PulledModule:
    """A pulled module: its source, and what it could not declare (also listed in it)."""

    source: str
    undeclared: tuple[Undeclared, ...]
    class_name: str
    catalog: Catalog = attrs.field(eq=False, repr=False)
    """The catalog that was read."""

    @property
    def undeclared_by_kind(self) -> dict[str, int]:
        """How many objects of each kind the module does not declare, most first."""
        counts = Counter(item.kind for item in self.undeclared)
        return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def _enum_spelling(ctx: PullContext, schema: str, name: str) -> str:
    spelled = ctx.enum_names.get(QualifiedName(schema, name))
    if spelled is None:
        # Not asked of a server (a catalog built by hand): format_type's usual spelling.
        spelled = sql_name(schema, name)
        ctx.enum_names[QualifiedName(schema, name)] = spelled
    return spelled


def name_everything(ctx: PullContext) -> None:
    """Give every enum handle, entity class and attribute its Python name, before any code is
    written (columns refer to enum handles; foreign keys to classes and attributes)."""
    for enum in ctx.catalog.enums:
        base = snake_name(enum.name, "enum")
        handle = ctx.names.claim(base, f"{base}_enum")
        ctx.enum_handles[_enum_spelling(ctx, enum.schema, enum.name)] = handle
    for table in ctx.catalog.tables:
        plain = class_name(table.name)
        ctx.classes[table.qualified_name] = ctx.names.claim(
            plain, class_name(table.schema) + plain, plain + "Table"
        )
        space = Namespace()
        attributes: dict[str, str] = {}
        # Columns that are attribute names keep them; the others are named after, so that
        # no attribute is another column's name (the builder resolves both).
        for column in table.columns:
            if is_attribute_name(column.name):
                space.take(column.name)
                attributes[column.name] = column.name
        for column in table.columns:
            if column.name not in attributes:
                attributes[column.name] = space.claim(attribute_name(column.name))
        ctx.attributes[table.qualified_name] = {c.name: attributes[c.name] for c in table.columns}
    security.name_handles(ctx)


# The parts of the module's code that matter for which names it reads, in one pass of the
# regular-expression engine: Python's tokenizer took a second at 1,000 tables. Strings (with
# any prefix; an f-string is one string, as the 3.11 tokenizer has it) and comments hide
# names; numbers hide the letters in them (1e5); a name after a dot (not after "...") is an
# attribute. tests/unit/test_pull_used_names.py compares the result with the tokenizer's.
_SCANNED = re.compile(
    r"""
    [rRbBuUfF]{0,2}(?:\"\"\"(?:\\.|[^\\])*?\"\"\"|'''(?:\\.|[^\\])*?'''
        |"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')
    | \#[^\n]*
    | \d[\w.]*
    | (?<!\.)\.(?!\.)\s*[^\W\d]\w*
    | (?P<name>[^\W\d]\w*)
    """,
    re.VERBOSE,
)


def _used_names(code: str) -> set[str]:
    """The names ``code`` reads (not attribute names after a dot, not string contents)."""
    return {match["name"] for match in _SCANNED.finditer(code) if match["name"]}


def _import_lines(used: set[str], has_classes: bool) -> list[str]:
    lines: list[str] = []
    if "datetime" in used:
        lines.append("import datetime")
    for name, module in _STDLIB:
        if module is not None and name in used:
            lines.append(f"from {module} import {name}")
    if lines:
        lines.append("")
    if has_classes:
        lines.append("import attrs")
    names = sorted(used & BUILDER_NAMES, key=lambda n: (not n[:1].isupper(), n))
    one = f"from linkgress_async import {', '.join(names)}"
    if width(one) <= LINE_LENGTH:
        lines.append(one)
    else:
        lines.append("from linkgress_async import (")
        lines += [f"    {name}," for name in names]
        lines.append(")")
    return lines


_DOCSTRING = '''"""A linkgress_async model pulled from a live database.

It declares what the database holds, as the server reports it: schemas, extensions, enums,
domains, composite types, sequences, tables with their columns, keys, constraints and
indexes, functions, procedures, aggregates, views and materialized views. Review it before
you use it; the first `linkgress plan` against the database it came from finds nothing to
do.{undeclared}
"""'''

_UNDECLARED = """

{count} the model builder cannot declare yet {verb} listed in comments that start with
"not declared". They stay in the database (the schema manager keeps what a model does not
declare), but a database created from this model lacks them: create them in a migration."""


def render_module(
    catalog: Catalog,
    enum_spellings: Mapping[QualifiedName, str] | None = None,
    *,
    class_name: str = "Database",
    current_user: str | None = None,
) -> PulledModule:
    """The source of a module declaring ``catalog`` in a ``DbContext`` subclass.

    ``enum_spellings`` are the server's spellings of the enums as column types (see
    :func:`linkgress_async.canonical.enum_spellings`); without them the usual spelling is
    assumed. Objects owned by ``current_user`` (the role that pulls) get no owner
    declaration.
    """
    ctx = PullContext(catalog, enum_spellings or {}, class_name, current_user)
    name_everything(ctx)
    sections = [lines for lines in (emit(ctx) for emit in EMITTERS) if lines]
    body: list[str] = []
    for lines in sections:
        if body:
            body.append("")
        body += lines
    if not any(line.strip() and not line.lstrip().startswith("#") for line in body):
        body.insert(0, " " * 8 + "pass")
    context = [
        f"class {ctx.context_class}(DbContext):",
        '    """The pulled model (see the module docstring)."""',
        "",
        "    def setup_model(self, model: DbModelConfig) -> None:",
        *body,
    ]
    classes = ["\n".join(lines) for lines in ctx.class_sources]
    code = "\n\n\n".join([*classes, "\n".join(context)]) + "\n"
    used = _used_names(code)
    count = len(ctx.undeclared)
    undeclared = ""
    if count:
        things = "One object" if count == 1 else f"{count} objects"
        undeclared = _UNDECLARED.format(count=things, verb="is" if count == 1 else "are")
    header = _DOCSTRING.format(undeclared=undeclared)
    imports = "\n".join(_import_lines(used, bool(classes)))
    source = f"{header}\n\n{imports}\n\n\n{code}"
    return PulledModule(source, tuple(ctx.undeclared), ctx.context_class, catalog)
