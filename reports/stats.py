"""Estimates and their confidence intervals: numpy only, a fixed seed, so a report is
reproducible.

A percentile is only ever computed the one valid way: from the merged histogram of every
request it covers. Its interval comes from a bootstrap that resamples *seconds* and merges the
resampled seconds' histograms. Seconds of one cell are not independent (a backlog carries over
from one second to the next), so they are drawn in circular blocks of about n^(1/3) seconds;
where a point has several repeats, the repeats are drawn first (with replacement) and then the
blocks within each, so the spread between runs counts too.

A percentile is not claimed from too few samples (`claimable`): below 10 / (1 − q) requests,
fewer than ten of them lie above it, and it is little more than the largest few.
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from bgbench import hdr, trend
from bgbench.hdr import IntArray
from bgbench.results.model import FloatArray

SEED = 20250101
RESAMPLES = 2000
CONFIDENCE = 0.95
POWER = 0.8  # for the minimum detectable effect
MIN_WINDOWS = 3  # fewer seconds than this and an interval would be an artefact
TAIL_SAMPLES = 10  # a percentile needs this many samples above it to be claimed
_CHUNK = 250  # resamples merged at once: bounds memory for wide histograms


def samples_needed(percentile: float) -> int:
    """The fewest samples a percentile is claimed from: 1,000 for the p99, 20 for the p50."""
    return math.ceil(TAIL_SAMPLES / (1 - percentile / 100) - 1e-9)


def claimable(count: int, percentile: float) -> bool:
    return count >= samples_needed(percentile)


@dataclass(frozen=True, slots=True)
class Interval:
    """An estimate and its confidence interval; for a difference, zero means no change.
    `p_value` (two-sided, from the bootstrap) is set for differences; `spread` is the
    bootstrap's standard error, from which a minimum detectable effect follows."""

    estimate: float
    low: float
    high: float
    confidence: float = CONFIDENCE
    p_value: float | None = None
    spread: float | None = None

    @property
    def significant(self) -> bool:
        """The interval excludes zero."""
        return self.low > 0 or self.high < 0

    @property
    def detectable(self) -> float | None:
        """The smallest true change this comparison would find 80% of the time at the 5%
        level, for a difference (its standard error is `spread`)."""
        return None if self.spread is None else detectable(self.spread)


def detectable(standard_error: float) -> float:
    """The minimum detectable effect of a difference with this standard error: (z(0.975) +
    z(0.8)) standard errors, about 2.8."""
    normal = NormalDist()
    return (normal.inv_cdf(1 - (1 - CONFIDENCE) / 2) + normal.inv_cdf(POWER)) * standard_error


def _interval(estimate: float, draws: FloatArray, *, difference: bool) -> Interval:
    finite = draws[np.isfinite(draws)]
    if len(finite) == 0:
        return Interval(estimate, math.nan, math.nan)
    tail = (1 - CONFIDENCE) / 2
    low, high = np.quantile(finite, [tail, 1 - tail])
    p_value = None
    if difference:
        # Two-sided percentile-bootstrap p-value, with the +1 that keeps it above zero.
        below = (np.count_nonzero(finite <= 0) + 1) / (len(finite) + 1)
        above = (np.count_nonzero(finite >= 0) + 1) / (len(finite) + 1)
        p_value = min(1.0, 2 * min(below, above))
    return Interval(
        estimate, float(low), float(high), p_value=p_value, spread=float(np.std(finite))
    )


# --- resampling seconds -----------------------------------------------------------------


def _block_weights(n: int, rng: np.random.Generator) -> IntArray:
    """RESAMPLES × n: how often each of n seconds is drawn in a circular block resample."""
    block = max(1, round(n ** (1 / 3)))
    blocks = math.ceil(n / block)
    starts = rng.integers(0, n, size=(RESAMPLES, blocks, 1))
    drawn = ((starts + np.arange(block)) % n).reshape(RESAMPLES, blocks * block)[:, :n]
    flat = (drawn + (np.arange(RESAMPLES)[:, None] * n)).ravel()
    weights: IntArray = np.bincount(flat, minlength=RESAMPLES * n).reshape(RESAMPLES, n)
    return weights


def resample_weights(repeat: IntArray, rng: np.random.Generator) -> IntArray:
    """RESAMPLES × seconds: how often each second is drawn. With several repeats, the repeats
    are drawn with replacement, then blocks of seconds within each one drawn."""
    groups = np.unique(repeat)
    weights = np.zeros((RESAMPLES, len(repeat)), dtype=np.int64)
    times = (
        rng.multinomial(len(groups), np.full(len(groups), 1 / len(groups)), size=RESAMPLES)
        if len(groups) > 1
        else np.ones((RESAMPLES, 1), dtype=np.int64)
    )
    for g, group in enumerate(groups):
        where = np.flatnonzero(repeat == group)
        weights[:, where] = times[:, g : g + 1] * _block_weights(len(where), rng)
    return weights


