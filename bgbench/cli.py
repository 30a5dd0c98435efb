"""The `bgbench` command: `sweep` runs a matrix of load tests, `report` turns a run into a
page people decide from, `compare` sets two runs side by side."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

from bgbench.results import writer
from bgbench.results.errors import ReportInputError
from reports.commands import (
    add_compare_arguments,
    add_report_arguments,
    build_report,
    run_compare,
    run_report,
)
from sweep import definition
from sweep.definition import SweepValue
from sweep.runner import EXIT_INTERRUPTED, NothingToRun, run_sweep

EXIT_USAGE = 2
SWEEPS_DIR = Path(__file__).resolve().parent.parent / "sweeps"


def _version() -> str:
    try:
        return metadata.version("bgbench")
    except metadata.PackageNotFoundError:
        return "(not installed)"


def _default_sweep() -> Path:
    local = Path("sweeps/quick.toml")
    return local if local.exists() else SWEEPS_DIR / "quick.toml"


def _sweep(args: argparse.Namespace) -> int:
    chosen = {
        key: value for _, key, _, _ in LOAD_OPTIONS if (value := getattr(args, key)) is not None
    }
    try:
        sweep = definition.load(args.sweep or _default_sweep())
        sweep = definition.with_overrides(sweep, chosen, "the command line")
    except definition.SweepError as exc:
        print(f"bgbench sweep: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.dry_run:
        for index, cell in enumerate(sweep.cells):
            print(cell.label(index))
        for skipped in sweep.skipped:
            print(f"skipped: {skipped.what}: {skipped.reason}")
        return 0
    try:
        writer.check_writable(args.out)
        code, run_dir = run_sweep(sweep, args.out)
    except writer.UnwritableResults as exc:
        print(f"bgbench sweep: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except NothingToRun as exc:
        print(f"bgbench sweep: nothing to run: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return _finished(code, run_dir, report=not args.no_report)


def _finished(code: int, run_dir: Path, *, report: bool) -> int:
    if code == EXIT_INTERRUPTED:
        print(f"interrupted: the cells run so far are in {run_dir}", file=sys.stderr)
        return code
    print(f"results: {run_dir}")
    if report:
        try:
            print(f"report: {build_report(run_dir).resolve()}")
        except ReportInputError as exc:
            print(f"bgbench sweep: no report: {exc}", file=sys.stderr)
            return code or EXIT_USAGE
    return code


def _sweep_key(key: str, convert: Callable[[str], SweepValue]) -> Callable[[str], SweepValue]:
    """An option that sets a sweep key in every cell, checked where the user typed it by the
    same rule as the sweep file's value."""

    def parse(text: str) -> SweepValue:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        problem = definition.OPTIONS[key](value)
        if problem:
            raise argparse.ArgumentTypeError(f"{value} {problem}")
        return value

    return parse


# Options of `bgbench sweep` that set a load key of every cell: (flag, key, convert, help).
LOAD_OPTIONS: tuple[tuple[str, str, Callable[[str], SweepValue], str], ...] = (
    (
        "--load-workers",
        "load_workers",
        int,
        "Locust processes per cell (--processes); default: the sweep's load_workers",
    ),
    (
        "--remote-load-workers",
        "remote_load_workers",
        int,
        "Locust workers on other hosts to wait for (Locust runs as --master); default: the "
        "sweep's remote_load_workers",
    ),
    (
        "--load-master-bind",
        "load_master_bind",
        str,
        "the address Locust's master and the target app bind for remote workers (default: "
        "127.0.0.1)",
    ),
    (
        "--load-master-port",
        "load_master_port",
        int,
        f"the port Locust's master binds (default: {definition.LOCUST_MASTER_PORT})",
    ),
)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="bgbench", description=__doc__)
    root.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = root.add_subparsers(dest="command", required=True)
    sweep = commands.add_parser("sweep", help="run a sweep definition (default: sweeps/quick.toml)")
    sweep.add_argument(
        "sweep", nargs="?", type=Path, help="a sweep TOML file (default: sweeps/quick.toml)"
    )
    sweep.add_argument(
        "--out", type=Path, default=Path("results"), help="results directory (default: results)"
    )
    for flag, key, convert, help_text in LOAD_OPTIONS:
        sweep.add_argument(flag, dest=key, type=_sweep_key(key, convert), help=help_text)
    sweep.add_argument("--dry-run", action="store_true", help="validate and list the cells only")
    sweep.add_argument("--no-report", action="store_true", help="store the results only")
    sweep.set_defaults(handler=_sweep)
    report = commands.add_parser("report", help="turn a run into index.html, report.md, figures")
    add_report_arguments(report)
    report.set_defaults(handler=run_report)
    compare = commands.add_parser(
        "compare",
        help="compare two runs; exit 1 on a significant regression, 3 when cells flagged in "
        "one run (a busy machine, a late load generator) left it inconclusive",
    )
    add_compare_arguments(compare)
    compare.set_defaults(handler=run_compare)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    code: int = args.handler(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
