from __future__ import annotations

from reports.style import (
    FLAGGED_COLOUR,
    STRATEGY_COLOURS,
    distinct_colours,
    strategy_colour,
    strategy_colours,
    workload_colours,
)


def test_one_colour_per_strategy_and_stable_for_new_ones() -> None:
    assert len(set(STRATEGY_COLOURS.values())) == len(STRATEGY_COLOURS)
    assert strategy_colour("background") == "#1f77b4"
    assert strategy_colour("something_new") == strategy_colour("something_new")


def test_a_series_alone_keeps_its_strategys_colour() -> None:
    assert strategy_colours(["none", "background", "executor"]) == [
        STRATEGY_COLOURS["none"],
        STRATEGY_COLOURS["background"],
        STRATEGY_COLOURS["executor"],
    ]
    assert strategy_colours(["background"], [True]) == [FLAGGED_COLOUR]


def test_series_of_one_strategy_get_shades_of_its_colour() -> None:
    # executor ×1, ×2, ×4 and ×5 beside background: four greens, dark to light, one of them
    # the executor's own.
    colours = strategy_colours(["background", "executor", "executor", "executor", "executor"])
    assert len(set(colours)) == len(colours)
    greens = colours[1:]
    assert STRATEGY_COLOURS["executor"] in greens
    assert greens == sorted(greens, key=lambda c: sum(int(c[i : i + 2], 16) for i in (1, 3, 5)))
    for shade in greens:
        red, green, blue = (int(shade[i : i + 2], 16) for i in (1, 3, 5))
        assert green > max(red, blue)  # still green


def test_flagged_series_are_distinct_greys() -> None:
    colours = strategy_colours(["executor", "executor", "queue"], [True, False, True])
    assert len(set(colours)) == 3
    assert colours[1] == STRATEGY_COLOURS["executor"]
    for grey in (colours[0], colours[2]):
        assert grey[1:3] == grey[3:5] == grey[5:7]


def _colliding_names() -> tuple[str, str]:
    """Two new strategy names whose fallback colours are the same."""
    seen: dict[str, str] = {}
    for i in range(100):
        name = f"new_{i}"
        colour = strategy_colour(name)
        if colour in seen:
            return seen[colour], name
        seen[colour] = name
    raise AssertionError("no collision in 100 names")


def test_new_names_that_hash_alike_still_differ() -> None:
    first, second = _colliding_names()
    assert strategy_colour(first) == strategy_colour(second)
    colours = strategy_colours([first, second, second])
    assert len(set(colours)) == 3
    assert colours[0] == strategy_colour(first)


def test_many_series_all_differ() -> None:
    strategies = [*["executor"] * 12, *["queue"] * 6, *STRATEGY_COLOURS, "new_a", "new_b"]
    flagged = [i % 5 == 0 for i in range(len(strategies))]
    for colours in (strategy_colours(strategies), strategy_colours(strategies, flagged)):
        assert len(set(colours)) == len(strategies)
    assert len(set(workload_colours(["sleep", "cpu", "db", "sleep", "new"]))) == 5
    # Families that are plain colours (a palette, cycled): the second time round, shades.
    assert len(set(distinct_colours(["#1f77b4", "#ff7f0e"] * 4, lambda c: c))) == 8
