"""Scenario options typed into Locust's web UI, checked before a swarm starts.

Locust's /swarm copies each form field into the parsed options, converted to the type of the
value it replaces (`float("-1")` for --rate), past argparse's `type` and `choices`, and offers
no hook to refuse one: `rate=-1` started a test that failed in a listener, with a traceback in
the log only, and `rate=abc` was a bare 500. Its Flask app is the web UI's extension point
(`environment.web_ui.app`), so a `before_request` checks the form with the same checks the
command line gets, and answers as /swarm answers a bad user count (`success: false` and a
message), which the form shows beside its Start button.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Response, jsonify, request

from loadtests.support.options import ScenarioOptions

SWARM_ENDPOINT = "locust.swarm"  # Locust's blueprint is named "locust"

logger = logging.getLogger(__name__)


def refuse_bad_options(web_ui: Any) -> None:
    """On a `locust.web.WebUI`: a swarm whose scenario options are invalid is not started."""
    environment = web_ui.environment

    def check_swarm() -> Response | None:
        if request.endpoint != SWARM_ENDPOINT or request.method != "POST":
            return None
        problem = ScenarioOptions.problem_in_form(environment.parsed_options, request.form)
        if problem is None:
            return None
        message = f"bgbench: {problem}"
        logger.error("swarm refused: %s", message)
        return jsonify({"success": False, "message": message, "host": environment.host})

    web_ui.app.before_request(check_swarm)
