"""The migration source renderer: valid, ruff-clean Python that holds the exact SQL."""

from __future__ import annotations

import ast
import random
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linkgress_async.ops import CreateEnum, CreateSchema, DropColumn, MigrationOperation
from linkgress_async.render.python import (
    _outside_quotes,
    class_name_for,
    migration_source,
    python_string,
)
from linkgress_async.render.sql import operation_sql, plan_sql

RUFF = Path(sys.executable).with_name("ruff")
PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"

TRICKY = [
    "it's",
    'say "hi"',
    "back\\slash \\n not a newline",
    "line one\nline two\r\n\ttabbed",
    "unicode: żółć ✓ 日本語 😀",
    "control \x00\x1b\x7f \u200b",
    "x" * 300,
    "'" * 5 + '"' * 3,
]


@pytest.mark.parametrize("text", TRICKY)
def test_python_string_round_trips(text: str) -> None:
    assert ast.literal_eval(python_string(text)) == text


@given(st.text())
def test_python_string_round_trips_any_text(text: str) -> None:
    assert ast.literal_eval(python_string(text)) == text


def test_class_name_for() -> None:
    assert class_name_for("add_phone_number") == "AddPhoneNumber"
    assert class_name_for("x__y_") == "XY"


def _source(operations: list[MigrationOperation] | None) -> str:
    return migration_source(
        operations,
        class_name="AddThings",
        context_module="myapp.database",
        context_class="AppDatabase",
        title="Migration add_things, scaffolded by linkgress_async.",
    )


def _calls(source: str, method: str) -> list[ast.Call]:
    tree = ast.parse(source)
    cls = next(node for node in tree.body if isinstance(node, ast.ClassDef))
    func = next(
        node for node in cls.body if isinstance(node, ast.AsyncFunctionDef) and node.name == method
    )
    return [node for node in ast.walk(func) if isinstance(node, ast.Call)]


def _executed(source: str, method: str) -> list[str]:
    return [
        ast.literal_eval(call.args[0])
        for call in _calls(source, method)
        if isinstance(call.func, ast.Attribute) and call.func.attr == "execute"
    ]


def _layout_free(statements: list[str]) -> list[list[str]]:
    """Each statement's words, split only at whitespace outside quotes: two statements with
    equal words differ in layout alone, which PostgreSQL ignores."""
    split = []
    for sql in statements:
        outside = _outside_quotes(sql)
        if outside is None:
            split.append([sql])
            continue
        words, current = [], ""
        for char, out in zip(sql, outside, strict=True):
            if out and char.isspace():
                if current:
                    words.append(current)
                current = ""
            else:
                current += char
        split.append([*words, current] if current else words)
    return split


def test_long_and_multi_line_statements_are_one_block_each() -> None:
    operations = _tricky_operations()
    source = _source(operations)
    # Statements without backslashes or quoted newlines are laid out as written by hand.
    block = source[source.index('await db.execute(\n            """') :]
    assert block.splitlines()[1].strip() == '"""'
    assert "\\n" not in block.split('"""')[1]


def _tricky_operations() -> list[MigrationOperation]:
    return [
        CreateSchema('we"ird\\schéma'),
        CreateEnum(
            "mood", tuple(t.replace("\x00", "") for t in TRICKY), schema_name='we"ird\\schéma'
        ),
        CreateEnum("e" * 60, tuple(f"value number {i}" for i in range(40))),
    ]


def test_up_and_down_hold_the_exact_sql() -> None:
    operations = _tricky_operations()
    source = _source(operations)
    assert _layout_free(_executed(source, "up")) == _layout_free(plan_sql(operations))
    reverse = [op.reverse() for op in reversed(operations)]
    assert _layout_free(_executed(source, "down")) == _layout_free(
        plan_sql([op for op in reverse if op is not None])
    )
    assert "if TYPE_CHECKING:\n    from myapp.database import AppDatabase\n" in source
    assert "async def up(self, db: AppDatabase) -> None:" in source


