"""scripts/generator-ceiling's arithmetic: which steps are on time, where the ramp stops and
why, and that the sweep it writes is one the sweep accepts."""

from __future__ import annotations

import tomllib
from dataclasses import replace

from sweep import definition
from sweep.ceiling import Step, ceiling, summary, sweep_file, table

HELD = Step(
    rate=1000,
    processes=1,
    achieved_rps=998,
    scheduled_rps=998,
    lag_p50_us=1,
    lag_p99_us=400,
    lag_max_us=3000,
    loadgen_cpu=20,
    loadgen_cpu_max=25,
    server_cpu=26,
    p50_us=380,
    steal=0.0,
    foreign=0.0,
    flags=(),
)


def at(rate: float, lag_p99_us: float = 400) -> Step:
    """HELD at another rate, achieving the same share of it."""
    achieved = rate * 0.998
    return replace(
        HELD, rate=rate, achieved_rps=achieved, scheduled_rps=achieved, lag_p99_us=lag_p99_us
    )


def test_a_step_is_on_time_with_a_small_send_lag_and_the_rate_achieved() -> None:
    assert HELD.why_not() is None
    assert replace(HELD, lag_p99_us=1000).why_not() is None  # the bound is inclusive


def test_a_late_step_says_how_late_and_what_took_the_core() -> None:
    late = replace(HELD, lag_p99_us=1340, steal=1.0, foreign=0.2)
    assert late.why_not() == "send-lag p99 1.34 ms > 1 ms; steal 1.0% of the generator's core"


def test_a_step_short_of_its_rate_names_the_saturated_side() -> None:
    short = replace(HELD, rate=6000, achieved_rps=5698, server_cpu=87)
    assert short.why_not() == "achieved 95% < 98% of offered; server CPU 87%"


def test_no_send_lag_at_all_is_not_on_time() -> None:
    assert replace(HELD, lag_p99_us=None).why_not() == "send-lag p99 - > 1 ms"


def test_the_ramp_stops_at_its_first_failure() -> None:
    steps = [
        at(3000, lag_p99_us=2000),  # the first failure
        HELD,
        at(2000),
        at(4000),  # a lucky step after it does not count
    ]
    held, broke = ceiling(steps)
    assert held is not None
    assert broke is not None
    assert (held.rate, broke.rate) == (2000, 3000)
    assert ceiling([replace(HELD, lag_p99_us=5000)]) == (None, replace(HELD, lag_p99_us=5000))
    assert ceiling([HELD]) == (HELD, None)


def test_the_summary_names_each_process_count_and_the_reference() -> None:
    steps = [HELD, at(2000, lag_p99_us=1500), replace(HELD, processes=2)]
    lines = summary(steps, (8195.0, "wrk -t1 -c32 -d10s http://127.0.0.1:1/baseline"))
    assert lines == [
        "- 1 load process(es): held on time up to 1,000 req/s; it stops at 2,000: "
        "send-lag p99 1.50 ms > 1 ms",
        "- 2 load process(es): held on time up to 1,000 req/s",
        "- wrk, closed loop: 8,195 req/s (`wrk -t1 -c32 -d10s http://127.0.0.1:1/baseline`)",
    ]
    assert summary([], (None, "wrk is not installed (apt install wrk)")) == [
        "- wrk: wrk is not installed (apt install wrk)"
    ]


def test_the_table_has_a_row_per_step_in_ramp_order() -> None:
    rows = table([at(2000, lag_p99_us=1500), HELD])
    assert len(rows) == 4
    assert rows[2].startswith("| 1 | 1,000 | 998 (100%) | 0.00 ms / 0.40 ms / 3.00 ms | 20% (25%)")
    assert rows[2].endswith("| yes |")
    assert rows[3].endswith("| no: send-lag p99 1.50 ms > 1 ms |")
    assert all(row.count("|") == rows[0].count("|") for row in rows)


def test_the_ramp_is_a_valid_sweep_of_one_cell_per_rate_and_process_count() -> None:
    text = sweep_file([1000, 2500.5], [1, 2], 10)
    cells = definition.parse(tomllib.loads(text), "ramp").cells
    assert sorted((c.rate, c.load_workers) for c in cells) == [
        (1000, 1),
        (1000, 2),
        (2500.5, 1),
        (2500.5, 2),
    ]
    assert {(c.strategy, c.arrival, c.duration_s) for c in cells} == {("none", "constant", 10)}
