"""The suite's own switch: under CI a missing service fails instead of skipping, and CI=1
(GitLab's older runners, people by hand) counts as much as GitHub's CI=true."""

from __future__ import annotations

import pytest

from tests import conftest
from tests.conftest import in_ci, require_service


@pytest.mark.parametrize("value", ["true", "1", "TRUE", "True", " yes ", "on"])
def test_ci_set_to_anything_but_off_counts(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CI", value)
    assert in_ci()


@pytest.mark.parametrize("value", ["", "0", "false", "FALSE", "no", " "])
def test_ci_unset_empty_or_off_does_not(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CI", value)
    assert not in_ci()


def test_ci_unset_does_not(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    assert not in_ci()


def _missing_service(monkeypatch: pytest.MonkeyPatch) -> None:
    # Nothing listens on port 1 of loopback: the service is missing, whatever runs here.
    monkeypatch.setitem(conftest.SERVICE_HINTS, "redis", ("redis://127.0.0.1:1", "start one"))


@pytest.mark.parametrize("value", ["1", "true"])
def test_under_ci_a_missing_service_fails(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    _missing_service(monkeypatch)
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception, match=f"CI={value}: needs redis"):
        require_service("redis")


def test_outside_ci_a_missing_service_skips(monkeypatch: pytest.MonkeyPatch) -> None:
    _missing_service(monkeypatch)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="needs redis at redis://127"):
        require_service("redis")
