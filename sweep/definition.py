"""Sweep definitions: a TOML file of defaults and matrices, validated in full before anything
starts, then expanded into the list of cells to run.

    name = "quick"
    [defaults]
    duration_s = 8
    [[matrix]]                     # the cross product of its lists, over the defaults
    strategy = ["none", "background", "executor"]
    workers = [1, 5]

See docs/sweeps.md for every key.
"""

from __future__ import annotations

import difflib
import ipaddress
import itertools
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from bgbench.contract import THREADPOOL_TOKENS
from bgbench.queues import Broker
from bgbench.results.model import CellParams
from sweep.catalog import ROUTE_WORKLOADS, STRATEGIES, WORKLOADS

SweepValue = str | int | float | bool
LOOPBACK = "127.0.0.1"
LOCUST_MASTER_PORT = 5557  # Locust's own default


class SweepError(ValueError):
    """A sweep file that cannot run; the message names the file and the key."""


@dataclass(frozen=True)
class CellSpec:
    """One cell: every parameter of one measurement."""

    strategy: str = "background"
    broker: str | None = None  # the queue strategies': their library's default unless named
    workload: str = "sleep"
    ms: float = 10.0
    workers: int | None = 5
    model: str = "open"
    rate: float | None = 50.0
    users: int | None = 10
    arrival: str = "constant"
    duration_s: float = 10.0
    warmup_s: float = 2.0
    repeat: int = 1
    queue_limit: int = 0
    threadpool_tokens: int = THREADPOOL_TOKENS
    max_in_flight: int = 1000
    probe_rate: float = 0.0
    drain_timeout_s: float = 30.0
    tasks: int = 3
    fail_at: int = 2
    priority: str = "normal"
    upload_bytes: int = 65536
    load_workers: int = 1
    # Locust workers on other hosts: with any, the sweep runs Locust as a master bound to
    # load_master_bind (the target app binds it too, for the workers to reach) and waits for
    # them. Loopback unless the user names an address.
    remote_load_workers: int = 0
    load_master_bind: str = LOOPBACK
    load_master_port: int = LOCUST_MASTER_PORT

    def label(self, index: int) -> str:
        workers = "na" if self.workers is None else str(self.workers)
        load = f"r{self.rate:g}" if self.model == "open" else f"closed{self.users}"
        work = self.workload if self.strategy == "none" else f"{self.workload}{self.ms:g}ms"
        queue = STRATEGIES[self.strategy].queue
        strategy = self.strategy
        if queue is not None and self.broker != queue.default_broker:
            strategy = f"{strategy}+{self.broker}"
        label = f"{index:03d}-{strategy}-{work}-w{workers}-{load}"
        return label if self.repeat == 1 else f"{label}-x{self.repeat}"

    def params(self) -> CellParams:
        return CellParams.from_json(asdict(self))


def _choice(*allowed: str) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if value in allowed:
            return None
        return f"must be one of {', '.join(allowed)}"

    return check


def _number(
    low: float, high: float, *, integer: bool = False, above: bool = False
) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return "must be a whole number" if integer else "must be a number"
        if integer and not isinstance(value, int):
            return "must be a whole number"
        if (value <= low if above else value < low) or value > high:
            bound = f"above {low:g}" if above else f"at least {low:g}"
            return f"must be {bound} and at most {high:g}"
        return None

    return check


def _address(value: Any) -> str | None:
    """One IP address of this host, as the sweep's listeners bind it: not a name (it would
    be resolved, maybe to something else), and not every address at once."""
    if not isinstance(value, str):
        return 'must be an IP address in quotes, e.g. "10.0.0.1"'
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return "is not an IP address (a host name is not accepted: give the address to bind)"
    if address.is_unspecified:
        return "would listen on every interface; name the one address the workers reach"
    if address.is_multicast:
        return "is a multicast address, which no server can bind"
    return None


MAX_LOAD_WORKERS = 64  # Locust processes per cell, from the sweep file or --load-workers

