"""Load: one Locust scenario per pattern (run them with `locust -f loadtests/<name>.py`), the
open-model user and HDR recording they share (`support/`), and the sweep runner (`sweep/`).

Nothing here imports the target app: it is driven over HTTP only, through its contract.
"""
