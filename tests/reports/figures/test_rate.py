from __future__ import annotations

from reports.figures.rate import RateLine, RatePoint, latency_vs_rate
from tests.reports.figures.lines import xs


def test_saturation_is_marked_where_it_starts() -> None:
    line = RateLine(
        "inline",
        "#5254a3",
        [
            RatePoint(250, 228 / 250, 260_000, saturated=True),
            RatePoint(50, 1.0, 204_000, saturated=False),
            RatePoint(100, 1.0, 206_000, saturated=False),
        ],
    )
    latency, achieved = latency_vs_rate("t", [line]).axes[:2]
    assert latency.get_xscale() == latency.get_yscale() == "log"
    drawn = latency.get_lines()
    assert xs(drawn[0]) == [50, 100, 250]  # sorted by rate
    assert xs(drawn[1]) == [250]  # the saturated point, an X
    assert drawn[1].get_marker() == "X"
    assert xs(drawn[2]) == [250, 250]  # where it starts to saturate
    assert achieved.get_ylabel() == "achieved / scheduled rate (share)"
