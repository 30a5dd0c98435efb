from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bgbench.contract import PROBE_REQUEST
from bgbench.hdr import decode, summarize
from loadtests.support import client_json
from loadtests.support.aggregate import Aggregate
from loadtests.support.client_json import RunInfo
from loadtests.support.options import Arrival, ScenarioOptions
from loadtests.support.recording import Outcome, Recorder

RUN = 1_700_000_000.0


def aggregate_of(options: ScenarioOptions, lag_s: float | None) -> Aggregate:
    run = RunInfo(RUN, users=2, options=options)
    recorder = Recorder(RUN, run.measure_from)
    lag_us = None if lag_s is None else lag_s * 1e6
    for i in range(100):
        at = RUN + i * 0.05  # 5 s, the first second of warm-up
        recorder.record(Outcome("main", at, 1_000 + i, lag_us, False, 200, False))
        recorder.record(Outcome(PROBE_REQUEST, at, 300, lag_us, False, 200, True))
    if lag_us is not None:  # only scheduled requests can be dropped
        recorder.drop("main", RUN + 4.5, probe=False)
        recorder.unfinish("main", RUN + 4.9, probe=False, scheduled=True)
    aggregate = Aggregate(RUN)
    aggregate.absorb(recorder.drain(), "local")
    return aggregate


def test_the_document_of_an_open_model_run() -> None:
    options = ScenarioOptions(rate=20.0, arrival=Arrival.POISSON, warmup_s=1.0, probe_rate=2.0)
    run = RunInfo(RUN, users=2, options=options)
    doc = client_json.document(
        aggregate_of(options, lag_s=0.001),
        run,
        stopped_at=RUN + 5.0,
        scenario="loadtests/background.py",
        host="http://127.0.0.1:1",
        incomplete=[],
    )
    assert doc["schema_version"] == client_json.SCHEMA_VERSION == 3
    assert doc["per_worker"] == {}  # one process recorded for itself
    assert (doc["model"], doc["offered_rps"], doc["arrival"], doc["probe_rps"]) == (
        "open",
        20.0,
        "poisson",
        2.0,
    )
    assert (doc["measure_from"], doc["measured_s"]) == (RUN + 1.0, 4.0)
    assert doc["options"]["arrival"] == "poisson"
    assert doc["probe"] == PROBE_REQUEST
    assert doc["warmup"]["count"] == 40  # 20 of each name before RUN + 1
    main = doc["requests"]["main"]
    assert (main["count"], main["dropped"], doc["dropped"]) == (80, 1, 1)
    assert (main["unfinished"], doc["unfinished"]) == (1, 1)
    assert doc["all"]["count"] == 80  # the probe's requests are not in "all"
    assert [s["second"] for s in doc["per_second"]] == [int(RUN) + i for i in range(1, 5)]
    assert sum(s["requests"] for s in doc["per_second"]) == 80
    assert decode(main["corrected"]).get_min_value() > decode(main["uncorrected"]).get_min_value()
    json.dumps(doc)  # JSON all the way down


def test_each_worker_is_listed_with_its_own_share_and_cpu() -> None:
    options = ScenarioOptions(rate=20.0, warmup_s=1.0, probe_rate=2.0)
    run = RunInfo(RUN, users=2, options=options)
    aggregate = Aggregate(RUN)
    for worker, (count, lag_us) in {"w0": (30, 100.0), "w1": (50, 9_000.0)}.items():
        recorder = Recorder(RUN, run.measure_from)
        for i in range(count):
            recorder.record(Outcome("main", RUN + 1 + i * 0.05, 1_000, lag_us, False, 200, False))
            recorder.record(Outcome(PROBE_REQUEST, RUN + 1 + i * 0.05, 300, 0, False, 200, True))
        aggregate.absorb(recorder.drain(), worker)
    doc = client_json.document(
        aggregate, run, stopped_at=RUN + 5.0, scenario=None, host=None, incomplete=[]
    )
    workers = doc["per_worker"]
    assert sorted(workers) == ["w0", "w1"]
    # Each one's measured requests without the probe's, adding up to the merged count.
    assert [workers[w]["tally"]["count"] for w in ("w0", "w1")] == [30, 50]
    assert doc["all"]["count"] == 80
    assert summarize(decode(workers["w1"]["tally"]["send_lag"]))["p50"] == pytest.approx(
        9_000, rel=0.01
    )
    assert [len(workers[w]["cpu"]) for w in ("w0", "w1")] == [1, 1]
    json.dumps(doc)


