"""The system under test: every common FastAPI background-task pattern, instrumented."""

from target_app.app import create_app
from target_app.settings import Settings

__all__ = ["Settings", "create_app"]