# Every key a [defaults] or [[matrix]] table may set, with its check.
OPTIONS: dict[str, Callable[[Any], str | None]] = {
    "strategy": _choice(*STRATEGIES),
    "broker": _choice(*Broker),
    "workload": _choice(*WORKLOADS, *ROUTE_WORKLOADS),
    "ms": _number(0, 60_000),
    "workers": _number(1, 1024, integer=True),
    "model": _choice("open", "closed"),
    "rate": _number(0, 100_000, above=True),
    "users": _number(1, 10_000, integer=True),
    "arrival": _choice("constant", "poisson"),
    "duration_s": _number(0, 3600, above=True),
    "warmup_s": _number(0, 600),
    "repeats": _number(1, 100, integer=True),
    "queue_limit": _number(0, 1_000_000, integer=True),
    "threadpool_tokens": _number(1, 10_000, integer=True),
    "max_in_flight": _number(1, 100_000, integer=True),
    "probe_rate": _number(0, 10_000),
    "drain_timeout_s": _number(0, 3600),
    "tasks": _number(1, 100, integer=True),
    "fail_at": _number(1, 100, integer=True),
    "priority": _choice("high", "normal", "low"),
    "upload_bytes": _number(1, 1 << 30, integer=True),
    "load_workers": _number(1, MAX_LOAD_WORKERS, integer=True),
    "remote_load_workers": _number(0, MAX_LOAD_WORKERS, integer=True),
    "load_master_bind": _address,
    "load_master_port": _number(1024, 65535, integer=True),
}
TOP_LEVEL = {"name", "description", "defaults", "matrix"}
_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class Skipped:
    what: str
    reason: str


@dataclass(frozen=True)
class Sweep:
    name: str
    description: str
    source: str
    defaults: dict[str, SweepValue]
    matrix: list[dict[str, list[SweepValue]]]
    cells: list[CellSpec]
    skipped: list[Skipped]
    overrides: dict[str, SweepValue] = field(default_factory=dict)  # from the command line

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "source": self.source,
            "defaults": self.defaults,
            "matrix": self.matrix,
            "cells": len(self.cells),
            "skipped": [asdict(s) for s in self.skipped],
            # Before the other overrides, `--load-workers` alone was recorded, under this key.
            "load_workers": self.overrides.get("load_workers"),
            "overrides": self.overrides,
        }


def _unknown(key: str, known: set[str] | Mapping[str, object], where: str) -> SweepError:
    close = difflib.get_close_matches(key, list(known), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(sorted(known))})"
    return SweepError(f"{where}: unknown key {key!r}{hint}")


def _check_value(key: str, value: Any, where: str) -> None:
    problem = OPTIONS[key](value)
    if problem:
        raise SweepError(f"{where}: {key} = {value!r} {problem}")


