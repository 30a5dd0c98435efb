"""The one error every reader raises: a message a person can act on, printed on one line."""

from __future__ import annotations


class ReportInputError(Exception):
    """Input that cannot be reported on: says what is wrong and how to fix it, in one line."""
