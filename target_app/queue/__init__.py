"""The queue strategy: work handed to Celery workers over Redis, as the FastAPI docs suggest
once BackgroundTasks is not enough. Workers report each task's start and end back to the app
over a Redis list, so the ledger shows queue wait and completion lag like any other strategy.

Guarantee: at least once. Tasks are acknowledged late (after they ran) and rejected when
their worker is lost, so a worker killed mid-task has its task delivered again — possibly
running it twice.
"""
