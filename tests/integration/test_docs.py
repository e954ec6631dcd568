"""Runs the Python code of the guides in docs/, so they cannot drift from the library.

Conventions in the Markdown, each a visible HTML comment on the line before a code block:

- a ```python block is run, in order with the page's other blocks, in one namespace whose
  ``__name__`` is ``"__main__"``, with ``DATABASE_URL`` set to a fresh database and the working
  directory a scratch project directory that is also first on the import path;
- ``<!-- file: PATH -->`` writes the block to PATH in that project directory instead (a
  ``myapp/database.py`` that later blocks import, a ``conftest.py``, a ``pytest.ini``);
- ``<!-- not-run: REASON -->`` leaves a block out, for fragments that cannot run alone.

When a page writes test files, ``pytest`` runs in the project directory afterwards, as the
reader would run it, against our session's server, and must pass.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import attrs
import pytest

from linkgress_async.testing import ENV_DSN, LinkgressServer

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = [
    "getting-started.md",
    "model.md",
    "automatic-migrations.md",
    "testing.md",
    "faq.md",
    "views-and-functions.md",
    "pull-and-diff.md",
    "online-migrations.md",
]

_BLOCK = re.compile(
    r"(?:<!--\s*(?P<kind>file|not-run):\s*(?P<arg>[^>]*?)\s*-->\n)?"
    r"^```(?P<lang>[\w-]*)\n(?P<code>.*?)^```$",
    re.M | re.S,
)


@attrs.frozen
class Block:
    """One fenced code block and the convention marking it."""

    line: int
    lang: str
    code: str
    file: str | None = None
    skipped: str | None = None


def blocks(page: Path) -> list[Block]:
    """The page's fenced blocks, in order."""
    text = page.read_text()
    found = []
    for match in _BLOCK.finditer(text):
        kind, arg = match["kind"], match["arg"]
        found.append(
            Block(
                line=text.count("\n", 0, match.start("code")) + 1,
                lang=match["lang"],
                code=match["code"],
                file=arg if kind == "file" else None,
                skipped=arg if kind == "not-run" else None,
            )
        )
    return found


def test_every_page_is_checked_and_every_skip_says_why() -> None:
    documented = {p.name for p in DOCS.glob("*.md")}
    assert set(PAGES) <= documented
    for name in PAGES:
        page_blocks = blocks(DOCS / name)
        assert any(b.lang == "python" and not b.skipped for b in page_blocks), name
        for block in page_blocks:
            assert block.skipped is None or block.skipped.strip(), f"{name}:{block.line}"


@pytest.mark.parametrize("name", PAGES)
def test_the_page_runs(
    name: str,
    linkgress_dsn: str,
    linkgress_server: LinkgressServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.chdir(project)
    monkeypatch.syspath_prepend(str(project))
    monkeypatch.setenv("DATABASE_URL", linkgress_dsn)
    before = set(sys.modules)
    page = DOCS / name
    namespace: dict[str, object] = {"__name__": "__main__"}
    tests_written = False
    try:
        for block in blocks(page):
            if block.skipped is not None:
                continue
            if block.file is not None:
                target = project / block.file
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(block.code)
                tests_written |= target.name.startswith("test_")
                continue
            if block.lang != "python":
                continue
            # Padding keeps tracebacks pointing at the page's own line numbers.
            source = "\n" * (block.line - 1) + block.code
            exec(compile(source, str(page), "exec"), namespace)
    finally:
        # Forget the page's own modules (its myapp/ package), never the library's: a library
        # module imported first by this page and then forgotten would be imported afresh by
        # the next one, whose classes would no longer be the ones the rest of it holds.
        for module in set(sys.modules) - before:
            origin = getattr(sys.modules[module], "__file__", None) or ""
            if origin.startswith(str(project)):
                del sys.modules[module]
    if tests_written:
        done = subprocess.run(
            # The `pytest` script, as the reader runs it: `python -m pytest` would put the
            # project directory on sys.path and hide a missing `pythonpath`.
            [str(Path(sys.executable).with_name("pytest")), "-p", "no:cacheprovider", "-q"],
            cwd=project,
            env={**os.environ, ENV_DSN: linkgress_server.admin_dsn},
            capture_output=True,
            text=True,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert re.search(r"\b\d+ passed\b", done.stdout), done.stdout
        assert "failed" not in done.stdout


# Pages whose code another test runs, and pages whose Python is only fragments (with why).
RUN_ELSEWHERE = {
    "file-migrations.md": "test_docs_file_migrations.py",
    "baseline-and-drift.md": "test_drift.py",
    "fleet.md": "test_fleet_docs.py",
    "renames.md": "test_docs_renames.py",
    "ownership.md": "test_docs_ownership.py",
    "cli.md": "test_devdb.py",
}
FRAGMENTS = {
    "safe-migrations.md": "two short fragments; their behaviour is test_hazards.py and "
    "test_scaffold_safe.py",
}


def test_no_page_with_python_goes_unchecked() -> None:
    here = Path(__file__).parent
    for name, test_file in RUN_ELSEWHERE.items():
        assert name in (here / test_file).read_text(), f"{test_file} does not run {name}"
    with_python = {
        page.name
        for page in DOCS.glob("*.md")
        if any(block.lang == "python" for block in blocks(page))
    }
    unchecked = with_python - set(PAGES) - RUN_ELSEWHERE.keys() - FRAGMENTS.keys()
    assert not unchecked, f"docs pages whose Python no test runs: {sorted(unchecked)}"
