"""`-k <group>` selects a benchmark group, and a `-k` that selects no benchmark is one line.

pytest's `-k` matches test and module names and marker names, not a marker's arguments, so
`-k handoff` (a group, `benchmark(group="handoff")`) selected nothing; with
`--benchmark-autosave`, pytest-benchmark's "Not saving anything" warning then met
`filterwarnings = error` and ended the run in a 40-line traceback. Each benchmark's group is
made one of its keywords, and a `-k` that still selects nothing stops the run at collection
with the groups it could have named.
"""

from __future__ import annotations

import warnings
from collections.abc import Generator

import pytest
from pytest_benchmark.logger import PytestBenchmarkWarning

_GROUPS = pytest.StashKey[set[str]]()
_NOTHING_SELECTED = pytest.StashKey[bool]()


def _group(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("benchmark")
    group = marker.kwargs.get("group") if marker is not None else None
    return group if isinstance(group, str) else None


def pytest_itemcollected(item: pytest.Item) -> None:
    group = _group(item)
    if group is not None:
        item.extra_keyword_matches.add(group)
        item.config.stash.setdefault(_GROUPS, set()).add(group)


def pytest_collection_finish(session: pytest.Session) -> None:
    keyword = session.config.option.keyword
    if keyword and not session.items:
        session.config.stash[_NOTHING_SELECTED] = True
        groups = ", ".join(sorted(session.config.stash.get(_GROUPS, None) or ()))
        raise pytest.UsageError(
            f"-k {keyword!r} selects no benchmark; it matches test names and these groups: "
            f"{groups} (docs/benchmarks.md)"
        )


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> Generator[None]:
    # Outside pytest-benchmark's own wrapper, which saves (or warns that it cannot) before
    # the session ends: when nothing was selected, the line above has said why.
    with warnings.catch_warnings():
        if session.config.stash.get(_NOTHING_SELECTED, False):
            warnings.filterwarnings("ignore", "Not saving anything", PytestBenchmarkWarning)
        return (yield)
