"""A drawn line's data as plain lists (matplotlib types them as anything array-like)."""

from __future__ import annotations

import numpy as np
from matplotlib.lines import Line2D


def xs(line: Line2D) -> list[float]:
    values: list[float] = np.asarray(line.get_xdata(), dtype=np.float64).tolist()
    return values


def ys(line: Line2D) -> list[float]:
    values: list[float] = np.asarray(line.get_ydata(), dtype=np.float64).tolist()
    return values
