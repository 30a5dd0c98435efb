from __future__ import annotations

from loadtests.support.options import ScenarioOptions
from loadtests.support.steps import StepPlan


def test_each_step_adds_its_users_then_the_plan_ends() -> None:
    plan = StepPlan.of(ScenarioOptions(step_users=2, step_s=5.0, step_count=3))
    assert plan.duration_s == 15.0
    assert plan.at(0.0) == (2, 2.0)
    assert plan.at(4.99) == (2, 2.0)
    assert plan.at(5.0) == (4, 2.0)
    assert plan.at(14.99) == (6, 2.0)
    assert plan.at(15.0) is None


def test_a_time_before_the_start_has_no_step() -> None:
    assert StepPlan(1, 1.0, 3).at(-0.5) is None
