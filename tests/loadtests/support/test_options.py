from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from loadtests.support.options import OPTIONS, Arrival, ScenarioOptions, add_arguments

# Locust's real parser, in a child process: importing Locust here would let gevent patch
# the test process. Prints the options each argument list parses to, or the parser's error.
PARSE = """
import dataclasses, json, sys
from locust.argument_parser import get_parser
import loadtests.support.hooks  # registers the options, as every scenario does
from loadtests.support.options import ScenarioOptions
parser = get_parser()
namespace = parser.parse_args(["-f", "loadtests/baseline.py", *sys.argv[1:]])
options = dataclasses.asdict(ScenarioOptions.from_namespace(namespace))
visible = sorted(parser.args_included_in_web_ui)
print(json.dumps({"options": options, "web_ui": visible}, default=str))
"""
ROOT = Path(__file__).resolve().parents[3]


def parse(*args: str, env: dict[str, str] | None = None, cwd: Path = ROOT) -> dict[str, Any]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LOCUST_")}
    done = subprocess.run(
        [sys.executable, "-c", PARSE, *args],
        env={**clean, **(env or {})},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1]}
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_flags_variables_and_config_files_all_set_the_options(tmp_path: Path) -> None:
    (tmp_path / "locust.conf").write_text("rate = 7\narrival = poisson\nwarmup-s = 2\n")
    env = {"LOCUST_MS": "250", "LOCUST_GUARDED": "true"}
    parsed = parse("--workload", "cpu", "--rate", "9", env=env, cwd=tmp_path)
    options = parsed["options"]
    assert options["workload"] == "cpu"  # flag
    assert options["rate"] == 9.0  # a flag beats the config file
    assert options["arrival"] == "poisson"  # config file
    assert options["warmup_s"] == 2.0
    assert options["ms"] == 250.0  # environment
    assert options["guarded"] is True
    assert options["priority"] == "normal"  # default
    assert {o.dest for o in OPTIONS} <= set(parsed["web_ui"])


def test_pyproject_tool_locust_sets_the_options(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.locust]\nprobe-rate = 3\nemail-to = "a@b.org"\n'
    )
    options = parse(cwd=tmp_path)["options"]
    assert options["probe_rate"] == 3.0
    assert options["email_to"] == "a@b.org"


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--rate", "-1"], "rate must be >= 0"),
        (["--max-in-flight", "0"], "max_in_flight must be >= 1"),
        (["--step-s", "0"], "step_s must be > 0"),
        (["--tasks", "2.5"], "tasks must be int"),
        (["--arrival", "burst"], "invalid choice: 'burst'"),
    ],
)
def test_the_parser_rejects_bad_values(args: list[str], error: str) -> None:
    assert error in parse(*args)["error"]


def test_defaults_without_parsed_options() -> None:
    assert ScenarioOptions.from_namespace(None) == ScenarioOptions()
    assert not ScenarioOptions().open_model


def test_values_from_the_web_ui_form_are_converted_and_checked() -> None:
    # The web UI converts form strings with type(default)(value), past argparse; an empty
    # text field comes back as "".
    form = SimpleNamespace(rate=25.0, arrival="poisson", guarded=True, bgbench_out="", tasks=4)
    options = ScenarioOptions.from_namespace(form)
    assert options.rate == 25.0
    assert options.open_model
    assert options.arrival is Arrival.POISSON
    assert options.guarded is True
    assert options.bgbench_out is None
    assert options.tasks == 4


@pytest.mark.parametrize(
    ("values", "error"),
    [
        ({"fail_at": 4, "tasks": 3}, r"fail_at \(4\) must be <= tasks \(3\)"),
        ({"ms": -1.0}, "ms must be >= 0"),
        ({"workload": "email"}, "workload must be one of sleep, cpu, db, http"),
        ({"priority": "urgent"}, "priority must be one of high, normal, low"),
    ],
)
def test_invalid_combinations_are_refused(values: dict[str, object], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        ScenarioOptions.from_namespace(SimpleNamespace(**values))


def test_every_option_is_registered_for_the_web_ui_and_the_environment() -> None:
    parser = argparse.ArgumentParser()
    actions: list[argparse.Action] = []

    class Group:
        def add_argument(self, *flags: str, env_var: str, **kwargs: Any) -> argparse.Action:
            assert env_var == "LOCUST_" + flags[0][2:].replace("-", "_").upper()
            actions.append(parser.add_argument(*flags, **kwargs))
            return actions[-1]

    class Parser:
        def add_argument_group(self, title: str, description: str) -> Group:
            return Group()

    add_arguments(Parser())
    assert [a.option_strings[0] for a in actions] == [o.flag for o in OPTIONS]
    assert all(getattr(a, "include_in_web_ui", False) for a in actions)
    assert parser.parse_args([]).arrival == "constant"


def test_a_web_ui_form_is_checked_as_the_command_line_is() -> None:
    # The form holds text, and fields that are not ours (user_count, host) pass through.
    parsed = argparse.Namespace(rate=0.0, tasks=3, fail_at=1, num_users=1)
    assert ScenarioOptions.problem_in_form(parsed, {"rate": "2.5", "host": "h"}) is None
    assert ScenarioOptions.problem_in_form(parsed, {"rate": "-1"}) == "rate must be >= 0"
    assert ScenarioOptions.problem_in_form(None, {"fail_at": "4"}) == (
        "fail_at (4) must be <= tasks (3)"
    )
    assert parsed.rate == 0.0  # checked on a copy: Locust's own options are untouched


@pytest.mark.parametrize(
    ("values", "error"),
    [
        ({"rate": "fast"}, "rate must be a number, not 'fast'"),
        ({"tasks": "2.5"}, "tasks must be an integer, not '2.5'"),
        ({"arrival": "bursty"}, "arrival must be one of constant, poisson, not 'bursty'"),
    ],
)
def test_a_value_that_is_not_of_its_kind_is_named(values: dict[str, object], error: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(error)}$"):
        ScenarioOptions.from_namespace(SimpleNamespace(**values))
