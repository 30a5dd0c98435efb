"""The load generator's ceiling: the highest rate it holds on time, and the server's own limit.

`scripts/generator-ceiling` runs this. It ramps the offered rate on /baseline (constant
arrivals, no background work: the cheapest route, so the generator is what gives out) as an
ordinary sweep, once per number of load processes, and reads each step's cell: the rate
achieved against the schedule, the send lag (how late the generator sent), the generator's
and the server's CPU, and the cell's flags. A step is held on time when its send-lag p99 is
at most 1 ms and it achieved at least 98% of the scheduled rate; the ceiling is the highest
step held, and the first step that is not says why. Then `wrk` (closed loop, from Debian's
package) measures the same server's maximum on the same cores: the ceiling any client could
reach. This is a benchmark, not a test: its numbers are this machine's, on this day.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bgbench.results.model import Cell
from bgbench.results.reader import load_run
from sweep import machine
from sweep.target import TargetProcess

ON_TIME_LAG_P99_US = 1_000.0
ON_TIME_SHARE = 0.98
DEFAULT_RATES = (500, 1000, 2000, 3000, 3500, 4000, 5000, 6000)
WRK_SECONDS = 10
WRK_CONNECTIONS = 32


@dataclass(frozen=True)
class Step:
    rate: float
    processes: int
    achieved_rps: float
    scheduled_rps: float
    lag_p50_us: float | None
    lag_p99_us: float | None
    lag_max_us: float | None
    loadgen_cpu: float | None  # % of one core, mean over the measured seconds
    loadgen_cpu_max: float | None
    server_cpu: float | None
    p50_us: float | None  # uncorrected response time
    steal: float | None  # % of the generator's core the hypervisor took
    foreign: float | None  # % of it other processes used
    flags: tuple[str, ...]

    @classmethod
    def of(cls, cell: Cell) -> Step | None:
        client, rate = cell.client, cell.params.rate
        if client is None or rate is None:
            return None
        lag = client.send_lag
        return cls(
            rate=rate,
            processes=cell.loadgen.processes if cell.loadgen else 1,
            achieved_rps=client.achieved_rps,
            scheduled_rps=client.scheduled_rps or rate,
            lag_p50_us=lag.p50 if lag else None,
            lag_p99_us=lag.p99 if lag else None,
            lag_max_us=lag.max if lag else None,
            loadgen_cpu=cell.loadgen.cpu_percent if cell.loadgen else None,
            loadgen_cpu_max=cell.loadgen.cpu_percent_max if cell.loadgen else None,
            server_cpu=cell.server.cpu_percent if cell.server else None,
            p50_us=client.latency.p50,
            steal=cell.interference.loadgen_steal_percent if cell.interference else None,
            foreign=cell.interference.loadgen_foreign_percent if cell.interference else None,
            flags=cell.flags,
        )

    @property
    def share(self) -> float:
        """Achieved over offered: the schedule's own rate can fall behind too."""
        return self.achieved_rps / self.rate if self.rate else 0.0

    def why_not(self) -> str | None:
        """None when held on time, else what broke, and what was busy."""
        reasons = []
        if self.lag_p99_us is None or self.lag_p99_us > ON_TIME_LAG_P99_US:
            reasons.append(f"send-lag p99 {_ms(self.lag_p99_us)} > 1 ms")
        if self.share < ON_TIME_SHARE:
            reasons.append(f"achieved {self.share:.0%} < 98% of offered")
        if not reasons:
            return None
        # What was busy: a saturated side, or the machine taking the generator's core. At
        # USER_HZ 100 one jiffy of steal in a second is 1%, already 10 ms of sends held up.
        busy = [
            f"{who} CPU {cpu:.0f}%"
            for who, cpu in (("generator", self.loadgen_cpu_max), ("server", self.server_cpu))
            if cpu is not None and cpu >= 85
        ]
        busy += [
            f"{what} {share:.1f}% of the generator's core"
            for what, share in (("steal", self.steal), ("other processes", self.foreign))
            if share is not None and share >= 0.5
        ]
        return "; ".join(reasons + busy)


def _ms(us: float | None) -> str:
    return "-" if us is None else f"{us / 1000:.2f} ms"


def ceiling(steps: Sequence[Step]) -> tuple[Step | None, Step | None]:
    """The highest step held on time below the first one that was not, and that one: a
    ramp ends at its first failure (a later lucky step does not raise the ceiling)."""
    held: Step | None = None
    for step in sorted(steps, key=lambda s: s.rate):
        if step.why_not() is not None:
            return held, step
        held = step
    return held, None


def sweep_file(rates: Sequence[float], processes: Sequence[int], duration_s: float) -> str:
    values = ", ".join(f"{rate:g}" for rate in rates)
    return (
        'name = "generator-ceiling"\n'
        'description = "scripts/generator-ceiling: /baseline at rising constant rates."\n'
        "[defaults]\n"
        'strategy = "none"\narrival = "constant"\n'
        f"duration_s = {duration_s:g}\nwarmup_s = 2\ndrain_timeout_s = 5\n"
        "[[matrix]]\n"
        f"rate = [{values}]\n"
        f"load_workers = [{', '.join(str(n) for n in processes)}]\n"
    )


