"""The part of pytest-benchmark's `benchmark` fixture that this suite uses, typed: the package
ships no annotations, and mypy --strict refuses calls to unannotated functions."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


class Benchmark(Protocol):
    group: str | None
    extra_info: dict[str, Any]
    disabled: bool

    def __call__(self, function_to_benchmark: Callable[..., T], *args: Any, **kwargs: Any) -> T: ...

    def pedantic(
        self,
        target: Callable[..., T],
        args: Sequence[Any] = (),
        kwargs: Mapping[str, Any] | None = None,
        setup: Callable[[], tuple[Sequence[Any], Mapping[str, Any]] | None] | None = None,
        teardown: Callable[..., None] | None = None,
        rounds: int = 1,
        warmup_rounds: int = 0,
        iterations: int = 1,
    ) -> T: ...
