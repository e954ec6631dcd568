"""Run ruff, with the project's settings, on generated Python source."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

__all__ = ["ruff_problems"]

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def ruff_problems(source: str, directory: Path, name: str = "generated.py") -> str:
    """What ``ruff check`` and ``ruff format --check`` report on ``source`` ('' when clean).

    The file is checked from ``directory`` with the project's pyproject.toml, so that
    ``linkgress_async`` is an installed, third-party package there, as in a user's project
    (from the repository root ruff would treat it as first-party and want another import
    layout).
    """
    path = directory / name
    path.write_text(source, encoding="utf-8")
    reports: list[str] = []
    for command in (["check"], ["format", "--check", "--diff"]):
        done = subprocess.run(
            [sys.executable, "-m", "ruff", *command, "--config", str(PYPROJECT), path.name],
            cwd=directory,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            reports.append(done.stdout + done.stderr)
    return "\n".join(reports)