def _table(raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise SweepError(f"{where}: must be a table")
    for key in raw:
        if key not in OPTIONS:
            raise _unknown(key, OPTIONS, where)
    return raw


def load(path: Path) -> Sweep:
    try:
        raw = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise SweepError(f"{path}: no such sweep file") from None
    except tomllib.TOMLDecodeError as exc:
        raise SweepError(f"{path}: not valid TOML: {exc}") from None
    return parse(raw, str(path))


def parse(raw: dict[str, Any], source: str) -> Sweep:
    for key in raw:
        if key not in TOP_LEVEL:
            raise _unknown(key, TOP_LEVEL, source)
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise SweepError(f"{source}: name must be 1-64 of A-Z a-z 0-9 _ - (it names the run)")
    defaults = _table(raw.get("defaults", {}), f"{source}: [defaults]")
    for key, value in defaults.items():
        _check_value(key, value, f"{source}: [defaults]")
    matrices = raw.get("matrix")
    if not isinstance(matrices, list) or not matrices:
        raise SweepError(f"{source}: needs at least one [[matrix]] table")
    matrix: list[dict[str, list[SweepValue]]] = []
    for number, table in enumerate(matrices, start=1):
        where = f"{source}: [[matrix]] #{number}"
        axes: dict[str, list[SweepValue]] = {}
        for key, value in _table(table, where).items():
            values = value if isinstance(value, list) else [value]
            if not values:
                raise SweepError(f"{where}: {key} is an empty list")
            for item in values:
                _check_value(key, item, where)
            axes[key] = values
        matrix.append(axes)
    cells, skipped = expand(defaults, matrix)
    for cell in cells:
        conflict = load_conflict(cell)
        if conflict:
            raise SweepError(f"{source}: {conflict}")
    if not cells:
        raise SweepError(f"{source}: the matrices expand to no runnable cell")
    description = raw.get("description", "")
    return Sweep(name, str(description), source, defaults, matrix, cells, skipped)


def load_conflict(cell: CellSpec) -> str | None:
    """Why a cell's load keys cannot go together, or None."""
    if cell.remote_load_workers and cell.load_workers > 1:
        return (
            f"load_workers = {cell.load_workers} with remote_load_workers = "
            f"{cell.remote_load_workers}: a cell's load is local processes or remote workers, "
            f"not both"
        )
    return None


def _normalise(cell: CellSpec) -> CellSpec | Skipped:
    """Fold parameters that do not apply, so equivalent cells collapse into one."""
    if not cell.remote_load_workers:
        cell = replace(cell, load_master_bind=LOOPBACK, load_master_port=LOCUST_MASTER_PORT)
    strategy = STRATEGIES[cell.strategy]
    if strategy.is_control:
        cell = replace(cell, workload="none", ms=0.0)
    elif cell.workload not in strategy.workloads:
        allowed = ", ".join(strategy.workloads)
        return Skipped(f"{cell.strategy} × {cell.workload}", f"{cell.strategy} runs {allowed}")
    if not strategy.has_workers:
        cell = replace(cell, workers=None)
    if strategy.queue is None:
        cell = replace(cell, broker=None)
    else:
        broker = cell.broker or strategy.queue.default_broker
        if broker not in strategy.queue.brokers:
            over = " or ".join(strategy.queue.brokers)
            return Skipped(f"{cell.strategy} × {broker}", f"{cell.strategy} runs over {over}")
        cell = replace(cell, broker=broker)
    # The open model is set by its rate, the closed one by its users.
    cell = replace(cell, users=None) if cell.model == "open" else replace(cell, rate=None)
    if cell.strategy == "chained":
        cell = replace(cell, fail_at=1)
    elif cell.strategy not in ("failing", "failing_guarded"):
        cell = replace(cell, tasks=1, fail_at=1)
    elif cell.fail_at > cell.tasks:
        return Skipped(f"fail_at={cell.fail_at} tasks={cell.tasks}", "fail_at exceeds tasks")
    return cell


def expand(
    defaults: Mapping[str, SweepValue], matrix: list[dict[str, list[SweepValue]]]
) -> tuple[list[CellSpec], list[Skipped]]:
    names = {f.name for f in fields(CellSpec)}
    base = {k: v for k, v in defaults.items() if k in names}
    repeats = int(defaults.get("repeats", 1))
    cells: list[CellSpec] = []
    skipped: list[Skipped] = []
    seen: set[CellSpec] = set()
    for axes in matrix:
        table_repeats = [int(v) for v in axes.get("repeats", [repeats])]
        keys = [k for k in axes if k != "repeats"]
        for combination in itertools.product(*(axes[k] for k in keys)):
            for repeat_count in table_repeats:
                for repeat in range(1, repeat_count + 1):
                    values: dict[str, Any] = {**base, **dict(zip(keys, combination, strict=True))}
                    cell = _normalise(CellSpec(**values, repeat=repeat))
                    if isinstance(cell, Skipped):
                        if cell not in skipped:
                            skipped.append(cell)
                    elif cell not in seen:
                        seen.add(cell)
                        cells.append(cell)
    return cells, skipped


def with_overrides(sweep: Sweep, values: Mapping[str, SweepValue], where: str) -> Sweep:
    """The sweep with some keys set in every cell from elsewhere (the command line), checked
    as the file's own values are; the manifest records them under `overrides`."""
    for key, value in values.items():
        _check_value(key, value, where)
    cells = []
    for cell in sweep.cells:
        changed = _normalise(CellSpec(**{**asdict(cell), **values}))
        assert not isinstance(changed, Skipped), "a load key never makes a cell unrunnable"
        conflict = load_conflict(changed)
        if conflict:
            raise SweepError(f"{where}: {conflict}")
        cells.append(changed)
    return replace(sweep, cells=cells, overrides={**sweep.overrides, **values})
