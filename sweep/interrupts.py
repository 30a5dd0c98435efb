"""Ctrl-C and SIGTERM in a sweep: KeyboardInterrupt, except while a cell is putting itself away.

A cell's stop and write is bounded (the drain timeout plus a margin) and is the only way what it
gathered reaches the disk; an interrupt in the middle of it (a second Ctrl-C, or one that lands
just as the cell ends) would leave a cell without its cell.json and its processes running. So
inside `deferred()` a stop signal is remembered and raised when the block ends.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class _State:
    deferring = 0  # how many `deferred()` blocks are open
    pending = False  # a stop signal came while one was


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    if _State.deferring:
        _State.pending = True
        return
    raise KeyboardInterrupt


@contextmanager
def stop_signals_as_interrupt() -> Iterator[None]:
    """SIGTERM and SIGINT end the sweep the way Ctrl-C does: cleanly, with a partial run on
    disk. SIGINT too, explicitly: a shell starts background jobs with it ignored, and Python
    then never turns it into KeyboardInterrupt."""
    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextmanager
def deferred() -> Iterator[None]:
    """Hold a stop signal until the block ends, then raise it as KeyboardInterrupt. Only under
    `stop_signals_as_interrupt` (elsewhere Python's own SIGINT handler interrupts at once)."""
    _State.deferring += 1
    try:
        yield
    finally:
        _State.deferring -= 1
        if _State.pending and not _State.deferring:
            _State.pending = False
            raise KeyboardInterrupt
