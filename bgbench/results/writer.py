"""Writing a run's raw results: created once, appended to, never rewritten by a reader.

Every file is written atomically (a temporary name, then a rename), so a run stopped at any
moment leaves only whole files behind.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import os
from pathlib import Path
from typing import Any

from bgbench.files import write_atomically
from bgbench.results import codec, names
from bgbench.results.model import Cell, ManifestCell, TimeSeries


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def write_json(path: Path, data: Any) -> None:
    write_atomically(path, json.dumps(data, indent=2, sort_keys=False) + "\n")


def _csv_value(value: float) -> str:
    """An empty field for nothing measured; whole numbers without a decimal point."""
    if math.isnan(value):
        return ""
    return str(int(value)) if value.is_integer() else f"{value:.10g}"


def write_timeseries(path: Path, series: TimeSeries) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(names.TIMESERIES_COLUMNS)
    columns = [series.columns[name] for name in names.TIMESERIES_COLUMNS]
    for row in zip(*columns, strict=True):
        writer.writerow(_csv_value(float(value)) for value in row)
    write_atomically(path, buffer.getvalue())


def write_cell(cell_dir: Path, cell: Cell) -> None:
    """cell.json, histograms.json and timeseries.csv; cell.json last, so that a cell whose
    cell.json is there has all three."""
    if cell.histograms is not None:
        write_json(cell_dir / names.HISTOGRAMS, codec.to_json(cell.histograms))
    if cell.timeseries is not None:
        write_timeseries(cell_dir / names.TIMESERIES, cell.timeseries)
    write_json(cell_dir / names.CELL, codec.to_json(cell))


class UnwritableResults(Exception):
    """The results folder cannot be written: said in one line, before any cell runs."""


def check_writable(out: Path) -> None:
    """Create `out` if need be and write (then remove) a small file in it, so a read-only or
    full folder stops the sweep before its first cell rather than after it."""
    fix = "pick another --out: a folder you can write to, with free space"
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".bgbench-write-check-{os.getpid()}"
        probe.write_bytes(b"\0" * 65536)  # about one cell's smallest file: a full disk shows
        probe.unlink()
    except FileExistsError:
        raise UnwritableResults(f"{out}: a file, not a folder; {fix}") from None
    except OSError as error:
        raise UnwritableResults(f"{out}: cannot write results ({error.strerror}); {fix}") from None


def new_run_dir(out: Path, name: str) -> tuple[str, Path]:
    """A fresh results/<run_id>/ (a suffix if two runs start in the same second), as an
    absolute path: the processes a cell starts run in other directories."""
    out = out.resolve()
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    out.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, 100):
        run_id = f"{stamp}-{name}" if attempt == 1 else f"{stamp}-{name}-{attempt}"
        run_dir = out / run_id
        try:
            run_dir.mkdir()
        except FileExistsError:
            continue
        (run_dir / names.CELLS_DIR).mkdir()
        return run_id, run_dir
    raise RuntimeError(f"cannot create a run directory under {out}")


# Room kept for the manifest's last words: a disk that fills up mid-run leaves no space to
# write the final manifest (tested on a 96 KiB tmpfs: the run stayed "interrupted"), so the
# manifest keeps a file this large beside it from its first write, and removes it to finish.
RESERVE = ".bgbench-reserve"
RESERVE_BYTES = 65536


class Manifest:
    """manifest.json, rewritten whole after every cell. It starts as "interrupted", so a run
    killed without a chance to say so still reads truthfully; a reserve file beside it keeps
    room to say how it ended on a full disk (`RESERVE`)."""

    def __init__(self, run_dir: Path, fields: dict[str, Any]) -> None:
        self.path = run_dir / names.MANIFEST
        self.reserve = run_dir / RESERVE
        self.data: dict[str, Any] = {
            "schema_version": names.SCHEMA_VERSION,
            **fields,
            "status": "interrupted",
            "started_at": utc_now(),
            "finished_at": None,
            "cells": [],
        }
        self.save()
        self.reserve.write_bytes(b"\0" * RESERVE_BYTES)

    def save(self) -> None:
        write_json(self.path, self.data)

    def add_cell(self, cell: ManifestCell) -> None:
        self.data["cells"].append(codec.to_json(cell))
        self.save()

    def finish(self, interrupted: bool, stopped: str | None = None) -> str:
        """The run's status, written; `stopped`: why it ended before its last cell (a write
        failure). If even this cannot be written, the manifest on disk still says
        "interrupted", which is true."""
        if interrupted:
            status = "interrupted"
        elif stopped is None and all(cell["status"] == "ok" for cell in self.data["cells"]):
            status = "complete"
        else:
            status = "partial"
        self.data["status"] = status
        self.data["finished_at"] = utc_now()
        if stopped is not None:
            self.data["stopped"] = stopped
        self.reserve.unlink(missing_ok=True)
        try:
            self.save()
        except OSError:
            if stopped is None:
                raise
        return status
