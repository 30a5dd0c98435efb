from __future__ import annotations

from reports.style import STRATEGY_COLOURS, strategy_colour


def test_one_colour_per_strategy_and_stable_for_new_ones() -> None:
    assert len(set(STRATEGY_COLOURS.values())) == len(STRATEGY_COLOURS)
    assert strategy_colour("background") == "#1f77b4"
    assert strategy_colour("something_new") == strategy_colour("something_new")
