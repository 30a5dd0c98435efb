"""`bgbench report` and `bgbench compare`: their arguments and what they run, for the CLI to
wire in; and `build_report` for `bgbench sweep` to call when a sweep ends."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from bgbench.results.errors import ReportInputError
from bgbench.results.reader import load_run
from reports.build import build_report
from reports.compare import check_same_schema, compare_runs
from reports.pytest_benchmark import newest_benchmark_file
from reports.render_compare import render_comparison

__all__ = [
    "add_compare_arguments",
    "add_report_arguments",
    "build_report",
    "run_compare",
    "run_report",
]

EXIT_OK = 0
EXIT_REGRESSION = 1
EXIT_BAD_INPUT = 2  # argparse's own code for bad arguments
EXIT_INCONCLUSIVE = 3  # no regression found, but some cells could not be trusted in one run


def add_report_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", type=Path, help="a run: results/<run_id>")
    parser.add_argument(
        "--out", type=Path, help="where to write the report (default reports/out/<run_id>)"
    )
    parser.add_argument(
        "--benchmarks",
        type=Path,
        nargs="+",
        default=[],
        metavar="FILE",
        help="pytest-benchmark JSON files to add to the report",
    )
    parser.add_argument(
        "--latest-benchmarks",
        action="store_true",
        help="also add the newest .benchmarks/**/*.json under the current directory",
    )
    parser.add_argument(
        "--timeseries",
        nargs="+",
        default=[],
        metavar="CELL_ID",
        help="cells to draw second by second, besides the flagged and the worst ones",
    )


def _error(command: str, error: ReportInputError) -> int:
    print(f"bgbench {command}: error: {error}", file=sys.stderr)
    return EXIT_BAD_INPUT


def run_report(args: argparse.Namespace) -> int:
    try:
        benchmarks = list(args.benchmarks)
        if args.latest_benchmarks:
            benchmarks.append(newest_benchmark_file(Path.cwd()))
        index = build_report(args.run_dir, args.out, benchmarks, timeseries=args.timeseries)
    except ReportInputError as error:
        return _error("report", error)
    print(f"report written: {index} (and report.md, figures as PNG and SVG beside it)")
    return EXIT_OK


def threshold(text: str) -> float:
    """`10%`, `10` (both ten percent) or `0.1`: a share of the baseline's value."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(%?)\s*", text)
    if match is None:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a percentage such as 10%")
    value = float(match.group(1))
    return value / 100 if match.group(2) or value >= 1 else value


def add_compare_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_a", type=Path, help="the baseline run")
    parser.add_argument("run_b", type=Path, help="the run to check against it")
    parser.add_argument(
        "--threshold",
        type=threshold,
        default=0.10,
        help="fail (exit 1) on a significant regression larger than this (default 10%%)",
    )


def run_compare(args: argparse.Namespace) -> int:
    try:
        check_same_schema(args.run_a, args.run_b)
        comparison = compare_runs(load_run(args.run_a), load_run(args.run_b), args.threshold)
    except ReportInputError as error:
        return _error("compare", error)
    print(render_comparison(comparison), end="")
    if comparison.regressed:
        return EXIT_REGRESSION
    return EXIT_INCONCLUSIVE if comparison.inconclusive else EXIT_OK
