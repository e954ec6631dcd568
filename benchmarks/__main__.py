"""``python -m benchmarks [--quick] [--output DIR] [--sizes N ...]``.

Without ``--output`` the results go to ``benchmarks/results.json`` and ``docs/benchmarks.md``;
with it, both files are written into DIR instead (CI uses this, so the committed page only
changes on purpose).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import anyio

from benchmarks.harness import ROOT, Config, run
from benchmarks.report import markdown, write
from benchmarks.report_latency import latency_report

FULL_SIZES = (100, 1000, 5000, 10000)


def config(args: argparse.Namespace) -> Config:
    """The measurement plan for the command line."""
    sizes = tuple(args.sizes or ((100,) if args.quick else FULL_SIZES))
    if args.latency_only:
        one = dict.fromkeys(sizes, 1)
        return Config(sizes, 5, one, one, 0, 0, 0, sizes, (), latency_only=True)
    if args.quick:
        one = dict.fromkeys(sizes, 1)
        return Config(sizes, 1, one, one, 200, 1, 3, (), sizes)
    # The peers take seconds to minutes per run at large N: fewer repetitions there.
    peer_reps = {n: 5 if n <= 100 else 3 if n <= 1000 else 1 for n in sizes}
    create_reps = {n: 3 if n <= 1000 else 1 for n in sizes}
    return Config(sizes, 5, peer_reps, create_reps, 1000, 3, 7, tuple(args.latency_sizes))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and write the results."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="N=100, one repetition (CI)")
    parser.add_argument("--output", type=Path, help="write results here, not into the repo")
    parser.add_argument("--sizes", type=int, nargs="+", help="table counts to measure")
    parser.add_argument(
        "--latency-sizes",
        type=int,
        nargs="*",
        default=[1000],
        help="sizes that also get the latency rows (default: 1000)",
    )
    parser.add_argument(
        "--latency-only",
        action="store_true",
        help="only the latency rows and round trips of --sizes (printed, nothing written)",
    )
    args = parser.parse_args(argv)
    results = anyio.run(run, config(args))
    if args.latency_only:
        print(latency_report(results))
        return 0
    if args.output is not None:
        write(results, args.output / "results.json", args.output / "benchmarks.md")
    else:
        write(results, ROOT / "benchmarks" / "results.json", ROOT / "docs" / "benchmarks.md")
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
