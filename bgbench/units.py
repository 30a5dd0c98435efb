"""Numbers in words, for every message and table that shows one: three significant digits in
plain decimals, never an exponent (`1.23e+03 s` is a number nobody reads at a glance)."""

from __future__ import annotations

import math

SIGNIFICANT_DIGITS = 3


def significant(value: float, digits: int = SIGNIFICANT_DIGITS) -> str:
    """`value` to `digits` significant digits in plain decimals, thousands separated:
    0.123, 4.56, 1,230. Python's `g` would write 1.23e+03 from 10**digits on."""
    if value == 0:
        return "0"  # and not -0
    if not math.isfinite(value):
        return f"{value:g}"
    # Round first: 999.7 rounds up to 1,000, and the decimals shown follow the rounded value.
    rounded = float(f"{value:.{digits}g}")
    decimals = max(digits - 1 - math.floor(math.log10(abs(rounded))), 0)
    text = f"{rounded:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def duration(us: float) -> str:
    """Microseconds in the unit that keeps 3 significant digits readable: 850 µs, 4.1 ms,
    1.12 s, and whole seconds past 1,000 s (1,234 s). What rounds up to the next unit (999.7
    µs, 999.7 ms) is written in that unit."""
    if abs(us) < 999.5:  # what `.0f` would round up to 1000 µs is written 1 ms
        return f"{us:.0f} µs"
    if abs(float(f"{us / 1000:.{SIGNIFICANT_DIGITS}g}")) < 1000:
        return f"{significant(us / 1000)} ms"
    if abs(us) < 1_000_000_000:
        return f"{significant(us / 1_000_000)} s"
    return f"{us / 1_000_000:,.0f} s"