@functools.cache
def _value_counts(encoded: str) -> tuple[IntArray, IntArray]:
    # Decoding is the slow part, and every finding and figure asks for the same seconds.
    values, counts = hdr.value_counts(hdr.decode(encoded))
    values.flags.writeable = counts.flags.writeable = False
    return values, counts


@dataclass(frozen=True, slots=True)
class Seconds:
    """One series of one point, second by second, on one value grid: `counts[s, v]` requests
    of second s fell in the bucket whose value is `values[v]`; `repeat[s]` is the repeat that
    second belongs to. What a percentile and its bootstrap are computed from."""

    values: FloatArray
    counts: IntArray
    repeat: IntArray

    @classmethod
    def of(cls, repeats: Sequence[Sequence[str | None]]) -> Seconds | None:
        """From each repeat's encoded per-second histograms (None: nothing that second);
        None if nothing at all was recorded."""
        return _seconds_of(tuple(tuple(seconds) for seconds in repeats))

    @property
    def total(self) -> int:
        return int(self.counts.sum())

    @property
    def seconds(self) -> int:
        return len(self.repeat)

    def quantile(self, percentile: float) -> float:
        """The percentile of every request, merged: exactly the whole histogram's."""
        return hdr.quantile_of_counts(self.values, self.counts.sum(axis=0), percentile)

    def digest(self) -> bytes:
        """A fingerprint of the data: its resamples are seeded from it, so the same seconds
        always resample the same way (a run against itself: no difference at all), and
        different data never share a resampling pattern."""
        hashed = hashlib.blake2b(digest_size=16)
        for array in (self.values, self.counts, self.repeat):
            hashed.update(np.ascontiguousarray(array).tobytes())
        return hashed.digest()

    def draws(self, percentile: float) -> FloatArray:
        """RESAMPLES bootstrap values of the percentile (NaN where a resample drew only
        empty seconds)."""
        return _draws(self, self.digest(), percentile)


# Keyed by the data's digest: a point compared with several others is resampled once.
_DRAWS: dict[tuple[bytes, float], FloatArray] = {}


def _draws(seconds: Seconds, digest: bytes, percentile: float) -> FloatArray:
    known = _DRAWS.get((digest, percentile))
    if known is not None:
        return known
    rng = np.random.default_rng([SEED, *digest])
    weights = resample_weights(seconds.repeat, rng).astype(np.float64)
    # Merging is adding counts, so the merged cumulative counts are the weighted sum of each
    # second's cumulative counts: one product, no cumulative sum per resample.
    cumulative = np.cumsum(seconds.counts, axis=1).astype(np.float64)
    found = np.empty(RESAMPLES)
    for start in range(0, RESAMPLES, _CHUNK):
        merged = weights[start : start + _CHUNK] @ cumulative
        index = np.minimum(
            hdr.rank_index(merged.astype(np.int64), percentile), len(seconds.values) - 1
        )
        chunk = seconds.values[index]
        chunk[merged[:, -1] == 0] = math.nan
        found[start : start + len(chunk)] = chunk
    found.flags.writeable = False
    if len(_DRAWS) > 4096:  # a long report: keep memory bounded
        _DRAWS.clear()
    _DRAWS[(digest, percentile)] = found
    return found


@functools.cache
def _seconds_of(repeats: tuple[tuple[str | None, ...], ...]) -> Seconds | None:
    # A point's level, its comparisons and the checks before them all ask for the same
    # seconds: the grid is built once per set of encodings, and shared (read-only).
    decoded = [
        (r, _value_counts(encoded))
        for r, seconds in enumerate(repeats)
        for encoded in seconds
        if encoded
    ]
    if not decoded:
        return None
    values = np.unique(np.concatenate([v for _, (v, _) in decoded]))
    counts = np.zeros((len(decoded), len(values)), dtype=np.int64)
    for row, (_, (v, c)) in enumerate(decoded):
        counts[row, np.searchsorted(values, v)] = c
    if counts.sum() == 0:
        return None
    repeat = np.array([r for r, _ in decoded], dtype=np.int64)
    found = Seconds(values.astype(np.float64), counts, repeat)
    for array in (found.values, found.counts, found.repeat):
        array.flags.writeable = False
    return found


