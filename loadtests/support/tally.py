"""Counts and HDR latency histograms (µs) of a set of requests, and their lossless wire form.

One `Tally` holds what a recorder saw for one request name in one second, or what the master
summed over workers; they all add up the same way, which is what makes merging lossless.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TypedDict

from hdrh.histogram import HdrHistogram

from bgbench.hdr import decode, encode, new_histogram, record_us


class TallyWire(TypedDict):
    """A Tally as JSON / msgpack: histograms in the standard compressed base64 encoding."""

    count: int
    failures: int
    dropped: int
    unfinished: int
    statuses: dict[str, int]
    uncorrected: str
    corrected: str | None


@dataclass(slots=True)
class Tally:
    count: int = 0  # answered requests, failed or not (a histogram holds each one)
    failures: int = 0
    dropped: int = 0  # open model: not sent, the in-flight cap was reached
    unfinished: int = 0  # sent, still unanswered when the test stopped
    statuses: Counter[str] = field(default_factory=Counter)  # HTTP status, "0" = no answer
    uncorrected: HdrHistogram = field(default_factory=new_histogram)  # from the actual send
    corrected: HdrHistogram | None = None  # from the intended send; None: never scheduled

    def record(
        self, uncorrected_us: float, corrected_us: float | None, *, failed: bool, status: int
    ) -> None:
        self.count += 1
        self.failures += failed
        self.statuses[str(status)] += 1
        record_us(self.uncorrected, uncorrected_us)
        if corrected_us is not None:
            record_us(self._scheduled(), corrected_us)

    def drop(self) -> None:
        self.dropped += 1
        self._scheduled()

    def unfinish(self, *, scheduled: bool) -> None:
        self.unfinished += 1
        if scheduled:
            self._scheduled()

    def _scheduled(self) -> HdrHistogram:
        if self.corrected is None:
            self.corrected = new_histogram()
        return self.corrected

    def add(self, other: Tally) -> None:
        self.count += other.count
        self.failures += other.failures
        self.dropped += other.dropped
        self.unfinished += other.unfinished
        self.statuses.update(other.statuses)
        self.uncorrected.add(other.uncorrected)
        if other.corrected is not None:
            self._scheduled().add(other.corrected)

    def to_wire(self) -> TallyWire:
        return {
            "count": self.count,
            "failures": self.failures,
            "dropped": self.dropped,
            "unfinished": self.unfinished,
            "statuses": dict(self.statuses),
            "uncorrected": encode(self.uncorrected),
            "corrected": None if self.corrected is None else encode(self.corrected),
        }

    @classmethod
    def from_wire(cls, wire: TallyWire) -> Tally:
        corrected = wire["corrected"]
        return cls(
            count=wire["count"],
            failures=wire["failures"],
            dropped=wire["dropped"],
            unfinished=wire["unfinished"],
            statuses=Counter(wire["statuses"]),
            uncorrected=decode(wire["uncorrected"]),
            corrected=None if corrected is None else decode(corrected),
        )


def merge_wire(tallies: list[TallyWire]) -> TallyWire:
    total = Tally()
    for wire in tallies:
        total.add(Tally.from_wire(wire))
    return total.to_wire()
