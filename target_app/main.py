"""`uvicorn target_app.main:app`: the app with settings from the BGBENCH_* environment."""

from target_app.app import create_app

app = create_app()