def enough_seconds(*series: Seconds | None) -> bool:
    return all(s is not None and s.seconds >= MIN_WINDOWS for s in series)


def quantile_interval(seconds: Seconds, percentile: float) -> Interval:
    return _interval(seconds.quantile(percentile), seconds.draws(percentile), difference=False)


def quantile_change(
    before: Seconds, after: Seconds, percentile: float, *, relative: bool = False
) -> Interval:
    """after − before of the percentile (µs), or with `relative` after / before − 1 (0.1 is
    10% more); the two resampled independently (each from its own data's seed)."""
    a, b = before.draws(percentile), after.draws(percentile)
    base, new = before.quantile(percentile), after.quantile(percentile)
    if relative:
        with np.errstate(divide="ignore", invalid="ignore"):
            return _interval(new / base - 1, b / a - 1, difference=True)
    return _interval(new - base, b - a, difference=True)


# --- means of per-second counts (rates), and slopes --------------------------------------


def _block_means(samples: FloatArray, rng: np.random.Generator) -> FloatArray:
    weights = _block_weights(len(samples), rng).astype(np.float64)
    means: FloatArray = weights @ samples / weights.sum(axis=1)
    return means


def enough(*samples: FloatArray) -> bool:
    return all(len(s) >= MIN_WINDOWS for s in samples)


def mean_interval(samples: FloatArray, seed: int = SEED) -> Interval:
    """The mean of a per-second count (a rate: requests, completions) and its interval. Never
    a mean of per-second percentiles: those are `quantile_interval`'s."""
    draws = _block_means(samples, np.random.default_rng(seed))
    return _interval(float(samples.mean()), draws, difference=False)


def relative_change(before: FloatArray, after: FloatArray, seed: int = SEED) -> Interval:
    """mean(after) / mean(before) − 1 of a per-second count, the two resampled independently."""
    rng = np.random.default_rng(seed)
    a, b = _block_means(before, rng), _block_means(after, rng)
    with np.errstate(divide="ignore", invalid="ignore"):
        return _interval(float(after.mean() / before.mean() - 1), b / a - 1, difference=True)


def slope_interval(t: FloatArray, y: FloatArray, seed: int = SEED) -> Interval:
    """The least-squares slope of y over t (per second, e.g. a backlog's growth), its interval
    from (t, y) pairs resampled in blocks."""
    weights = _block_weights(len(t), np.random.default_rng(seed)).astype(np.float64)
    total = weights.sum(axis=1)
    mean_t, mean_y = weights @ t / total, weights @ y / total
    covariance = weights @ (t * y) / total - mean_t * mean_y
    variance = weights @ (t * t) / total - mean_t**2
    with np.errstate(divide="ignore", invalid="ignore"):
        draws = covariance / variance
    estimate = trend.slope(t, y)
    return _interval(estimate, draws, difference=True)


# --- proportions and multiple comparisons -------------------------------------------------


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


def share_change(before: tuple[int, int], after: tuple[int, int]) -> Interval:
    """after's share / before's − 1 of two (successes, trials), its interval from the log of
    the ratio (delta method), as for a risk ratio. Every trial a success on both sides: no
    change, and no width."""
    (a, n), (b, m) = before, after
    pa, pb = a / n, b / m
    if pa == 0 or pb == 0:
        return Interval(math.nan, math.nan, math.nan)
    variance = (1 - pa) / a + (1 - pb) / b  # of log(pb / pa)
    z = NormalDist().inv_cdf(1 - (1 - CONFIDENCE) / 2)
    log_ratio = math.log(pb / pa)
    half = z * math.sqrt(variance)
    p_value = (
        1.0 if variance == 0 else 2 * (1 - NormalDist().cdf(abs(log_ratio) / math.sqrt(variance)))
    )
    return Interval(
        pb / pa - 1,
        math.exp(log_ratio - half) - 1,
        math.exp(log_ratio + half) - 1,
        p_value=p_value,
        spread=(pb / pa) * math.sqrt(variance),
    )


FDR = 0.05
CORRECTION = f"Benjamini–Hochberg, false discovery rate {FDR:.0%}"


def discoveries(p_values: Sequence[float]) -> list[bool]:
    """Which of a family of tests are discoveries under Benjamini–Hochberg at FDR: the
    largest k with p(k) ≤ k/m × FDR, and every smaller p with it."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    passed = [rank for rank, i in enumerate(order, 1) if p_values[i] <= rank / m * FDR]
    cut = max(passed, default=0)
    found = [False] * m
    for rank, i in enumerate(order, 1):
        found[i] = rank <= cut
    return found
