"""A comparison as plain text for a terminal or a CI log: one line per cell and metric, then
the verdict."""

from __future__ import annotations

from bgbench.units import duration
from reports.compare import Change, Comparison
from reports.formatting import interval_text, share, signed_share


def _value(change: Change, value: float) -> str:
    return f"{value:.1f} req/s" if change.metric.column is not None else duration(value)


def _verdict(change: Change, threshold: float, spread: float) -> str:
    if not change.change.significant:
        return "not significant"
    if change.regression:
        if change.beyond(threshold, spread):
            return "REGRESSION"
        if abs(change.change.estimate) <= threshold:
            return "worse, within threshold"
        if change.beyond(threshold):
            return "worse, within the runs' spread"
        return "worse, below the detectable effect"
    return "better"


def _detectable(comparison: Comparison) -> list[str]:
    found = comparison.detectable()
    if not found:
        return []
    lines = [
        "minimum detectable effect (median over cells; 80% power at the 5% level): "
        + ", ".join(f"{label} {share(value)}" for label, value in found.items())
    ]
    spread = comparison.spread()
    if spread:
        lines.append(
            "the runs' spread (how far all the cells moved between A and B, as a detectable "
            "effect): " + ", ".join(f"{label} {share(value)}" for label, value in spread.items())
        )
    lines.append("no change smaller than these, or than the threshold, is called a regression")
    return lines


def render_comparison(comparison: Comparison) -> str:
    a, b = comparison.run_a.run_id, comparison.run_b.run_id
    lines = [
        f"compare A {a} -> B {b} (threshold {share(comparison.threshold)}; change = B/A - 1; "
        f"percentiles of all requests, 95% CI by resampling seconds)",
        *_detectable(comparison),
        "",
    ]
    spread = comparison.spread()
    width = max((len(c.cell) for c in comparison.changes), default=10)
    lines.extend(
        f"{c.cell:<{width}}  {c.metric.label:<23} {_value(c, c.before):>11} -> "
        f"{_value(c, c.after):>11}  "
        f"{interval_text(c.change, as_share=True, say_significance=False)}  "
        f"MDE {share(c.detectable)}  "
        f"{_verdict(c, comparison.threshold, spread.get(c.metric.label, 0.0))}"
        for c in comparison.changes
    )
    if comparison.not_compared:
        lines += ["", "not compared:", *(f"  {line}" for line in comparison.not_compared)]
    failing = comparison.failing()
    lines.append("")
    if comparison.broken:
        lines += ["cells that broke in B:", *(f"  {line}" for line in comparison.broken)]
    if failing:
        lines.append(
            f"{len(failing)} significant regressions beyond {share(comparison.threshold)} "
            f"and the detectable effect:"
        )
        lines.extend(
            f"  {c.cell}: {c.metric.label} {interval_text(c.change, as_share=True)}"
            for c in failing
        )
    for label, median in comparison.shifted().items():
        lines.append(
            f"every cell's {label} moved: {signed_share(median)} (median over the cells): the "
            f"machine, or a change to every request; without repeats the two cannot be told "
            f"apart: inconclusive (re-run both, with repeats, on a quiet machine)"
        )
    if comparison.untrustworthy:
        lines += [
            "not trustworthy: flagged in one run for how it was measured, so no regression "
            "can be called either way (re-run on a quiet machine):",
            *(f"  {line}" for line in comparison.untrustworthy),
        ]
    if not comparison.changes and not comparison.regressed:
        lines.append(
            "nothing compared: no point was trusted in both runs (see above); re-run on a "
            "quiet machine before reading anything into this"
        )
    elif not comparison.regressed:
        lines.append(
            f"no significant regression beyond {share(comparison.threshold)} "
            f"({len(comparison.changes)} metrics compared"
            + (
                f"; {len(comparison.untrustworthy)} cells not trustworthy)"
                if comparison.inconclusive
                else ")"
            )
        )
    return "\n".join(lines) + "\n"
