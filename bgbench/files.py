"""Files other processes read while we write them: written whole or not at all."""

from __future__ import annotations

import os
from pathlib import Path


def write_atomically(path: Path, text: str) -> None:
    """Write to a temporary name beside `path`, then rename: a reader (the sweep polling a
    port file, a report loading a stopped run) never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    try:
        partial.write_text(text)
        os.replace(partial, path)
    except OSError:
        # A full or read-only disk: leave no half-written `.partial` behind, and say why.
        partial.unlink(missing_ok=True)
        raise
