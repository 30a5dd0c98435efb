"""Read a run directory and check it against the results format (`names.SCHEMA_VERSION`).

An older version that only lacks what this one adds is read through `upgrade`. A run that
cannot be read at all (no manifest, corrupt manifest, unknown schema version,
not a bgbench directory) raises `ReportInputError` with one line saying what and how to fix.
A cell that cannot be read is listed in `Run.missing` instead, so an interrupted or partly
damaged run still reports what it has.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from bgbench.results import codec, names, upgrade
from bgbench.results.codec import Malformed
from bgbench.results.errors import ReportInputError
from bgbench.results.model import Cell, Histograms, MissingCell, Run, TimeSeries
from bgbench.results.names import SCHEMA_VERSION

T = TypeVar("T")

# What an older version lacks that this one needs: why it is refused rather than half-read.
_WHY_REFUSED = {
    1: "it records no send lag and no interference, so its cells cannot be judged; ",
    2: "it keeps no histogram per second, so no percentile's confidence interval can be "
    "computed from merged histograms; ",
}


def read_json(path: Path, what: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReportInputError(f"{path}: missing ({what})") from None
    except OSError as error:
        raise ReportInputError(f"{path}: cannot read {what}: {error.strerror}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ReportInputError(
            f"{path}: not valid JSON ({error.msg} at line {error.lineno}); the file was cut "
            f"short or edited: restore it, or re-run the sweep"
        ) from None


def _field(data: Mapping[str, Any], key: str, kind: Callable[[Any], T]) -> T:
    if key not in data:
        raise Malformed(f"no `{key}`")
    try:
        return kind(data[key])
    except (TypeError, ValueError):
        raise Malformed(f"`{key}` is {data[key]!r}") from None


def _mapping(value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise TypeError(value)
    return value


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _number(text: str) -> float:
    return math.nan if text.strip() == "" else float(text)


def _timeseries(path: Path) -> TimeSeries | None:
    if not path.exists():
        return None
    with path.open(newline="", encoding="utf-8") as file:
        reader = csv.DictReader(file)
        if reader.fieldnames is None or "t_s" not in reader.fieldnames:
            raise Malformed(f"{path.name} has no `t_s` column")
        rows = list(reader)
    try:
        columns = {
            name: np.array([_number(row[name] or "") for row in rows], dtype=np.float64)
            for name in reader.fieldnames
        }
    except ValueError as error:
        raise Malformed(f"{path.name}: {error}") from None
    return TimeSeries(columns)


def _histograms(path: Path) -> Histograms | None:
    if not path.exists():
        return None
    return codec.from_json(Histograms, read_json(path, "histograms"))


def _cell(directory: Path) -> Cell:
    data = _mapping(read_json(directory / names.CELL, "the cell's parameters and metrics"))
    version = _field(data, "schema_version", int)
    if not upgrade.readable(version):
        raise Malformed(f"schema version {version}, not {SCHEMA_VERSION}")
    cell = codec.from_json(Cell, upgrade.cell(data, version))
    if cell.status == "ok" and None in (cell.client, cell.server, cell.loadgen):
        # A failed cell may have no metrics at all; an ok one must have them all.
        raise Malformed("an ok cell without its client, server or loadgen metrics")
    return replace(
        cell,
        timeseries=_timeseries(directory / names.TIMESERIES),
        histograms=_histograms(directory / names.HISTOGRAMS),
    )


def _read_cell(directory: Path) -> Cell | MissingCell:
    if not (directory / names.CELL).exists():
        return MissingCell(directory.name, "no cell.json (the run stopped during this cell?)")
    try:
        return _cell(directory)
    except ReportInputError as error:
        return MissingCell(directory.name, str(error))
    except (Malformed, TypeError) as error:
        return MissingCell(directory.name, f"cell files do not match the format: {error}")


def _manifest_path(run_dir: Path) -> Path:
    if not run_dir.exists():
        raise ReportInputError(f"{run_dir}: no such directory; pass a run, e.g. results/<run_id>")
    if not run_dir.is_dir():
        raise ReportInputError(f"{run_dir}: a file, not a run directory (results/<run_id>)")
    manifest = run_dir / names.MANIFEST
    if manifest.exists():
        return manifest
    if any(run_dir.glob("*/manifest.json")):
        raise ReportInputError(
            f"{run_dir}: holds runs, not one run; pass one of them, e.g. {run_dir}/<run_id>"
        )
    raise ReportInputError(
        f"{run_dir}: not a bgbench run (no manifest.json); pass a directory that "
        f"`bgbench sweep` wrote, e.g. results/<run_id>"
    )


def _read_manifest(run_dir: Path) -> Mapping[str, Any]:
    """The run's manifest, checked to have an integer schema version before anything else
    depends on the format."""
    manifest = _manifest_path(run_dir)
    data = read_json(manifest, "the run's manifest")
    if not isinstance(data, Mapping) or not isinstance(data.get("schema_version"), int):
        raise ReportInputError(
            f"{manifest}: not a bgbench manifest (no integer `schema_version`); pass a "
            f"directory that `bgbench sweep` wrote"
        )
    return data


def read_schema_version(run_dir: Path) -> int:
    version: int = _read_manifest(run_dir)["schema_version"]
    return version


def load_run(run_dir: Path) -> Run:
    manifest = _read_manifest(run_dir)
    version: int = manifest["schema_version"]
    if not upgrade.readable(version):
        older = _WHY_REFUSED.get(version, "") if version < SCHEMA_VERSION else ""
        raise ReportInputError(
            f"{run_dir}: results schema version {version}, but this bgbench reads version "
            f"{SCHEMA_VERSION}; {older}re-run the sweep, or report it with the bgbench that "
            f"wrote it (its manifest's git commit)"
        )
    try:
        listed = [str(_field(_mapping(c), "cell_id", str)) for c in manifest.get("cells") or []]
        run_id = _field(manifest, "run_id", str)
        status = _field(manifest, "status", str)
    except (Malformed, TypeError) as error:
        raise ReportInputError(
            f"{run_dir / names.MANIFEST}: does not match the results format ({error}); "
            f"restore it or re-run the sweep"
        ) from None
    cells_dir = run_dir / names.CELLS_DIR
    present = (
        sorted(p.name for p in cells_dir.iterdir() if p.is_dir()) if cells_dir.is_dir() else []
    )
    cells: list[Cell] = []
    missing: list[MissingCell] = []
    # The manifest's order is the run order; directories it does not list yet (the run was
    # stopped before updating it) come after.
    for cell_id in [*listed, *(name for name in present if name not in listed)]:
        if cell_id not in present:
            missing.append(MissingCell(cell_id, "listed in the manifest, but has no directory"))
            continue
        read = _read_cell(cells_dir / cell_id)
        if isinstance(read, MissingCell):
            missing.append(read)
        else:
            cells.append(read)
    if not cells:
        raise ReportInputError(
            f"{run_dir}: no readable cell ({len(missing)} listed or present); nothing to "
            f"report: re-run the sweep"
        )
    return Run(
        path=run_dir,
        run_id=run_id,
        schema_version=version,
        status=status,
        started_at=_text_or_none(manifest.get("started_at")),
        finished_at=_text_or_none(manifest.get("finished_at")),
        manifest=manifest,
        cells=tuple(cells),
        missing=tuple(missing),
        skipped=tuple(_mapping(s) for s in manifest.get("skipped") or []),
    )
