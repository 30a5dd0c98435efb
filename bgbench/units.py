"""Durations in words, for every message and table that shows one."""

from __future__ import annotations


def duration(us: float) -> str:
    """Microseconds in the unit that keeps 3 significant digits readable."""
    magnitude = abs(us)
    if magnitude < 1000:
        return f"{us:.0f} µs"
    if magnitude < 1_000_000:
        return f"{us / 1000:.3g} ms"
    if magnitude < 1000 * 1_000_000:
        return f"{us / 1_000_000:.3g} s"
    # Past 1,000 s a general format would switch to an exponent (1.23e+03 s): whole seconds.
    return f"{us / 1_000_000:,.0f} s"
