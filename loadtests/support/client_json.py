"""`client.json`: what the load generator measured in one test run, and its summary table.

    {"schema_version": 2, "scenario": "background.py", "host": "http://127.0.0.1:8000",
     "model": "open", "offered_rps": 50.0, "arrival": "constant", "probe_rps": null,
     "users": 1, "workers": 1, "max_in_flight": 100, "warmup_s": 2.0,
     "started_at": <epoch>, "measure_from": <epoch>, "stopped_at": <epoch>, "measured_s": 8.0,
     "options": {every ScenarioOptions field},
     "dropped": 0, "unfinished": 0,
     "all": <tally of every non-probe request>,
     "requests": {"<name>": <tally>},
     "probe": "probe/baseline-sync" | null,
     "per_second": [{"second": <epoch int>, "requests": n, <tally fields but count>}],
     "per_second_probe": [<the same, for the probe requests alone>],
     "warmup": {"count": n, "failures": n, "dropped": n, "unfinished": n},
     "incomplete": [<ids of workers whose last snapshot never arrived>],
     "per_worker": {"<worker id>": {"tally": <tally>, "cpu": [{"since", "until", "cpu_s"}]}}}

A tally is {"count", "failures", "dropped", "unfinished", "statuses": {"200": n, "0": n},
"uncorrected": <b64 HDR, µs>, "corrected": <b64 HDR, µs> | null,
"send_lag": <b64 HDR, µs> | null}; "corrected" and "send_lag" are null when the requests
were not scheduled (closed model). "send_lag" holds actual - intended send of every answered
scheduled request (count values): a dropped request was never sent, and one still unanswered
at the stop may not have been either (killed as Locust stopped, its "lag" is the stop's).
See docs/loadtests.md for every field.

"per_worker" holds, in distributed mode, what each Locust worker measured alone (its tally
of the measured phase, the probe's left out) and the CPU time it reported with each snapshot;
it is empty when one process recorded for itself.

Version 2 added "send_lag" (version 1 had no record of the generator's own lateness);
version 3 added "per_worker" (version 2 had only the sum over workers).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bgbench.files import write_atomically
from bgbench.hdr import PERCENTILES, decode, summarize
from loadtests.support.aggregate import LOCAL, Aggregate
from loadtests.support.options import Arrival, ScenarioOptions
from loadtests.support.tally import TallyWire

SCHEMA_VERSION = 3
FILENAME = "client.json"


@dataclass(frozen=True, slots=True)
class RunInfo:
    """What is known of a test run when it starts."""

    started_at: float
    users: int  # at the start: the rate is split over them
    options: ScenarioOptions

    @property
    def measure_from(self) -> float:
        return self.started_at + self.options.warmup_s


def document(
    aggregate: Aggregate,
    run: RunInfo,
    *,
    stopped_at: float,
    scenario: str | None,
    host: str | None,
    incomplete: list[str],
) -> dict[str, Any]:
    options = run.options
    measured = aggregate.measured()
    probe = sorted(aggregate.probes)
    return {
        "schema_version": SCHEMA_VERSION,
        "scenario": scenario,
        "host": host,
        "model": "open" if options.open_model else "closed",
        "offered_rps": options.rate if options.open_model else None,
        "arrival": str(options.arrival) if options.open_model else None,
        "probe_rps": options.probe_rate or None,
        "users": run.users,
        "workers": len(aggregate.sources),
        "max_in_flight": options.max_in_flight,
        "warmup_s": options.warmup_s,
        "started_at": run.started_at,
        "measure_from": run.measure_from,
        "stopped_at": stopped_at,
        "measured_s": round(max(stopped_at - run.measure_from, 0.0), 6),
        "options": {k: _plain(v) for k, v in dataclasses.asdict(options).items()},
        "dropped": measured.dropped,
        "unfinished": measured.unfinished,
        "all": measured.to_wire(),
        "requests": {name: aggregate.names[name].to_wire() for name in sorted(aggregate.names)},
        "probe": probe[0] if probe else None,
        "per_second": [_second(s, aggregate.seconds[s]) for s in sorted(aggregate.seconds)],
        "per_second_probe": [
            _second(s, aggregate.probe_seconds[s]) for s in sorted(aggregate.probe_seconds)
        ],
        "warmup": dict(aggregate.warmup),
        "incomplete": sorted(incomplete),
        "per_worker": {
            name: {"tally": source.measured.to_wire(), "cpu": list(source.cpu)}
            for name, source in sorted(aggregate.sources.items())
            if name != LOCAL
        },
    }


def _plain(value: object) -> object:
    return str(value) if isinstance(value, Arrival) else value


def _second(second: int, tally: TallyWire) -> dict[str, Any]:
    entry: dict[str, Any] = {"second": second, "requests": tally["count"]}
    entry.update((key, value) for key, value in tally.items() if key != "count")
    return entry


def write(directory: str | Path, doc: dict[str, Any]) -> Path:
    """Write atomically: a reader never sees half a file."""
    path = Path(directory) / FILENAME
    write_atomically(path, json.dumps(doc, indent=1) + "\n")
    return path


def summary_table(doc: dict[str, Any]) -> str:
    """Percentiles in µs, as recorded (Locust's own table rounds to ms)."""
    model = (
        f"open model, {doc['offered_rps']:g} req/s {doc['arrival']}"
        if doc["model"] == "open"
        else "closed model"
    )
    heading = ["name", "count", "fail", "drop", "unfin", "from", *PERCENTILES, "max"]
    rows = [heading]
    for name, tally in doc["requests"].items():
        counts = [tally[k] for k in ("count", "failures", "dropped", "unfinished")]
        label = f"{name} (probe)" if name == doc["probe"] else name
        for clock, key in (("send", "uncorrected"), ("intent", "corrected")):
            if tally[key] is None:
                continue
            stats = summarize(decode(tally[key]))
            rows.append([label, *map(str, counts), clock, *(str(stats[p]) for p in heading[6:])])
            label, counts = "", [""] * 4
    widths = [max(len(row[i]) for row in rows) for i in range(len(heading))]
    lines = [
        f"bgbench: latency in µs over {doc['measured_s']:.1f} s after a {doc['warmup_s']:g} s "
        f"warm-up, {model}; from send = uncorrected, from intent = corrected",
        *(
            "  ".join(
                cell.ljust(w) if i == 0 else cell.rjust(w)
                for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            )
            for row in rows
        ),
    ]
    lines.extend(_send_lag_lines(doc))
    if doc["incomplete"]:
        lines.append(f"incomplete: no last snapshot from {', '.join(doc['incomplete'])}")
    return "\n".join(lines)


def _send_lag_lines(doc: dict[str, Any]) -> list[str]:
    """A line per scheduled request name: how late the generator sent. Large, it is what the
    corrected clock measures, more than the server."""
    found = [
        (f"{name} (probe)" if name == doc["probe"] else name, summarize(decode(encoded)))
        for name, tally in doc["requests"].items()
        if (encoded := tally.get("send_lag")) is not None
    ]
    if not found:
        return []
    width = max(len(label) for label, _ in found)
    return [
        "send lag in µs (actual - intended send, corrected = uncorrected + send lag):",
        *(
            f"  {label.ljust(width)}  p50 {stats['p50']}  p99 {stats['p99']}  "
            f"max {stats['max']}  of {stats['count']} answered"
            for label, stats in found
        ),
    ]
