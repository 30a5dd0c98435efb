"""bgbench: load tests and benchmarks for FastAPI background tasks.

`bgbench.instrument(app)` puts the server's clock on an app of your own
(`bgbench.instrumentation`); imported on first use, so that the command line and the
results code do not load Starlette for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bgbench.instrumentation import instrument

__all__ = ["instrument"]


def __getattr__(name: str) -> object:
    if name == "instrument":
        from bgbench.instrumentation import instrument  # noqa: PLC0415 (on first use)

        return instrument
    raise AttributeError(f"module 'bgbench' has no attribute {name!r}")
