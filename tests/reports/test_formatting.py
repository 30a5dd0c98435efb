from __future__ import annotations

import pytest

from bgbench.units import duration
from reports.formatting import interval_text, plural, signed_duration
from reports.stats import Interval


@pytest.mark.parametrize(
    ("us", "text"),
    [(850, "850 µs"), (4100, "4.1 ms"), (201_900, "202 ms"), (1_121_000, "1.12 s")],
)
def test_duration(us: float, text: str) -> None:
    assert duration(us) == text


def test_signed() -> None:
    assert signed_duration(-500) == "-500 µs"


def test_interval_says_not_significant() -> None:
    assert interval_text(Interval(50, -95, 182)) == (
        "+50 µs (95% CI -95 µs to +182 µs, not significant)"
    )
    assert interval_text(Interval(0.5, 0.45, 0.55), as_share=True) == ("+50% (95% CI +45% to +55%)")


def test_plural() -> None:
    assert plural(1, "worker") == "1 worker"
    assert plural(16, "worker") == "16 workers"
