from __future__ import annotations

import pytest

from bgbench.units import duration as units_duration
from reports.formatting import (
    anchor,
    duration,
    interval_text,
    plural,
    share,
    signed_duration,
    signed_share,
    significant,
)
from reports.stats import Interval


@pytest.mark.parametrize(
    ("us", "text"),
    [(850, "850 µs"), (4100, "4.1 ms"), (201_900, "202 ms"), (1_121_000, "1.12 s")],
)
def test_duration(us: float, text: str) -> None:
    assert duration(us) == text
    assert units_duration(us) == text  # where bgbench.units writes no exponent, the same


@pytest.mark.parametrize(
    ("us", "text"),
    [
        (0, "0 µs"),
        (999.4, "999 µs"),
        (999.7, "1 ms"),  # not 1000 µs
        (999_499, "999 ms"),
        (999_700, "1 s"),  # not 1e+03 ms
        (59_940_000, "59.9 s"),
        (999_700_000, "1,000 s"),  # not 1e+03 s
        (1_234_400_000, "1,234 s"),  # whole seconds, not 1.23e+03 s
        (86_400_000_000, "86,400 s"),
    ],
)
def test_duration_never_writes_an_exponent(us: float, text: str) -> None:
    assert duration(us) == text


def test_signed() -> None:
    assert signed_duration(-500) == "-500 µs"
    assert signed_duration(-2_500_000_000) == "-2,500 s"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0%"),
        (0.0001, "0.01%"),
        (0.00123, "0.123%"),
        (0.0456, "4.56%"),
        (0.5, "50%"),
        (1, "100%"),
        (9.9996, "1,000%"),  # rounds up to a thousand: no 1e+03
        (12.3, "1,230%"),
        (12.345, "1,230%"),  # 3 significant digits, however large
        (1234.5, "123,000%"),
        (-0.5, "-50%"),
        (-12.3, "-1,230%"),
        (1e-7, "0.00001%"),
    ],
)
def test_share(value: float, text: str) -> None:
    assert share(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "+0%"),
        (0.0001, "+0.01%"),
        (0.0456, "+4.56%"),
        (12.3, "+1,230%"),
        (1234.5, "+123,000%"),
        (-0.00123, "-0.123%"),
        (-12.3, "-1,230%"),
    ],
)
def test_signed_share(value: float, text: str) -> None:
    assert signed_share(value) == text


def test_significant() -> None:
    assert significant(-0.0) == "0"
    assert significant(0.1234) == "0.123"
    assert significant(999.7) == "1,000"
    assert significant(1_234_567, digits=4) == "1,235,000"
    assert significant(float("inf")) == "inf"


def test_interval_says_not_significant() -> None:
    assert interval_text(Interval(50, -95, 182)) == (
        "+50 µs (95% CI -95 µs to +182 µs, not significant)"
    )
    assert interval_text(Interval(0.5, 0.45, 0.55), as_share=True) == ("+50% (95% CI +45% to +55%)")
    assert interval_text(Interval(12.3, 10.5, 14.1), as_share=True) == (
        "+1,230% (95% CI +1,050% to +1,410%)"
    )


def test_plural() -> None:
    assert plural(1, "worker") == "1 worker"
    assert plural(16, "worker") == "16 workers"
    assert plural(2_500_000, "task") == "2,500,000 tasks"  # a count in full, never 2.5e+06
    assert plural(2.5, "second") == "2.5 seconds"


@pytest.mark.parametrize(
    ("heading", "fragment"),
    [
        ("Findings", "findings"),
        ("All cells", "all-cells"),
        ("Flagged cells", "flagged-cells"),
        ("What's new: p99, ×2!", "whats-new-p99-2"),
        ("background_async (flagged)", "background_async-flagged"),
        ("Threads — and processes", "threads--and-processes"),  # one hyphen per space
    ],
)
def test_anchor_is_githubs(heading: str, fragment: str) -> None:
    assert anchor(heading) == fragment
