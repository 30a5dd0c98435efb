"""Writing a run's raw results: created once, appended to, never rewritten by a reader.

Every file is written atomically (a temporary name, then a rename), so a run stopped at any
moment leaves only whole files behind.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from bgbench.results import names
from bgbench.files import write_atomically


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def write_json(path: Path, data: Any) -> None:
    write_atomically(path, json.dumps(data, indent=2, sort_keys=False) + "\n")


def write_csv(path: Path, columns: Iterable[str], rows: Iterable[Mapping[str, Any]]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
    write_atomically(path, buffer.getvalue())


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


class Manifest:
    """manifest.json, rewritten whole after every cell. It starts as "interrupted", so a run
    killed without a chance to say so still reads truthfully."""

    def __init__(self, run_dir: Path, fields: dict[str, Any]) -> None:
        self.path = run_dir / names.MANIFEST
        self.data: dict[str, Any] = {
            "schema_version": names.SCHEMA_VERSION,
            **fields,
            "status": "interrupted",
            "started_at": utc_now(),
            "finished_at": None,
            "cells": [],
        }
        self.save()

    def save(self) -> None:
        write_json(self.path, self.data)

    def add_cell(self, cell_id: str, status: str, reason: str | None) -> None:
        self.data["cells"].append({"cell_id": cell_id, "status": status, "reason": reason})
        self.save()

    def finish(self, interrupted: bool) -> str:
        if interrupted:
            status = "interrupted"
        elif all(cell["status"] == "ok" for cell in self.data["cells"]):
            status = "complete"
        else:
            status = "partial"
        self.data["status"] = status
        self.data["finished_at"] = utc_now()
        self.save()
        return status
