"""`build_report`: load a run, compute the findings, draw every figure, write the report."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bgbench.results.errors import ReportInputError
from bgbench.results.reader import load_run
from reports import findings
from reports.document import RenderedFigure, build_document
from reports.figure_set import PlannedFigure, plan
from reports.pytest_benchmark import load_benchmarks
from reports.render_html import render_html
from reports.render_markdown import render_markdown

DEFAULT_OUT = Path("reports/out")
PNG_DPI = 110


def _render(planned: PlannedFigure, out_dir: Path) -> RenderedFigure:
    figure = planned.draw()
    png = out_dir / f"{planned.name}.png"
    svg = out_dir / f"{planned.name}.svg"
    figure.savefig(png, dpi=PNG_DPI)
    # No date in the SVG: the same run gives the same files.
    figure.savefig(svg, metadata={"Date": None})
    return RenderedFigure(planned.name, planned.title, planned.caption, png, svg)


def build_report(
    run_dir: Path,
    out_dir: Path | None = None,
    benchmark_json: Sequence[Path] = (),
    *,
    timeseries: Sequence[str] = (),
) -> Path:
    """Write index.html, report.md and every figure (PNG and SVG) to `out_dir`, by default
    reports/out/<run_id>/; returns the index.html path. Never writes inside the run."""
    run = load_run(run_dir)
    out = out_dir if out_dir is not None else DEFAULT_OUT / run.run_id
    if out.resolve().is_relative_to(run_dir.resolve()):
        raise ReportInputError(
            f"{out}: inside the run's raw results, which are never written to; pick --out "
            f"elsewhere (default reports/out/<run_id>)"
        )
    benchmarks = [load_benchmarks(path) for path in benchmark_json]
    unknown = sorted(set(timeseries) - {c.cell_id for c in run.cells})
    if unknown:
        raise ReportInputError(f"no such cell in {run_dir}: {', '.join(unknown)}")
    out.mkdir(parents=True, exist_ok=True)
    figures = [_render(p, out) for p in plan(run, benchmarks, timeseries)]
    document = build_document(run, findings.compute(run), figures)
    index = out / "index.html"
    index.write_text(render_html(document), encoding="utf-8")
    (out / "report.md").write_text(render_markdown(document), encoding="utf-8")
    return index
