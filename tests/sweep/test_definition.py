from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reports.stats import samples_needed
from sweep.definition import SweepError, load, parse
from sweep.progress import estimate_s

SWEEPS = Path(__file__).resolve().parents[2] / "sweeps"


def sweep(**tables: Any) -> dict[str, Any]:
    return {"name": "t", "matrix": [{"strategy": "background"}], **tables}


def test_a_matrix_expands_to_its_cross_product_over_the_defaults() -> None:
    parsed = parse(
        sweep(
            defaults={"ms": 20, "duration_s": 3},
            matrix=[{"strategy": ["executor"], "workers": [1, 2], "rate": [10, 20, 40]}],
        ),
        "t.toml",
    )
    assert [c.label(i) for i, c in enumerate(parsed.cells)] == [
        "000-executor-sleep20ms-w1-r10",
        "001-executor-sleep20ms-w1-r20",
        "002-executor-sleep20ms-w1-r40",
        "003-executor-sleep20ms-w2-r10",
        "004-executor-sleep20ms-w2-r20",
        "005-executor-sleep20ms-w2-r40",
    ]
    assert {c.ms for c in parsed.cells} == {20}
    assert {c.duration_s for c in parsed.cells} == {3}


def test_parameters_that_do_not_apply_collapse_into_one_cell() -> None:
    parsed = parse(
        sweep(matrix=[{"strategy": ["none", "background"], "workers": [1, 5, 40]}]), "t.toml"
    )
    # The control has no workload and no worker limit; background has no worker limit.
    assert [c.label(i) for i, c in enumerate(parsed.cells)] == [
        "000-none-none-wna-r50",
        "001-background-sleep10ms-wna-r50",
    ]


def test_impossible_combinations_are_skipped_and_said() -> None:
    parsed = parse(
        sweep(matrix=[{"strategy": ["process_pool"], "workload": ["cpu", "db", "http"]}]),
        "t.toml",
    )
    assert [c.workload for c in parsed.cells] == ["cpu"]
    assert [s.what for s in parsed.skipped] == ["process_pool × db", "process_pool × http"]


def test_a_queue_runs_over_its_default_broker_unless_the_cell_names_another() -> None:
    parsed = parse(
        sweep(
            matrix=[
                {"strategy": ["celery", "arq"], "broker": ["redis", "rabbitmq"], "workers": 2},
                {"strategy": ["queue", "background"], "workers": 2},
            ]
        ),
        "t.toml",
    )
    assert [(c.label(i), c.broker) for i, c in enumerate(parsed.cells)] == [
        ("000-celery-sleep10ms-w2-r50", "redis"),
        ("001-celery+rabbitmq-sleep10ms-w2-r50", "rabbitmq"),
        ("002-arq-sleep10ms-w2-r50", "redis"),
        ("003-queue-sleep10ms-w2-r50", "redis"),
        ("004-background-sleep10ms-wna-r50", None),  # no broker: it runs in the app
    ]
    assert [(s.what, s.reason) for s in parsed.skipped] == [
        ("arq × rabbitmq", "arq runs over redis")
    ]
    assert [c.params().variant for c in parsed.cells[:2]] == ["celery ×2", "celery/rabbitmq ×2"]


