"""Counts and HDR histograms (µs) of a set of requests, and their lossless wire form.

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
    send_lag: str | None


@dataclass(slots=True)
class Tally:
    count: int = 0  # answered requests, failed or not (a histogram holds each one)
    failures: int = 0
    dropped: int = 0  # open model: not sent, the in-flight cap was reached
    unfinished: int = 0  # sent, still unanswered when the test stopped
    statuses: Counter[str] = field(default_factory=Counter)  # HTTP status, "0" = no answer
    uncorrected: HdrHistogram = field(default_factory=new_histogram)  # from the actual send
    # Only scheduled (open-model) requests have these two, so both are None until one comes
    # (a drop too: a tally of scheduled requests has them, if empty) and are created together.
    corrected: HdrHistogram | None = None  # from the intended send
    # Actual send - intended send of every scheduled request sent, answered (count) or not
    # (unfinished): the generator's own lateness, which corrected latency includes.
    send_lag: HdrHistogram | None = None

    def record(
        self, uncorrected_us: float, lag_us: float | None, *, failed: bool, status: int
    ) -> None:
        """One answered request; `lag_us` its send lag, None if it was not scheduled."""
        self.count += 1
        self.failures += failed
        self.statuses[str(status)] += 1
        record_us(self.uncorrected, uncorrected_us)
        if lag_us is not None:
            # Read the attributes rather than call _scheduled(): no tuple per request.
            corrected, send_lag = self.corrected, self.send_lag
            if corrected is None or send_lag is None:
                corrected, send_lag = self._scheduled()
            record_us(corrected, uncorrected_us + lag_us)
            record_us(send_lag, lag_us)

    def drop(self) -> None:
        self.dropped += 1
        self._scheduled()  # never sent: no send lag, but a scheduled request all the same

    def unfinish(self, *, scheduled: bool) -> None:
        """A request sent but unanswered at the stop. It has no latency, and no send lag
        either: one killed at the stop may not have left at all (its greenlet often first
        runs once Locust is stopping, 10-30 ms after it was due: the stop's lag, not the
        schedule's)."""
        self.unfinished += 1
        if scheduled:
            self._scheduled()

    def _scheduled(self) -> tuple[HdrHistogram, HdrHistogram]:
        if self.corrected is None:
            self.corrected = new_histogram()
        if self.send_lag is None:
            self.send_lag = new_histogram()
        return self.corrected, self.send_lag

    def add(self, other: Tally) -> None:
        self.count += other.count
        self.failures += other.failures
        self.dropped += other.dropped
        self.unfinished += other.unfinished
        self.statuses.update(other.statuses)
        self.uncorrected.add(other.uncorrected)
        if other.corrected is not None or other.send_lag is not None:
            corrected, send_lag = self._scheduled()
            if other.corrected is not None:
                corrected.add(other.corrected)
            if other.send_lag is not None:
                send_lag.add(other.send_lag)

    def to_wire(self) -> TallyWire:
        return {
            "count": self.count,
            "failures": self.failures,
            "dropped": self.dropped,
            "unfinished": self.unfinished,
            "statuses": dict(self.statuses),
            "uncorrected": encode(self.uncorrected),
            "corrected": _encode(self.corrected),
            "send_lag": _encode(self.send_lag),
        }

    @classmethod
    def from_wire(cls, wire: TallyWire) -> Tally:
        return cls(
            count=wire["count"],
            failures=wire["failures"],
            dropped=wire["dropped"],
            unfinished=wire["unfinished"],
            statuses=Counter(wire["statuses"]),
            uncorrected=decode(wire["uncorrected"]),
            corrected=_decode(wire["corrected"]),
            send_lag=_decode(wire["send_lag"]),
        )


def _encode(histogram: HdrHistogram | None) -> str | None:
    return None if histogram is None else encode(histogram)


def _decode(encoded: str | None) -> HdrHistogram | None:
    return None if encoded is None else decode(encoded)


def merge_wire(tallies: list[TallyWire]) -> TallyWire:
    total = Tally()
    for wire in tallies:
        total.add(Tally.from_wire(wire))
    return total.to_wire()
