from __future__ import annotations

import threading

import pytest

from bgbench import hdr
from bgbench.ledger import TaskLedger, TaskStatus, UnknownTask


def counts(ledger: TaskLedger, key: str) -> dict[str, int]:
    summary = ledger.summary()[key]
    names = ("enqueued", "started", "completed", "failed", "not_run", "rejected", "in_flight")
    return {name: summary[name] for name in names}


def test_a_task_moves_from_queued_to_done_with_its_timings() -> None:
    ledger = TaskLedger()
    task_id = ledger.enqueue("background/sleep", "req-1")
    record = ledger.get(task_id)
    assert record is not None
    assert ledger.status_of(task_id) is TaskStatus.QUEUED
    ledger.start(task_id, at=record.enqueued_at + 0.002)
    ledger.finish(task_id, "ok", at=record.enqueued_at + 0.005)

    assert ledger.status_of(task_id) is TaskStatus.DONE
    assert record.result == "ok"
    summary = ledger.summary()["background/sleep"]
    # 2 ms wait, 3 ms run, 5 ms from enqueue to done (HDR keeps 3 significant figures).
    assert summary["queue_wait_us"]["p50"] == pytest.approx(2000, rel=1e-2)
    assert summary["run_time_us"]["p50"] == pytest.approx(3000, rel=1e-2)
    assert summary["completion_lag_us"]["p50"] == pytest.approx(5000, rel=1e-2)
    assert counts(ledger, "background/sleep") == {
        "enqueued": 1,
        "started": 1,
        "completed": 1,
        "failed": 0,
        "not_run": 0,
        "rejected": 0,
        "in_flight": 0,
    }


def test_an_escaping_failure_marks_the_rest_of_its_chain_not_run() -> None:
    ledger = TaskLedger()
    first, second, third, fourth = ledger.enqueue_chain("failing/sleep", "req", 4)
    ledger.start(first)
    ledger.finish(first)
    ledger.start(second)
    ledger.fail(second, "boom", stops_chain=True)

    statuses = [ledger.get(t).status for t in (first, second, third, fourth)]  # type: ignore[union-attr]
    assert statuses == [TaskStatus.DONE, TaskStatus.FAILED, TaskStatus.NOT_RUN, TaskStatus.NOT_RUN]
    assert "before it in the same BackgroundTasks raised" in str(ledger.get(third).error)  # type: ignore[union-attr]
    assert counts(ledger, "failing/sleep")["not_run"] == 2
    assert ledger.in_flight == 0


def test_a_guarded_failure_leaves_the_chain_alone() -> None:
    ledger = TaskLedger()
    first, second = ledger.enqueue_chain("failing_guarded/sleep", "req", 2)
    ledger.start(first)
    ledger.fail(first, "boom", stops_chain=False)
    assert ledger.get(second).status is TaskStatus.QUEUED  # type: ignore[union-attr]


def test_rejected_tasks_count_as_not_run_and_as_rejected() -> None:
    ledger = TaskLedger()
    task_id = ledger.enqueue("executor/sleep", "req")
    ledger.reject(task_id, "queue full")
    assert counts(ledger, "executor/sleep")["not_run"] == 1
    assert counts(ledger, "executor/sleep")["rejected"] == 1


def test_a_second_start_is_a_redelivery_not_a_new_task() -> None:
    ledger = TaskLedger()
    task_id = ledger.enqueue("queue/sleep", "req")
    ledger.start(task_id)
    ledger.start(task_id)
    ledger.finish(task_id)
    assert ledger.redelivered == 1
    assert counts(ledger, "queue/sleep")["started"] == 1
    assert ledger.get(task_id).attempts == 2  # type: ignore[union-attr]


def test_a_start_after_the_task_ended_is_a_redelivery_that_runs_it_twice() -> None:
    # Its ack was lost with the broker's connection: the broker gave it back after it ran.
    ledger = TaskLedger()
    task_id = ledger.enqueue("queue/sleep", "req")
    ledger.start(task_id)
    ledger.finish(task_id)
    ledger.start(task_id)
    assert ledger.redelivered == 1
    assert ledger.get(task_id).status is TaskStatus.RUNNING  # type: ignore[union-attr]
    ledger.finish(task_id)
    # One task, finished once in the counts, run twice.
    assert (
        counts(ledger, "queue/sleep")["started"],
        counts(ledger, "queue/sleep")["completed"],
    ) == (1, 1)
    assert ledger.get(task_id).attempts == 2  # type: ignore[union-attr]


