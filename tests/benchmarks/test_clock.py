from __future__ import annotations

import pytest

from benchmarks.clock import PausableClock


class FakeSource:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_reads_the_source_when_nothing_is_excluded() -> None:
    source = FakeSource()
    clock = PausableClock(source)
    start = clock()
    source.now += 2.5
    assert clock() - start == 2.5


def test_a_stretch_between_two_readings_is_left_out() -> None:
    source = FakeSource()
    clock = PausableClock(source)
    start = clock()
    clock.exclude(101.0, 104.0)
    source.now = 110.0
    assert clock() - start == 7.0


def test_excluding_from_leaves_out_everything_until_the_block_ends() -> None:
    source = FakeSource()
    clock = PausableClock(source)
    start = clock()
    source.now += 1.0  # timed
    with clock.excluding_from(source()):
        source.now += 30.0  # left out
    source.now += 2.0  # timed
    assert clock() - start == 3.0


def test_excluding_from_leaves_the_stretch_out_when_the_block_raises() -> None:
    source = FakeSource()
    clock = PausableClock(source)
    start = clock()

    def fail_inside() -> None:
        with clock.excluding_from(source()):
            source.now += 5.0
            raise RuntimeError

    with pytest.raises(RuntimeError):
        fail_inside()
    assert clock() - start == 0.0


def test_a_stretch_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValueError, match="cannot end"):
        PausableClock(FakeSource()).exclude(2.0, 1.0)
