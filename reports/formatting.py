"""How numbers are written in the report, the findings and the comparison: one place, so a
duration reads the same everywhere, and written out in full, never as an exponent
(`+1.23e+03%` is a number nobody reads at a glance)."""

from __future__ import annotations

import re
from collections.abc import Callable

from bgbench.units import duration, significant
from reports.stats import Interval

__all__ = ["anchor", "duration", "interval_text", "number", "plural", "share", "significant"]


def signed_duration(us: float) -> str:
    return ("+" if us >= 0 else "-") + duration(abs(us))


def number(value: float) -> str:
    """A count in full (16, 1,200, 250,000), or to 3 significant digits when not whole."""
    return f"{value:,.0f}" if float(value).is_integer() else significant(value)


def plural(count: float, noun: str) -> str:
    return f"{number(count)} {noun}" if count == 1 else f"{number(count)} {noun}s"


def share(value: float) -> str:
    """A share as a percentage to 3 significant digits: 0.123%, 4.56%, 50%, 1,230%."""
    return f"{significant(value * 100)}%"


def signed_share(value: float) -> str:
    return ("+" if value >= 0 else "-") + share(abs(value))


def anchor(heading: str) -> str:
    """The fragment GitHub links a Markdown heading by: lower case, punctuation dropped, each
    space a hyphen. The HTML page gives its headings the same ids, so `#all-cells` finds the
    same section in index.html and in report.md."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


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
