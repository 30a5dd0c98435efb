"""Read a run directory and check it against the results format (schema version 1).

A run that cannot be read at all (no manifest, corrupt manifest, unknown schema version,
not a bgbench directory) raises `ReportInputError` with one line saying what and how to fix.
A cell that cannot be read is listed in `Run.missing` instead, so an interrupted or partly
damaged run still reports what it has.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from bgbench.results.errors import ReportInputError
from bgbench.results.model import (
    SCHEMA_VERSION,
    Accounting,
    Cell,
    CellParams,
    ClientMetrics,
    Histograms,
    LoadGen,
    MissingCell,
    Run,
    ServerMetrics,
    Summary,
    TaskStats,
    TimeSeries,
)

T = TypeVar("T")

# The probe's request name (loadtests/support/recording.py) in results that do not record it.
DEFAULT_PROBE_REQUEST = "probe/baseline-sync"


class _Malformed(Exception):
    """A file that parses as JSON but does not hold what the format says."""


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
        raise _Malformed(f"no `{key}`")
    try:
        return kind(data[key])
    except (TypeError, ValueError):
        raise _Malformed(f"`{key}` is {data[key]!r}") from None


def _optional(data: Mapping[str, Any], key: str, kind: Callable[[Any], T]) -> T | None:
    return None if data.get(key) is None else _field(data, key, kind)


def _mapping(value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise TypeError(value)
    return value


def _summary(value: Any) -> Summary:
    data = _mapping(value)
    return Summary(
        count=_field(data, "count", int),
        p50=_field(data, "p50", float),
        p90=_field(data, "p90", float),
        p99=_field(data, "p99", float),
        p99_9=_field(data, "p99_9", float),
        max=_field(data, "max", float),
        mean=_field(data, "mean", float),
    )


def _params(value: Any) -> CellParams:
    data = _mapping(value)
    return CellParams(
        strategy=_field(data, "strategy", str),
        workload=_field(data, "workload", str),
        ms=_field(data, "ms", float),
        workers=_optional(data, "workers", int),
        model=_field(data, "model", str),
        rate=_optional(data, "rate", float),
        users=_optional(data, "users", int),
        repeat=_optional(data, "repeat", int) or 1,
        probe_rate=_optional(data, "probe_rate", float),
        raw=dict(data),
    )


def _client(value: Any) -> ClientMetrics:
    data = _mapping(value)
    probe = _optional(data, "probe", _mapping)
    return ClientMetrics(
        requests=_field(data, "requests", int),
        failures=_field(data, "failures", int),
        dropped=_optional(data, "dropped", int) or 0,
        offered_rps=_optional(data, "offered_rps", float),
        scheduled_rps=_optional(data, "scheduled_rps", float),
        achieved_rps=_field(data, "achieved_rps", float),
        duration_s=_field(data, "duration_s", float),
        latency=_field(data, "latency_us", _summary),
        latency_corrected=_optional(data, "latency_corrected_us", _summary),
        probe=None if probe is None else _probe(probe),
        probe_name=None if probe is None else _optional(probe, "name", str),
    )


def _probe(data: Mapping[str, Any]) -> Summary:
    """The probe's latency: `{name, requests, failures, achieved_rps, latency_us}` as the
    sweep writes it (a bare summary is read too)."""
    return _field(data, "latency_us", _summary) if "latency_us" in data else _summary(data)


def _tasks(value: Any) -> TaskStats:
    data = _mapping(value)
    return TaskStats(
        enqueued=_field(data, "enqueued", int),
        started=_field(data, "started", int),
        completed=_field(data, "completed", int),
        failed=_field(data, "failed", int),
        not_run=_field(data, "not_run", int),
        rejected=_field(data, "rejected", int),
        queue_wait=_field(data, "queue_wait_us", _summary),
        run_time=_field(data, "run_time_us", _summary),
        completion_lag=_field(data, "completion_lag_us", _summary),
    )


def _server(value: Any) -> ServerMetrics:
    data = _mapping(value)
    tasks = _field(data, "tasks", _mapping)
    gauges = _optional(data, "gauges_max", _mapping) or {}
    return ServerMetrics(
        tasks={key: _field(tasks, key, _tasks) for key in tasks},
        event_loop_lag=_optional(data, "event_loop_lag_us", _summary),
        gauges_max={key: float(v) for key, v in gauges.items() if v is not None},
    )


def _loadgen(value: Any) -> LoadGen:
    data = _mapping(value)
    return LoadGen(
        cpu_percent=_optional(data, "cpu_percent", float),
        saturated=_field(data, "saturated", bool),
        saturation_reasons=tuple(_optional(data, "saturation_reasons", list) or ()),
    )


def _accounting(value: Any) -> Accounting:
    data = _mapping(value)
    return Accounting(
        **{
            name: _field(data, name, int)
            for name in ("enqueued", "completed", "failed", "not_run", "rejected", "lost")
        },
        balanced=_field(data, "balanced", bool),
    )


def _histograms(path: Path, probe: str) -> Histograms | None:
    """`probe`: the probe's request name to assume if the file does not give it (older
    results); a null there means the cell had no probe."""
    if not path.exists():
        return None
    data = _mapping(read_json(path, "histograms"))
    client = {
        name: (_optional(pair, "uncorrected", str), _optional(pair, "corrected", str))
        for name, pair in _field(data, "client", _mapping).items()
        for pair in [_mapping(pair)]
    }
    server = {
        key: {timing: str(encoded) for timing, encoded in _mapping(timings).items()}
        for key, timings in _field(data, "server", _mapping).items()
    }
    return Histograms(
        client,
        server,
        _optional(data, "event_loop_lag_us", str),
        _optional(data, "probe", str) if "probe" in data else probe,
    )


def _probe_name(client: ClientMetrics | None) -> str:
    """The probe's request name as cell.json gives it, else the one it always had before the
    results recorded it."""
    return client.probe_name if client and client.probe_name else DEFAULT_PROBE_REQUEST


def _number(text: str) -> float:
    return math.nan if text.strip() == "" else float(text)


def _timeseries(path: Path) -> TimeSeries | None:
    if not path.exists():
        return None
    with path.open(newline="", encoding="utf-8") as file:
        reader = csv.DictReader(file)
        if reader.fieldnames is None or "t_s" not in reader.fieldnames:
            raise _Malformed(f"{path.name} has no `t_s` column")
        rows = list(reader)
    try:
        columns = {
            name: np.array([_number(row[name] or "") for row in rows], dtype=np.float64)
            for name in reader.fieldnames
        }
    except ValueError as error:
        raise _Malformed(f"{path.name}: {error}") from None
    return TimeSeries(columns)


def _cell(directory: Path) -> Cell:
    data = _mapping(read_json(directory / "cell.json", "the cell's parameters and metrics"))
    version = _field(data, "schema_version", int)
    if version != SCHEMA_VERSION:
        raise _Malformed(f"schema version {version}, not {SCHEMA_VERSION}")
    status = _field(data, "status", str)
    measured = status == "ok"
    # A failed cell may have no metrics at all; an ok one must have them all.
    pick = _field if measured else _optional
    client = pick(data, "client", _client)
    return Cell(
        cell_id=_field(data, "cell_id", str),
        index=_field(data, "index", int),
        params=_field(data, "params", _params),
        status=status,
        reason=_optional(data, "reason", str),
        flags=tuple(_optional(data, "flags", list) or ()),
        client=client,
        server=pick(data, "server", _server),
        loadgen=pick(data, "loadgen", _loadgen),
        accounting=_optional(data, "accounting", _accounting),
        timeseries=_timeseries(directory / "timeseries.csv"),
        histograms=_histograms(directory / "histograms.json", _probe_name(client)),
    )


def _read_cell(directory: Path) -> Cell | MissingCell:
    if not (directory / "cell.json").exists():
        return MissingCell(directory.name, "no cell.json (the run stopped during this cell?)")
    try:
        return _cell(directory)
    except ReportInputError as error:
        return MissingCell(directory.name, str(error))
    except (_Malformed, TypeError) as error:
        return MissingCell(directory.name, f"cell files do not match the format: {error}")


def _manifest_path(run_dir: Path) -> Path:
    if not run_dir.exists():
        raise ReportInputError(f"{run_dir}: no such directory; pass a run, e.g. results/<run_id>")
    if not run_dir.is_dir():
        raise ReportInputError(f"{run_dir}: a file, not a run directory (results/<run_id>)")
    manifest = run_dir / "manifest.json"
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


def read_schema_version(run_dir: Path) -> int:
    """The run's schema version, read before anything else depends on the format."""
    manifest = _manifest_path(run_dir)
    data = read_json(manifest, "the run's manifest")
    if not isinstance(data, Mapping) or not isinstance(data.get("schema_version"), int):
        raise ReportInputError(
            f"{manifest}: not a bgbench manifest (no integer `schema_version`); pass a "
            f"directory that `bgbench sweep` wrote"
        )
    version: int = data["schema_version"]
    return version


def load_run(run_dir: Path) -> Run:
    version = read_schema_version(run_dir)
    if version != SCHEMA_VERSION:
        raise ReportInputError(
            f"{run_dir}: results schema version {version}, but this bgbench reads version "
            f"{SCHEMA_VERSION}; report it with the bgbench that wrote it (see its manifest's git)"
        )
    manifest = _mapping(read_json(run_dir / "manifest.json", "the run's manifest"))
    try:
        listed = [str(_field(_mapping(c), "cell_id", str)) for c in manifest.get("cells") or []]
        run_id = _field(manifest, "run_id", str)
        status = _field(manifest, "status", str)
    except (_Malformed, TypeError) as error:
        raise ReportInputError(
            f"{run_dir / 'manifest.json'}: does not match the results format ({error}); "
            f"restore it or re-run the sweep"
        ) from None
    cells_dir = run_dir / "cells"
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
        started_at=_optional(manifest, "started_at", str),
        finished_at=_optional(manifest, "finished_at", str),
        manifest=manifest,
        cells=tuple(cells),
        missing=tuple(missing),
        skipped=tuple(_mapping(s) for s in manifest.get("skipped") or []),
    )