def test_down_reverses_what_it_can_and_declares_the_rest() -> None:
    operations: list[MigrationOperation] = [
        CreateSchema("extra"),
        DropColumn("users", "phone_number"),
    ]
    source = _source(operations)
    assert _executed(source, "up") == operation_sql(operations[0]) + operation_sql(operations[1])
    # The schema it created is dropped again; the dropped column cannot come back.
    assert _executed(source, "down") == operation_sql(operations[0].reverse())
    down = source[source.index("async def down") :]
    assert "# - Drop column 'users.phone_number'" in down
    assert "MigrationError" not in source
    namespace: dict[str, object] = {}
    exec(compile(source, "<scaffold>", "exec"), namespace)
    cls = namespace["AddThings"]
    assert cls.destructive == ("Drop column 'users.phone_number'",)  # type: ignore[attr-defined]
    assert cls.destructive_down == ("Drop schema 'extra'",)  # type: ignore[attr-defined]
    assert cls.irreversible == ("Drop column 'users.phone_number'",)  # type: ignore[attr-defined]


def test_empty_template() -> None:
    source = _source(None)
    assert _executed(source, "up") == []
    assert "await db.query('ALTER TABLE ...')" in source  # as the docs write migrations
    assert "        pass\n" in source
    assert "MigrationError" not in source


def _ruff(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(RUFF), *args, str(path)], capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize(
    "operations",
    [
        pytest.param(_tricky_operations(), id="tricky"),
        pytest.param([CreateSchema("a"), DropColumn("users", "phone")], id="irreversible"),
        pytest.param(None, id="empty"),
    ],
)
@pytest.mark.parametrize("config", ["default", "project"])
def test_generated_file_is_ruff_clean_and_formatted(
    tmp_path: Path, operations: list[MigrationOperation] | None, config: str
) -> None:
    path = tmp_path / "20240115_093000_add_things.py"
    path.write_text(_source(operations), encoding="utf-8")
    # The project's own rule set, at the renderer's line length; or ruff's defaults.
    options = (
        ["--config", str(PYPROJECT), "--line-length", "88"]
        if config == "project"
        else ["--isolated"]
    )
    check = _ruff(path, "check", *options)
    assert check.returncode == 0, check.stdout + check.stderr
    fmt = _ruff(path, "format", "--check", "--diff", *options)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def _random_texts(count: int) -> list[str]:
    rng = random.Random(20240115)
    alphabet = "ab cd  '\"\\\n\r\t\x1b\u200bżü✓日😀" + "x" * 10 + " " * 5
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 400))) for _ in range(count)]


@pytest.mark.parametrize("line_length", [88, 100])
def test_random_sql_is_exact_and_formatted(tmp_path: Path, line_length: int) -> None:
    # One file holding many random statements: a cheap stand-in for a property test, since
    # each ruff run costs a subprocess.
    operations: list[MigrationOperation] = [
        CreateEnum(f"e{i}", (text,)) for i, text in enumerate(_random_texts(150))
    ]
    wide = "日本語" * 7  # 63 bytes, the longest identifier; 42 columns wide
    operations.append(CreateEnum(wide, ("x",), schema_name=wide))
    source = migration_source(
        operations,
        class_name="Random",
        context_module="app.db",
        context_class="Db",
        title="Random statements.",
        line_length=line_length,
    )
    assert _layout_free(_executed(source, "up")) == _layout_free(plan_sql(operations))
    path = tmp_path / "20240115_093000_random.py"
    path.write_text(source, encoding="utf-8")
    options = ["--config", str(PYPROJECT), "--line-length", str(line_length)]
    check = _ruff(path, "check", *options)
    assert check.returncode == 0, check.stdout + check.stderr
    fmt = _ruff(path, "format", "--check", "--diff", *options)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
