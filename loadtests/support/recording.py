"""Every response into HDR histograms, per request name and per second, at full resolution.

A `Recorder` lives in each load-generating process. It keeps a `Tally` per (second, name),
the second being the epoch second in which the request was meant to be sent (open model) or
was sent (closed model), and hands them over with `drain()` as a `Snapshot`: per name, per
second (probe requests apart) and the warm-up counts. Draining empties the recorder, so a
snapshot holds each response exactly once: shipping snapshots from workers to the master
(every few seconds, and a last one when they stop) and adding them up loses nothing.

Each scheduled request sent, answered or not, also leaves its send lag (how late the
generator sent it): past what one process can send, that lateness is what corrected latency
measures, and only this histogram says so.

Requests meant to start before `measure_from` (the warm-up) are only counted, under `warmup`,
so that the counts still add up to Locust's own.

Each snapshot also carries the CPU its process used since the previous one: on a worker on
another machine, no one else can measure it, and a saturated worker sends late.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, TypedDict

from loadtests.support.tally import Tally, TallyWire

WARMUP_KEYS = ("count", "failures", "dropped", "unfinished")


class NameWire(TypedDict):
    probe: bool
    tally: TallyWire


class CpuWire(TypedDict):
    """The process's CPU time (all its threads) between two epoch times."""

    since: float
    until: float
    cpu_s: float


class Snapshot(TypedDict):
    """A recorder's content, ready for msgpack (worker -> master) or JSON."""

    run: float  # the started_at of the test run it belongs to
    names: dict[str, NameWire]
    seconds: list[tuple[int, TallyWire]]  # probe requests left out
    probe_seconds: list[tuple[int, TallyWire]]  # the probe requests alone
    warmup: dict[str, int]  # count, failures, dropped, unfinished
    cpu: CpuWire  # since the previous drain (the first: since the recorder was made)


@dataclass(frozen=True, slots=True)
class Mark:
    """What a user tells the recorder about a request, in the request's Locust `context`."""

    KEY: ClassVar[str] = "bgbench"
    at: float  # epoch seconds: when it was meant to be sent, or was sent if not scheduled
    lag_us: float | None  # how late it was sent (µs, >= 0); None: not scheduled (closed model)
    probe: bool = False


# Not frozen: one is made per answered request, and a frozen dataclass sets each field through
# object.__setattr__, which made it 2.5x as slow to build (1.0 µs against 0.4 µs here).
@dataclass(slots=True)
class Outcome:
    """One answered request, as the request event reports it."""

    name: str
    at: float  # epoch seconds: intended send time, or actual send time if unscheduled
    uncorrected_us: float  # from the actual send
    lag_us: float | None  # send lag (actual - intended send); None: not scheduled
    failed: bool
    status: int
    probe: bool


class Recorder:
    def __init__(self, run: float, measure_from: float) -> None:
        self.run = run
        self.measure_from = measure_from
        self._tallies: defaultdict[tuple[int, str], Tally] = defaultdict(Tally)
        self._probes: set[str] = set()
        self._warmup: Counter[str] = Counter()
        self._cpu_from = (time.time(), time.process_time())

    def _tally(self, name: str, at: float, probe: bool) -> Tally:
        if probe:
            self._probes.add(name)
        return self._tallies[int(at), name]

    def record(self, outcome: Outcome) -> None:
        if outcome.at < self.measure_from:
            self._warmup.update(count=1, failures=outcome.failed)
            return
        self._tally(outcome.name, outcome.at, outcome.probe).record(
            outcome.uncorrected_us,
            outcome.lag_us,
            failed=outcome.failed,
            status=outcome.status,
        )

    def drop(self, name: str, at: float, *, probe: bool) -> None:
        if at < self.measure_from:
            self._warmup["dropped"] += 1
        else:
            self._tally(name, at, probe).drop()

    def unfinish(self, name: str, at: float, *, probe: bool, scheduled: bool) -> None:
        """A request sent but unanswered at the stop (see `Tally.unfinish`)."""
        if at < self.measure_from:
            self._warmup["unfinished"] += 1
        else:
            self._tally(name, at, probe).unfinish(scheduled=scheduled)

    def drain(self, pause: Callable[[], None] = lambda: None) -> Snapshot:
        """Everything recorded since the last drain, encoded. `pause` runs between one
        tally's encoding and the next: the load generator's event loop passes a yield there,
        so that sending (due every few ms) never waits for the whole drain (~10 ms)."""
        tallies, self._tallies = self._tallies, defaultdict(Tally)
        warmup, self._warmup = self._warmup, Counter()
        (since, cpu_since), now = self._cpu_from, (time.time(), time.process_time())
        self._cpu_from = now
        names: defaultdict[str, Tally] = defaultdict(Tally)
        seconds: defaultdict[int, Tally] = defaultdict(Tally)
        probe_seconds: defaultdict[int, Tally] = defaultdict(Tally)
        for (second, name), tally in tallies.items():
            names[name].add(tally)
            (probe_seconds if name in self._probes else seconds)[second].add(tally)

        def encoded(tally: Tally) -> TallyWire:
            wire = tally.to_wire()  # three HDR encodings: about 1 ms
            pause()
            return wire

        return {
            "run": self.run,
            "names": {
                name: {"probe": name in self._probes, "tally": encoded(tally)}
                for name, tally in names.items()
            },
            "seconds": [(second, encoded(tally)) for second, tally in sorted(seconds.items())],
            "probe_seconds": [
                (second, encoded(tally)) for second, tally in sorted(probe_seconds.items())
            ],
            "warmup": {key: warmup[key] for key in WARMUP_KEYS},
            "cpu": {"since": since, "until": now[0], "cpu_s": now[1] - cpu_since},
        }
