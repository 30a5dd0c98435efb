"""The queue strategies: work handed to a task queue library's workers (bgbench.queues names
them; one module each beside library.py, which says what each must provide). Workers report
each job's start and end back to the app over a Redis list, so the ledger shows queue wait and
completion lag like any other strategy's."""
