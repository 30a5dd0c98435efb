"""`memory_growth` and `fd_growth`: growth without levelling off, judged at each edge of the
rule with synthetic series, and a finding about the app, not a reason to distrust a cell."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from bgbench import trust
from bgbench.results.model import Cell, Resources
from bgbench.results.reader import load_run
from bgbench.trend import trend
from tests.reports.conftest import GOLDEN_RUN

SECONDS = 600
T = np.arange(SECONDS, dtype=np.float64)


def _kinked(first_per_min: float, last_per_min: float, seconds: int = SECONDS) -> np.ndarray:
    """100 MiB, then one slope in the first half of the seconds and another in the last:
    each half exactly linear, so each half's least-squares slope is the one given."""
    t = np.arange(seconds, dtype=np.float64)
    middle = seconds // 2
    first, last = first_per_min / 60, last_per_min / 60
    return np.where(t < middle, 100 + first * t, 100 + first * middle + last * (t - middle))


def _resources(rss: np.ndarray, fds: np.ndarray | None = None) -> Resources:
    t = np.arange(rss.size, dtype=np.float64)
    rss_trend = trend(t, rss)
    fds_trend = trend(t, np.full(rss.size, 40.0) if fds is None else fds)
    assert rss_trend is not None
    assert fds_trend is not None
    return Resources(seconds=rss.size, rss_mib=rss_trend, open_fds=fds_trend)


def test_steady_growth_is_flagged_with_its_numbers() -> None:
    reasons = trust.growth(_resources(_kinked(3, 3)))
    assert list(reasons) == ["memory_growth"]
    assert "100 → 130 MiB over 600 s" in reasons["memory_growth"]
    assert "3 MiB/min in the last half" in reasons["memory_growth"]


def test_growth_that_levels_off_is_not() -> None:
    # Start-up's climb: 30 MiB that saturates with a time constant of a minute.
    levelling = 100 + 30 * (1 - np.exp(-T / 60))
    assert trust.growth(_resources(levelling)) == {}


@pytest.mark.parametrize(
    ("first", "last", "flagged"),
    [
        (4.0, 2.0, True),  # the last half at exactly half the first's slope: not levelling
        (4.0, 1.98, False),  # just under half: levelling off
        (0.0, 3.0, True),  # flat, then growth that started late
        (-1.0, 4.0, True),  # a fall (a collection), then growth
        (4.0, -1.0, False),  # grew, then fell back
    ],
)
def test_levelling_is_the_last_half_against_the_first(
    first: float, last: float, flagged: bool
) -> None:
    assert ("memory_growth" in trust.growth(_resources(_kinked(first, last)))) == flagged


@pytest.mark.parametrize(
    ("last_per_min", "flagged"),
    [(trust.RSS_SLOPE_MIB_PER_MIN, False), (trust.RSS_SLOPE_MIB_PER_MIN + 0.01, True)],
)
def test_a_slow_last_half_is_not_growth(last_per_min: float, flagged: bool) -> None:
    # Twenty minutes, so that enough has grown for only the last half's slope to decide.
    rss = _kinked(last_per_min / trust.LEVELLING_SHARE, last_per_min, 1200)
    resources = _resources(rss)
    assert resources.rss_mib.grew > trust.RSS_GROWTH_MIB
    assert ("memory_growth" in trust.growth(resources)) == flagged


@pytest.mark.parametrize(
    ("grown_mib", "flagged"),
    [(trust.RSS_GROWTH_MIB, False), (trust.RSS_GROWTH_MIB + 0.1, True)],
)
def test_too_little_grown_is_not_growth(grown_mib: float, flagged: bool) -> None:
    per_min = grown_mib / ((SECONDS - 1) / 60)  # a straight line ending `grown_mib` higher
    resources = _resources(100 + per_min * T / 60)
    assert resources.rss_mib.grew == pytest.approx(grown_mib)
    assert ("memory_growth" in trust.growth(resources)) == flagged


@pytest.mark.parametrize(
    ("seconds", "flagged"),
    [(trust.GROWTH_MIN_SECONDS - 1, False), (trust.GROWTH_MIN_SECONDS, True)],
)
def test_a_short_cell_is_not_judged(seconds: int, flagged: bool) -> None:
    # 20 MiB/min: a start-up climb in a short cell looks like this too.
    resources = _resources(_kinked(20, 20, seconds))
    assert ("memory_growth" in trust.growth(resources)) == flagged


def test_descriptors_that_keep_opening_are_flagged() -> None:
    leaking = 40 + np.floor(T / 20)  # one more every 20 s: 3 a minute, 29 over the cell
    reasons = trust.growth(_resources(_kinked(0, 0), leaking))
    assert list(reasons) == ["fd_growth"]
    assert "open file descriptors grew 40 → 69 over 600 s" in reasons["fd_growth"]


def test_descriptors_that_come_and_go_are_not() -> None:
    # Connections open and close: up to 25 more now and then, back to 40 after.
    wandering = 40 + 25 * (np.arange(SECONDS) % 30 == 0)
    wandering[-1] = 40
    assert trust.growth(_resources(_kinked(0, 0), wandering)) == {}


def test_no_resources_no_judgement() -> None:
    assert trust.growth(None) == {}


def _trusted_cell() -> Cell:
    return next(c for c in load_run(GOLDEN_RUN).cells if not trust.problems(c) and c.server)


def test_growth_is_a_finding_the_cell_stays_trusted() -> None:
    cell = _trusted_cell()
    assert cell.server is not None
    server = replace(cell.server, resources=_resources(_kinked(3, 3)))
    judged = trust.judged(replace(cell, server=server), None)
    assert "memory_growth" in judged.flags
    assert judged.flag_reasons["memory_growth"].startswith("RSS grew")
    assert trust.problems(judged) == ()
    assert not trust.measurement_only(judged)