def test_repeats_and_the_closed_model() -> None:
    parsed = parse(
        sweep(defaults={"repeats": 2, "model": "closed", "users": 4}),
        "t.toml",
    )
    assert [c.label(i) for i, c in enumerate(parsed.cells)] == [
        "000-background-sleep10ms-wna-closed4",
        "001-background-sleep10ms-wna-closed4-x2",
    ]
    assert all(c.rate is None for c in parsed.cells)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            sweep(defaults={"wokers": 3}),
            "[defaults]: unknown key 'wokers' (did you mean 'workers'?)",
        ),
        (
            sweep(matrix=[{"strategy": "queued"}]),
            "[[matrix]] #1: strategy = 'queued' must be one of",
        ),
        (sweep(matrix=[{"rate": [10, -1]}]), "[[matrix]] #1: rate = -1 must be above 0"),
        (sweep(matrix=[{"workers": 2.5}]), "workers = 2.5 must be a whole number"),
        (sweep(matrix=[{"workers": []}]), "workers is an empty list"),
        (sweep(defaults={"ms": "10"}), "ms = '10' must be a number"),
        (sweep(defaults={"probe_rate": True}), "probe_rate = True must be a number"),
        (sweep(matrix=[]), "needs at least one [[matrix]] table"),
        ({"name": "bad name!", "matrix": [{}]}, "name must be"),
        ({**sweep(), "cells": []}, "unknown key 'cells'"),
        (sweep(matrix=[{"strategy": "failing", "tasks": 2, "fail_at": 3}]), "no runnable cell"),
        (
            sweep(defaults={"load_master_bind": "0.0.0.0", "remote_load_workers": 2}),
            "load_master_bind = '0.0.0.0' would listen on every interface",
        ),
        (
            sweep(defaults={"load_master_bind": "::", "remote_load_workers": 2}),
            "load_master_bind = '::' would listen on every interface",
        ),
        (sweep(defaults={"load_master_bind": "master.lan"}), "is not an IP address"),
        (sweep(defaults={"load_master_bind": 10}), "must be an IP address in quotes"),
        (sweep(defaults={"load_master_port": 80}), "load_master_port = 80 must be at least 1024"),
        (
            sweep(defaults={"remote_load_workers": -1}),
            "remote_load_workers = -1 must be at least 0",
        ),
        (
            sweep(defaults={"remote_load_workers": 2}, matrix=[{"load_workers": [1, 2]}]),
            "load_workers = 2 with remote_load_workers = 2: a cell's load is local processes or "
            "remote workers, not both",
        ),
    ],
)
def test_a_bad_sweep_is_refused_naming_the_key(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(SweepError) as error:
        parse(raw, "bad.toml")
    assert str(error.value).startswith("bad.toml")
    assert message in str(error.value)


def test_the_master_binds_loopback_unless_remote_workers_name_an_address() -> None:
    local = parse(sweep(defaults={"load_master_bind": "10.213.0.1"}), "t.toml").cells[0]
    # Without remote workers the address does not apply: the cell stays on loopback.
    assert (local.remote_load_workers, local.load_master_bind) == (0, "127.0.0.1")
    remote = parse(
        sweep(defaults={"load_master_bind": "10.213.0.1", "remote_load_workers": 2}), "t.toml"
    ).cells[0]
    assert (remote.remote_load_workers, remote.load_master_bind) == (2, "10.213.0.1")
    assert remote.load_master_port == 5557


def test_files_that_are_missing_or_not_toml_say_so(tmp_path: Path) -> None:
    with pytest.raises(SweepError, match="no such sweep file"):
        load(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("name = 'x'\n[[matrix]\n")
    with pytest.raises(SweepError, match="not valid TOML"):
        load(broken)


def _planned_minutes(path: Path) -> float:
    cells = load(path).cells
    return sum(estimate_s(c.duration_s, c.warmup_s) for c in cells) / 60


@pytest.mark.parametrize("path", sorted(SWEEPS.glob("*.toml")), ids=lambda p: p.name)
def test_every_shipped_sweep_is_valid(path: Path) -> None:
    assert load(path).cells


def test_the_quick_sweep_is_planned_at_about_three_minutes() -> None:
    assert _planned_minutes(SWEEPS / "quick.toml") < 3.5


def test_every_quick_cell_has_the_requests_for_a_p99_and_the_probe_for_a_p90() -> None:
    for cell in load(SWEEPS / "quick.toml").cells:
        assert cell.rate is not None
        assert cell.rate * cell.duration_s >= 1.1 * samples_needed(99.0)
        assert (cell.probe_rate or 0) * cell.duration_s >= samples_needed(90.0)


def test_the_default_sweep_covers_the_matrix_in_under_thirty_minutes() -> None:
    parsed = load(SWEEPS / "default.toml")
    strategies = {c.strategy for c in parsed.cells}
    assert strategies >= {
        "none",
        "inline",
        "background",
        "background_async",
        "background_blocking",
        "middleware_base",
        "middleware_asgi",
        "chained",
        "failing",
        "executor",
        "process_pool",
        "celery",
    }
    # Sleep work: executor limits below and above what the load needs (λ × task time); CPU
    # work runs one thread at a time (the GIL) whatever the limit, so two limits show it.
    executor = [c for c in parsed.cells if c.strategy == "executor"]
    sleep = [c for c in executor if c.workload == "sleep"]
    needed = max((c.rate or 0) * c.ms / 1000 for c in sleep)
    assert min(c.workers or 0 for c in sleep) < needed < max(c.workers or 0 for c in sleep)
    assert len({c.workers for c in executor if c.workload == "cpu"}) >= 2
    assert _planned_minutes(SWEEPS / "default.toml") < 30


def test_every_default_cell_can_claim_its_p99_9() -> None:
    for cell in load(SWEEPS / "default.toml").cells:
        assert (cell.rate or 0) * cell.duration_s >= 1.1 * samples_needed(99.9)
