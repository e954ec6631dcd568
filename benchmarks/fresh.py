"""The application-start case: ``linkgress plan`` in a fresh process, against a warm call.

The model is the module ``linkgress pull`` writes for the benchmark's database (what a team
adopting the library starts from), imported from its bytecode as an installed application's
would be: one untimed run first writes the ``.pyc`` files.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import anyio

ROOT = Path(__file__).resolve().parent.parent


def bytecode_kept() -> dict[str, str]:
    """This environment, but that Python keeps the bytecode it compiles, as an installed
    application has it (``PYTHONDONTWRITEBYTECODE`` makes every import compile again)."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _environment(work: Path) -> dict[str, str]:
    env = bytecode_kept()
    env["PYTHONPATH"] = os.pathsep.join([str(work), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


async def _timed_run(command: list[str], env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = await anyio.run_process(command, cwd=ROOT, env=env, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command[:4])} failed (exit {done.returncode}):\n"
            + done.stderr.decode(errors="replace")[-4000:]
        )
    return elapsed, done.stdout.decode()


async def measure_fresh_plan(dsn: str, n: int, work: Path, reps: int) -> dict[str, Any]:
    """Median wall time of ``linkgress plan`` in a new interpreter, and of its parts that
    happen before any database work: the interpreter, the pulled model's import."""
    env = _environment(work)
    module = f"pulled_model_{n}"
    _, source = await _timed_run(
        [sys.executable, "-m", "linkgress_async", "pull", "--dsn", dsn], env
    )
    await anyio.Path(work / f"{module}.py").write_text(source, encoding="utf-8")
    plan = [
        sys.executable,
        "-m",
        "linkgress_async",
        "plan",
        "--dsn",
        dsn,
        "--context",
        f"{module}:Database",
    ]
    _, printed = await _timed_run(plan, env)  # writes the bytecode
    if "up to date" not in printed:
        raise RuntimeError(f"the pulled model does not match its database:\n{printed[-2000:]}")
    plans = [(await _timed_run(plan, env))[0] for _ in range(reps)]
    imports = [
        (await _timed_run([sys.executable, "-c", f"import {module}"], env))[0] for _ in range(reps)
    ]
    bare = [(await _timed_run([sys.executable, "-c", "pass"], env))[0] for _ in range(reps)]
    return {
        "median_s": statistics.median(plans),
        "times_s": plans,
        "model_import_s": statistics.median(imports) - statistics.median(bare),
        "interpreter_s": statistics.median(bare),
        "model_lines": source.count("\n"),
    }