def run_ramp(
    rates: Sequence[float], processes: Sequence[int], duration_s: float, out: Path
) -> Path:
    """The ramp as a sweep; returns its run directory."""
    out.mkdir(parents=True, exist_ok=True)
    definition = out / "generator-ceiling.toml"
    definition.write_text(sweep_file(rates, processes, duration_s))
    bgbench = [sys.executable, "-m", "bgbench", "sweep", str(definition), "--out", str(out)]
    subprocess.run([*bgbench, "--no-report"], check=True)  # our own CLI
    runs = sorted(p for p in out.iterdir() if p.is_dir() and p.name.endswith("generator-ceiling"))
    return runs[-1]


def wrk_ceiling(seconds: int = WRK_SECONDS) -> tuple[float | None, str]:
    """wrk's closed-loop maximum on /baseline: the target app on the server's CPU, wrk on
    the load generator's, as the sweep pins them. (None, why) when wrk is not installed."""
    wrk = shutil.which("wrk")
    if wrk is None:
        return None, "wrk is not installed (apt install wrk)"
    pinning = machine.plan_pinning()
    with TargetProcess(cpus=pinning.server_cpus if pinning.pinned else None) as target:
        command = [wrk, "-t1", f"-c{WRK_CONNECTIONS}", f"-d{seconds}s", f"{target.url}/baseline"]
        if pinning.pinned:
            command = ["taskset", "-c", ",".join(map(str, pinning.loadgen_cpus)), *command]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    found = re.search(r"Requests/sec:\s*([\d.]+)", done.stdout)
    if done.returncode != 0 or found is None:
        return None, f"wrk failed: {(done.stderr or done.stdout).strip()[:200]}"
    return float(found.group(1)), " ".join(command[command.index(wrk) :]).replace(wrk, "wrk")


def table(steps: Sequence[Step]) -> list[str]:
    lines = [
        "| processes | offered | achieved | send lag p50 / p99 / max | generator CPU (max) "
        "| server CPU | p50 | steal | flags | on time? |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for step in sorted(steps, key=lambda s: (s.processes, s.rate)):
        why = step.why_not()
        cpu = "-" if step.loadgen_cpu is None else f"{step.loadgen_cpu:.0f}%"
        if step.loadgen_cpu_max is not None:
            cpu += f" ({step.loadgen_cpu_max:.0f}%)"
        lines.append(
            f"| {step.processes} | {step.rate:,.0f} | {step.achieved_rps:,.0f} ({step.share:.0%}) "
            f"| {_ms(step.lag_p50_us)} / {_ms(step.lag_p99_us)} / {_ms(step.lag_max_us)} "
            f"| {cpu} | {'-' if step.server_cpu is None else f'{step.server_cpu:.0f}%'} "
            f"| {_ms(step.p50_us)} | {'-' if step.steal is None else f'{step.steal:.1f}%'} "
            f"| {', '.join(step.flags) or '-'} "
            f"| {'yes' if why is None else 'no: ' + why} |"
        )
    return lines


def summary(steps: Sequence[Step], wrk: tuple[float | None, str]) -> list[str]:
    lines = []
    for processes in sorted({step.processes for step in steps}):
        held, broke = ceiling([s for s in steps if s.processes == processes])
        rate = f"{held.rate:,.0f} req/s" if held else "no step"
        stop = f"; it stops at {broke.rate:,.0f}: {broke.why_not()}" if broke else ""
        lines.append(f"- {processes} load process(es): held on time up to {rate}{stop}")
    maximum, how = wrk
    lines.append(
        f"- wrk, closed loop: {maximum:,.0f} req/s (`{how}`)" if maximum else f"- wrk: {how}"
    )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/generator-ceiling", description=__doc__)
    parser.add_argument(
        "--rates", default=",".join(map(str, DEFAULT_RATES)), help="offered req/s, comma-separated"
    )
    parser.add_argument("--processes", default="1,2", help="load processes, comma-separated")
    parser.add_argument("--duration-s", type=float, default=10.0, help="measured s per step")
    parser.add_argument("--out", type=Path, default=Path("results/generator-ceiling"))
    parser.add_argument("--markdown", type=Path, help="also write the tables to this file")
    parser.add_argument("--no-wrk", action="store_true", help="skip the closed-loop reference")
    args = parser.parse_args(argv)
    try:
        rates = [float(rate) for rate in args.rates.split(",")]
        processes = [int(n) for n in args.processes.split(",")]
    except ValueError:
        parser.error("--rates and --processes take comma-separated numbers, e.g. 1000,2000")
    run_dir = run_ramp(rates, processes, args.duration_s, args.out)
    steps = [step for cell in load_run(run_dir).cells if (step := Step.of(cell))]
    wrk = (None, "skipped (--no-wrk)") if args.no_wrk else wrk_ceiling()
    pinning = machine.plan_pinning()
    lines = [
        f"Run {run_dir.name} ({pinning.note}); on time = send-lag p99 <= 1 ms and "
        "achieved >= 98% of offered.",
        "",
        *table(steps),
        "",
        *summary(steps, wrk),
    ]
    print("\n".join(lines))
    if args.markdown:
        args.markdown.write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
