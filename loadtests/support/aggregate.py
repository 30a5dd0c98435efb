"""The sum of the snapshots of one test run, from one process or from many workers.

Per request name the tallies are kept decoded (few names, added to often). Per second they
are kept encoded, because a long run has thousands of seconds and a decoded HDR histogram
takes ~190 kB; a second that two snapshots share (several workers, or a late answer) is
decoded, added and encoded again.

Per process it also keeps what that process alone measured (its requests of the measured
phase, the probe's left out) and the CPU it reported with each snapshot: in distributed mode
one late or saturated worker is otherwise hidden in the sum.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from loadtests.support.recording import WARMUP_KEYS, CpuWire, Snapshot
from loadtests.support.tally import Tally, TallyWire, merge_wire

LOCAL = "local"  # the source name of a process that records for itself (no master)


@dataclass(slots=True)
class Source:
    """What one load-generating process shipped: its own tally and its CPU, report by report."""

    measured: Tally = field(default_factory=Tally)
    cpu: list[CpuWire] = field(default_factory=list)


@dataclass(slots=True)
class Aggregate:
    run: float
    names: dict[str, Tally] = field(default_factory=dict)
    probes: set[str] = field(default_factory=set)
    seconds: dict[int, TallyWire] = field(default_factory=dict)
    probe_seconds: dict[int, TallyWire] = field(default_factory=dict)
    warmup: Counter[str] = field(default_factory=Counter)
    sources: dict[str, Source] = field(default_factory=dict)  # the processes heard from

    def absorb(self, snapshot: Snapshot, source: str) -> bool:
        """Add a snapshot of this run; False (and nothing added) for one of another run."""
        if snapshot["run"] != self.run:
            return False
        own = self.sources.setdefault(source, Source())
        own.cpu.append(snapshot["cpu"])
        for name, entry in snapshot["names"].items():
            tally = Tally.from_wire(entry["tally"])
            self.names.setdefault(name, Tally()).add(tally)
            if entry["probe"]:
                self.probes.add(name)
            else:
                own.measured.add(tally)
        for into, entries in (
            (self.seconds, snapshot["seconds"]),
            (self.probe_seconds, snapshot["probe_seconds"]),
        ):
            for second, wire in entries:
                known = into.get(second)
                into[second] = wire if known is None else merge_wire([known, wire])
        self.warmup.update({key: snapshot["warmup"][key] for key in WARMUP_KEYS})
        return True

    def measured(self) -> Tally:
        """All requests of the measured phase but the probe's, added up."""
        total = Tally()
        for name, tally in self.names.items():
            if name not in self.probes:
                total.add(tally)
        return total
