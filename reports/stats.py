"""Confidence intervals by bootstrap: numpy only, a fixed seed, so a report is reproducible.

Per-second windows of one cell are not independent (a backlog carries over from one second
to the next), so they are resampled in blocks (a circular block bootstrap, blocks of about
n^(1/3) seconds). Requests within one histogram are resampled as a multinomial draw over its
buckets, which keeps the HDR percentile's own definition.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from bgbench import hdr
from bgbench.hdr import IntArray, quantile_of_counts
from bgbench.results.model import FloatArray

SEED = 20250101
RESAMPLES = 2000
CONFIDENCE = 0.95
MIN_WINDOWS = 3  # fewer seconds than this and an interval would be an artefact


@dataclass(frozen=True, slots=True)
class Interval:
    """An estimate and its confidence interval; for a difference, zero means no change."""

    estimate: float
    low: float
    high: float
    confidence: float = CONFIDENCE

    @property
    def significant(self) -> bool:
        """The interval excludes zero."""
        return self.low > 0 or self.high < 0


def _bounds(draws: FloatArray) -> tuple[float, float]:
    tail = (1 - CONFIDENCE) / 2
    low, high = np.quantile(draws, [tail, 1 - tail])
    return float(low), float(high)


def _block_means(samples: FloatArray, rng: np.random.Generator) -> FloatArray:
    """RESAMPLES means of circular block resamples of `samples`."""
    n = len(samples)
    block = max(1, round(n ** (1 / 3)))
    blocks = math.ceil(n / block)
    starts = rng.integers(0, n, size=(RESAMPLES, blocks, 1))
    indices = ((starts + np.arange(block)) % n).reshape(RESAMPLES, blocks * block)[:, :n]
    means: FloatArray = samples[indices].mean(axis=1)
    return means


def enough(*samples: FloatArray) -> bool:
    return all(len(s) >= MIN_WINDOWS for s in samples)


def mean_interval(samples: FloatArray, seed: int = SEED) -> Interval:
    draws = _block_means(samples, np.random.default_rng(seed))
    return Interval(float(samples.mean()), *_bounds(draws))


def mean_difference(before: FloatArray, after: FloatArray, seed: int = SEED) -> Interval:
    """mean(after) − mean(before), the two resampled independently."""
    rng = np.random.default_rng(seed)
    draws = _block_means(after, rng) - _block_means(before, rng)
    return Interval(float(after.mean() - before.mean()), *_bounds(draws))


def relative_change(before: FloatArray, after: FloatArray, seed: int = SEED) -> Interval:
    """mean(after) / mean(before) − 1 (0.1 is 10% more), the two resampled independently."""
    rng = np.random.default_rng(seed)
    before_draws = _block_means(before, rng)
    after_draws = _block_means(after, rng)
    # A zero mean (e.g. no failures at all) has no relative change; the caller skips it.
    with np.errstate(divide="ignore", invalid="ignore"):
        draws = after_draws / before_draws - 1
    return Interval(float(after.mean() / before.mean() - 1), *_bounds(draws))


def _resampled_quantiles(
    values: FloatArray, counts: IntArray, percentile: float, rng: np.random.Generator
) -> FloatArray:
    draws = rng.multinomial(int(counts.sum()), counts / counts.sum(), size=RESAMPLES)
    quantiles: FloatArray = values[hdr.rank_index(np.cumsum(draws, axis=1), percentile)]
    return quantiles


def quantile_difference(
    before: tuple[FloatArray, IntArray],
    after: tuple[FloatArray, IntArray],
    percentile: float,
    seed: int = SEED,
) -> Interval:
    """The percentile of `after` minus that of `before`, each histogram's requests resampled."""
    rng = np.random.default_rng(seed)
    draws = _resampled_quantiles(*after, percentile, rng) - _resampled_quantiles(
        *before, percentile, rng
    )
    estimate = quantile_of_counts(*after, percentile) - quantile_of_counts(*before, percentile)
    return Interval(estimate, *_bounds(draws))


def proportion_interval(successes: int, trials: int) -> Interval:
    """Wilson's score interval: sound near 0 and 1, where the normal approximation is not."""
    z = NormalDist().inv_cdf(1 - (1 - CONFIDENCE) / 2)
    share = successes / trials
    centre = (share + z * z / (2 * trials)) / (1 + z * z / trials)
    spread = (z * math.sqrt(share * (1 - share) / trials + z * z / (4 * trials * trials))) / (
        1 + z * z / trials
    )
    # At 0 (or all) the bound is exactly 0 (or 1); floating point would leave a crumb.
    low = 0.0 if successes == 0 else centre - spread
    high = 1.0 if successes == trials else centre + spread
    return Interval(share, low, high)