def test_ending_a_task_twice_keeps_the_first_outcome() -> None:
    ledger = TaskLedger()
    task_id = ledger.enqueue("background/sleep", "req")
    ledger.start(task_id)
    ledger.finish(task_id)
    ledger.fail(task_id, "late")
    assert ledger.get(task_id).status is TaskStatus.DONE  # type: ignore[union-attr]
    assert counts(ledger, "background/sleep")["failed"] == 0


def test_unknown_tasks_are_an_error() -> None:
    with pytest.raises(UnknownTask):
        TaskLedger().start("nope")


def test_retention_evicts_old_finished_tasks_but_never_unfinished_ones() -> None:
    ledger = TaskLedger(retain_finished=2)
    waiting = ledger.enqueue("executor/sleep", "req")
    done = []
    for _ in range(3):
        task_id = ledger.enqueue("executor/sleep", "req")
        ledger.start(task_id)
        ledger.finish(task_id)
        done.append(task_id)
    assert ledger.get(done[0]) is None
    assert ledger.get(done[2]) is not None
    assert ledger.get(waiting) is not None
    assert counts(ledger, "executor/sleep")["completed"] == 3


def test_a_window_holds_only_what_happened_since_the_last_one() -> None:
    ledger = TaskLedger()
    first = ledger.enqueue("background/cpu", "req")
    ledger.start(first)
    ledger.finish(first)
    window = ledger.take_window()
    assert window["tasks"]["background/cpu"]["completed"] == 1
    lag = hdr.decode(window["tasks"]["background/cpu"]["completion_lag_us"])
    assert lag.get_total_count() == 1

    second = ledger.enqueue("background/cpu", "req")
    later = ledger.take_window()
    assert later["tasks"]["background/cpu"]["enqueued"] == 1
    assert later["tasks"]["background/cpu"]["completed"] == 0
    assert later["since"] == window["until"]
    ledger.skip(second, "test")
    assert counts(ledger, "background/cpu")["enqueued"] == 2


def test_the_totals_hold_every_window_taken_and_the_current_one() -> None:
    # Timings are recorded once, in the window, and folded into the totals as it is taken.
    ledger = TaskLedger()

    def one(at: float, ms: float) -> None:
        task_id = ledger.enqueue("queue/sleep", "req")
        ledger.start(task_id, at=at)
        ledger.finish(task_id, at=at + ms / 1000)

    now = ledger.get(ledger.enqueue("queue/other", "req")).enqueued_at  # type: ignore[union-attr]
    for _ in range(3):
        one(now, 10)
    ledger.take_window()
    for _ in range(2):
        one(now, 1000)  # the current window, not taken yet
    ran = hdr.decode(ledger.histograms()["queue/sleep"]["run_time_us"])
    assert ran.get_total_count() == 5
    assert ran.get_max_value() >= 999_000  # the current window's are in
    assert ran.get_min_value() <= 10_100  # and the taken one's
    assert ledger.summary()["queue/sleep"]["run_time_us"]["count"] == 5
    later = ledger.take_window()["tasks"]["queue/sleep"]
    assert hdr.decode(later["run_time_us"]).get_total_count() == 2  # only its own
    after = hdr.decode(ledger.histograms()["queue/sleep"]["run_time_us"])
    assert after.get_total_count() == 5  # folded in once, not twice


def test_wait_until_idle_returns_when_the_last_task_ends() -> None:
    ledger = TaskLedger()
    task_id = ledger.enqueue("executor/sleep", "req")
    assert ledger.wait_until_idle(0.01) is False

    def finish() -> None:
        ledger.start(task_id)
        ledger.finish(task_id)

    finisher = threading.Thread(target=finish)
    finisher.start()
    assert ledger.wait_until_idle(10) is True
    finisher.join()


def test_counters_balance_under_concurrent_recording() -> None:
    ledger = TaskLedger()

    def worker() -> None:
        for number in range(500):
            task_id = ledger.enqueue("executor/sleep", "req")
            ledger.start(task_id)
            if number % 3:
                ledger.finish(task_id)
            else:
                ledger.fail(task_id, "x")

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result = counts(ledger, "executor/sleep")
    assert result["enqueued"] == 2000
    assert result["completed"] + result["failed"] == 2000
    assert ledger.summary()["executor/sleep"]["run_time_us"]["count"] == 2000
