"""How numbers are written in the report, the findings and the comparison: one place, so a
duration reads the same everywhere."""

from __future__ import annotations

from collections.abc import Callable

from bgbench.units import duration
from reports.stats import Interval


def signed_duration(us: float) -> str:
    return ("+" if us >= 0 else "-") + duration(abs(us))


def plural(count: float, noun: str) -> str:
    return f"{count:g} {noun}" if count == 1 else f"{count:g} {noun}s"


def share(value: float) -> str:
    return f"{value * 100:.3g}%"


def signed_share(value: float) -> str:
    return ("+" if value >= 0 else "-") + share(abs(value))


def interval_text(
    interval: Interval, signed: bool = True, as_share: bool = False, say_significance: bool = True
) -> str:
    """`+900 µs (95% CI +700 µs to +1.1 ms)`, and `not significant` when the CI spans 0
    (unless the caller says it elsewhere)."""
    writers: dict[tuple[bool, bool], Callable[[float], str]] = {
        (True, True): signed_share,
        (True, False): share,
        (False, True): signed_duration,
        (False, False): duration,
    }
    write = writers[as_share, signed]
    text = (
        f"{write(interval.estimate)} ({interval.confidence:.0%} CI "
        f"{write(interval.low)} to {write(interval.high)}"
    )
    quiet = interval.significant or not signed or not say_significance
    return text + (")" if quiet else ", not significant)")
