from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from target_app.settings import MiddlewareMode, Settings


def test_defaults_match_the_guide(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(__import__("os").environ):
        if name.startswith("BGBENCH_"):
            monkeypatch.delenv(name)
    settings = Settings()
    assert settings.executor_max_workers == 5
    assert settings.executor_queue_limit == 0
    assert settings.threadpool_tokens == 40
    assert settings.middleware is MiddlewareMode.NONE
    assert settings.smtp_host is None
    assert settings.resolved_database_url.startswith("sqlite:///")
    assert settings.resolved_upload_dir == settings.data_dir / "uploads"


def test_settings_come_from_bgbench_variables(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("BGBENCH_EXECUTOR_MAX_WORKERS", "7")
    monkeypatch.setenv("BGBENCH_EXECUTOR_QUEUE_LIMIT", "3")
    monkeypatch.setenv("BGBENCH_MIDDLEWARE", "asgi")
    monkeypatch.setenv("BGBENCH_UPLOAD_DIR", str(tmp_path))
    monkeypatch.setenv("BGBENCH_SMTP_PASSWORD", "hunter2")
    settings = Settings()
    assert settings.executor_max_workers == 7
    assert settings.executor_queue_limit == 3
    assert settings.middleware is MiddlewareMode.ASGI
    assert settings.resolved_upload_dir == tmp_path
    assert settings.smtp_password is not None
    assert "hunter2" not in repr(settings)  # a secret never shows in logs or tracebacks


@pytest.mark.parametrize(
    ("name", "value"),
    [("BGBENCH_EXECUTOR_MAX_WORKERS", "0"), ("BGBENCH_MIDDLEWARE", "fancy")],
)
def test_invalid_settings_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=name.removeprefix("BGBENCH_").lower()):
        Settings()
