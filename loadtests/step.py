"""Step load on /background: --step-users more users every --step-s seconds, --step-count
times. With --rate each step adds --rate requests/s (the rate is split over the users the
test started with); with --rate 0 each step adds closed-loop users."""

from __future__ import annotations

from loadtests.background import Background
from loadtests.support.shapes import StepLoadShape

__all__ = ["Background", "StepLoadShape"]  # Locust runs this user and follows this shape