def send_lag_count(tally: dict[str, Any]) -> int:
    return int(decode(tally["send_lag"]).get_total_count())


def test_the_send_lag_is_wherever_a_tally_is() -> None:
    options = ScenarioOptions(rate=20.0, warmup_s=1.0, probe_rate=2.0)
    doc = client_json.document(
        aggregate_of(options, lag_s=0.001),
        RunInfo(RUN, users=2, options=options),
        stopped_at=RUN + 5.0,
        scenario=None,
        host=None,
        incomplete=[],
    )
    main, probe = doc["requests"]["main"], doc["requests"][PROBE_REQUEST]
    # Every answered request has one; the unfinished and the dropped one none.
    assert send_lag_count(main) == main["count"] == 80
    assert main["unfinished"] == 1
    lag = decode(main["send_lag"])
    assert (lag.get_min_value(), lag.get_max_value()) == (1_000, 1_000)
    assert send_lag_count(probe) == probe["count"] == 80
    assert send_lag_count(doc["all"]) == 80  # the probe's left out, as its counts are
    assert sum(send_lag_count(s) for s in doc["per_second"]) == 80
    assert sum(send_lag_count(s) for s in doc["per_second_probe"]) == 80
    lines = client_json.summary_table(doc).splitlines()
    heading = lines.index(
        "send lag in µs (actual - intended send, corrected = uncorrected + send lag):"
    )
    main_row, probe_row = lines[heading + 1 :]
    stats = summarize(lag)
    assert main_row.split() == [
        *("main", "p50", str(stats["p50"]), "p99", str(stats["p99"])),
        *("max", str(stats["max"]), "of", "80", "answered"),
    ]
    assert stats["max"] == pytest.approx(1_000, rel=1e-3)  # the 2 ms unfinished one left out
    assert probe_row.split()[:4] == ["probe/baseline-sync", "(probe)", "p50", "1000"]


def test_a_closed_model_run_has_no_rate_and_no_corrected_latency() -> None:
    options = ScenarioOptions()
    doc = client_json.document(
        aggregate_of(options, lag_s=None),
        RunInfo(RUN, 1, options),
        stopped_at=RUN + 5.0,
        scenario=None,
        host=None,
        incomplete=["worker-2"],
    )
    assert (doc["model"], doc["offered_rps"], doc["arrival"]) == ("closed", None, None)
    for tally in (doc["requests"]["main"], doc["all"], doc["per_second"][0]):
        assert (tally["corrected"], tally["send_lag"]) == (None, None)
    lines = client_json.summary_table(doc).splitlines()
    assert [line.split()[-6] for line in lines[2:-1]] == ["send", "send"]  # no "intent" rows
    assert not any("send lag" in line for line in lines)
    assert lines[-1] == "incomplete: no last snapshot from worker-2"


def test_the_summary_table_shows_microseconds_not_rounded_milliseconds() -> None:
    options = ScenarioOptions(rate=20.0)
    doc = client_json.document(
        aggregate_of(options, lag_s=0.002),
        RunInfo(RUN, 1, options),
        stopped_at=RUN + 5.0,
        scenario=None,
        host=None,
        incomplete=[],
    )
    table = client_json.summary_table(doc)
    main = summarize(decode(doc["requests"]["main"]["uncorrected"]))
    row = next(line for line in table.splitlines() if line.startswith("main "))
    assert row.split()[-5:] == [str(main[k]) for k in ("p50", "p90", "p99", "p99_9", "max")]
    assert f"{PROBE_REQUEST} (probe)" in table
    assert "open model, 20 req/s constant" in table


def test_write_replaces_the_file_whole(tmp_path: Path) -> None:
    path = client_json.write(tmp_path / "out", {"a": 1})
    client_json.write(tmp_path / "out", {"a": 2})
    assert path == tmp_path / "out" / "client.json"
    assert json.loads(path.read_text()) == {"a": 2}
    assert sorted(p.name for p in path.parent.iterdir()) == ["client.json"]
