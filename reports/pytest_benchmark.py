"""Read pytest-benchmark's saved JSON (`--benchmark-autosave`, `--benchmark-json`), and find
the newest one when asked."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bgbench.results.errors import ReportInputError
from bgbench.results.reader import read_json
from reports.figures.benchmarks import BenchmarkGroup, BenchmarkStat

UNGROUPED = "(no group)"


@dataclass(frozen=True, slots=True)
class BenchmarkFile:
    path: Path
    datetime: str | None
    groups: tuple[BenchmarkGroup, ...]


def _stat(entry: Any, path: Path) -> tuple[str, BenchmarkStat]:
    try:
        stats = entry["stats"]
        stat = BenchmarkStat(
            name=str(entry["name"]),
            median_s=float(stats["median"]),
            q1_s=float(stats["q1"]),
            q3_s=float(stats["q3"]),
        )
        return str(entry.get("group") or UNGROUPED), stat
    except (KeyError, TypeError, ValueError) as error:
        raise ReportInputError(
            f"{path}: a benchmark lacks {error} (name, stats.median, stats.q1, stats.q3); "
            f"pass a file written by pytest --benchmark-json or --benchmark-autosave"
        ) from None


def load_benchmarks(path: Path) -> BenchmarkFile:
    data = read_json(path, "pytest-benchmark results")
    if not isinstance(data, dict) or not isinstance(data.get("benchmarks"), list):
        raise ReportInputError(
            f"{path}: not pytest-benchmark JSON (no `benchmarks` list); pass a file written by "
            f"pytest --benchmark-json or --benchmark-autosave"
        )
    grouped: dict[str, list[BenchmarkStat]] = {}
    for entry in data["benchmarks"]:
        group, stat = _stat(entry, path)
        grouped.setdefault(group, []).append(stat)
    groups = tuple(BenchmarkGroup(name, tuple(stats)) for name, stats in grouped.items())
    return BenchmarkFile(path, data.get("datetime"), groups)


def newest_benchmark_file(root: Path) -> Path:
    """The most recently written `.benchmarks/**/*.json` under `root`."""
    found = list((root / ".benchmarks").glob("**/*.json"))
    if not found:
        raise ReportInputError(
            f"{root / '.benchmarks'}: no saved benchmarks; run "
            f"`pytest benchmarks/ --benchmark-autosave` first, or pass --benchmarks FILE"
        )
    return max(found, key=lambda p: p.stat().st_mtime)
