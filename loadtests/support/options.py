"""The scenario options, declared once and read from Locust's own configuration.

Every option is a command-line flag, a `LOCUST_<NAME>` environment variable and a key of
`locust.conf` or `[tool.locust]` in pyproject.toml, and it shows in the web UI, because it is
registered on Locust's parser (`add_arguments`, hooked up in `hooks.py`). Scenarios read the
values back as one typed, checked `ScenarioOptions`.

Defaults live in `ScenarioOptions`, bounds and help in `OPTIONS`. This module does not import
Locust, so it can be tested without gevent patching the test process.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any, Protocol


class Arrival(StrEnum):
    CONSTANT = "constant"  # evenly spaced, as wrk2 sends
    POISSON = "poisson"  # exponential gaps: independent clients, bursts included


@dataclass(frozen=True, slots=True)
class ScenarioOptions:
    workload: str = "sleep"
    ms: float = 10.0
    rate: float = 0.0
    arrival: Arrival = Arrival.CONSTANT
    max_in_flight: int = 100
    warmup_s: float = 0.0
    probe_rate: float = 0.0
    bgbench_out: str | None = None
    tasks: int = 3
    fail_at: int = 1
    guarded: bool = False
    priority: str = "normal"
    upload_bytes: int = 64 * 1024
    email_to: str = "load@example.com"
    step_users: int = 1
    step_s: float = 10.0
    step_count: int = 5

    @property
    def open_model(self) -> bool:
        return self.rate > 0

    @classmethod
    def from_namespace(cls, namespace: object | None) -> ScenarioOptions:
        """The options in Locust's parsed options (None: the defaults), checked.

        Checked again here, not only by argparse: the web UI writes its form values straight
        into the namespace, past argparse's `type` and `choices`."""
        values: dict[str, Any] = {}
        unreadable = []
        for field in fields(cls):
            default = getattr(DEFAULTS, field.name)
            raw = getattr(namespace, field.name, default) if namespace is not None else default
            try:
                values[field.name] = _convert(raw, default)
            except ValueError:
                unreadable.append(f"{field.name} must be {_kind(default)}, not {raw!r:.40}")
        if unreadable:
            raise ValueError("; ".join(unreadable))
        options = cls(**values)
        options.check()
        return options

    @classmethod
    def problem_in_form(cls, namespace: object | None, form: Mapping[str, str]) -> str | None:
        """What is wrong with the options a web UI form would set (None: nothing), checked
        before Locust copies the form's text into its parsed options."""
        merged = argparse.Namespace(**(vars(namespace) if namespace is not None else {}))
        for option in OPTIONS:
            if option.dest in form:
                setattr(merged, option.dest, form[option.dest])
        try:
            cls.from_namespace(merged)
        except ValueError as invalid:
            return str(invalid)
        return None

    def check(self) -> None:
        problems = [o.problem(getattr(self, o.dest)) for o in OPTIONS]
        if self.fail_at > self.tasks:
            problems.append(f"fail_at ({self.fail_at}) must be <= tasks ({self.tasks})")
        if found := [p for p in problems if p]:
            raise ValueError("; ".join(found))


DEFAULTS = ScenarioOptions()


def _kind(default: object) -> str:
    if isinstance(default, Arrival):
        return f"one of {', '.join(Arrival)}"
    return "an integer" if isinstance(default, int) else "a number"


def _convert(raw: Any, default: object) -> object:
    if default is None:  # a path: the web UI and config files give "" for "not set"
        return str(raw) if raw else None
    if isinstance(default, bool):
        return raw if isinstance(raw, bool) else str(raw).lower() in {"true", "1", "yes"}
    if isinstance(default, Arrival | str | int | float):
        return type(default)(raw)
    raise TypeError(f"no conversion to {type(default).__name__}")


@dataclass(frozen=True, slots=True)
class Option:
    flag: str
    help: str
    minimum: float | None = None
    above_minimum: bool = False  # the value must exceed `minimum`, not merely reach it
    choices: tuple[str, ...] | None = None

    @property
    def dest(self) -> str:
        return self.flag.removeprefix("--").replace("-", "_")

    def problem(self, value: Any) -> str | None:
        if self.choices is not None and value not in self.choices:
            return f"{self.dest} must be one of {', '.join(self.choices)}"
        if self.minimum is None:
            return None
        if value < self.minimum or (self.above_minimum and value == self.minimum):
            return f"{self.dest} must be {'>' if self.above_minimum else '>='} {self.minimum:g}"
        return None

    def parse(self, text: str) -> Any:
        """argparse `type`: bounds are checked for flags, variables and config files alike."""
        kind = type(getattr(DEFAULTS, self.dest))
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{self.dest} must be {kind.__name__}") from None
        if problem := self.problem(value):
            raise argparse.ArgumentTypeError(problem)
        return value


OPTIONS: tuple[Option, ...] = (
    Option("--workload", "what each task does", choices=("sleep", "cpu", "db", "http")),
    Option("--ms", "how long each task lasts, in ms", 0),
    Option("--rate", "requests/s offered by the whole test; 0 = closed model", 0),
    Option("--arrival", "open model: how requests are spaced", choices=tuple(Arrival)),
    Option("--max-in-flight", "open model: requests in flight per user; more are dropped", 1),
    Option("--warmup-s", "seconds at the start left out of client.json", 0),
    Option("--probe-rate", "requests/s to /baseline-sync, recorded apart; 0 = none", 0),
    Option("--bgbench-out", "directory to write client.json to (empty: none)"),
    Option("--tasks", "chained, failing: tasks per request", 1),
    Option("--fail-at", "failing: which task raises, from 1", 1),
    Option("--guarded", "failing: the app wraps each task in try/except"),
    Option("--priority", "executor: priority of the tasks", choices=("high", "normal", "low")),
    Option("--upload-bytes", "upload: size of each uploaded file", 0),
    Option("--email-to", "email: recipient of each message"),
    Option("--step-users", "step shape: users added at each step", 1),
    Option("--step-s", "step shape: seconds per step", 0, above_minimum=True),
    Option("--step-count", "step shape: number of steps", 1),
)


class ArgumentParser(Protocol):
    """The part of Locust's parser (a configargparse.ArgumentParser) used here."""

    def add_argument_group(self, title: str, description: str) -> Any: ...


def add_arguments(parser: ArgumentParser) -> None:
    group = parser.add_argument_group("bgbench", "Scenario options (loadtests/support/options.py)")
    for option in OPTIONS:
        default = getattr(DEFAULTS, option.dest)
        kwargs: dict[str, Any] = {"help": option.help, "env_var": f"LOCUST_{option.dest.upper()}"}
        if isinstance(default, bool):
            kwargs.update(action="store_true", default=False)
        elif default is None:
            kwargs.update(default="")
        elif option.choices is not None:
            kwargs.update(choices=option.choices, default=str(default))
        else:
            kwargs.update(type=option.parse, default=default)
        action = group.add_argument(option.flag, **kwargs)
        # Locust's own add_argument sets these, a group's does not; the web UI lists only the
        # actions that carry them.
        action.include_in_web_ui = True
        action.is_secret = action.is_required = action.is_multiple = False
