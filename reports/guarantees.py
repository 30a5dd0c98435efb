"""What each strategy loses when the app's process goes away: the guarantees the project's
tests prove, in the words the verdict uses. Kept here, beside the tests that prove them, and
not worked out per run: a run cannot crash its app on purpose.

- In the process (BackgroundTasks, the executor, the process pool): on SIGTERM the app drains
  up to its drain timeout and reports what it could not finish, queued as not run and running
  as failed (tests/target_app/test_shutdown.py); on a crash (SIGKILL) everything in flight is
  gone, and the sweep counts it as lost (tests/sweep/test_sweep_runs.py).
- The queues (bgbench.queues): the broker holds the work, so a crash of the app loses nothing
  it had enqueued; what a killed worker or a restarted broker costs each library is in
  bgbench.queues (measured by tests/target_app/test_queue_faults.py, per library and broker).
"""

from __future__ import annotations

from bgbench.queues import facts

IN_PROCESS = "loses its queued and running work on a crash"
BROKER = "keeps queued work through a crash (the broker holds it)"
INLINE = "nothing in flight after the response (the work is done before it)"
NOTHING = "no background work"

_BY_STRATEGY = {"inline": INLINE, "none": NOTHING}


def on_crash(strategy: str) -> str:
    if facts(strategy) is not None:
        return BROKER
    return _BY_STRATEGY.get(strategy, IN_PROCESS)


def survives_crash(strategy: str) -> bool:
    return on_crash(strategy) == BROKER
