from __future__ import annotations

import os
import signal

import pytest

from sweep import interrupts


def _signal_self(sig: signal.Signals = signal.SIGINT) -> None:
    os.kill(os.getpid(), sig)
    # Python runs a signal's handler between bytecodes: by the next line, it has run.


def _held_then_raised(sig: signal.Signals, seen: list[str]) -> None:
    with interrupts.deferred():
        _signal_self(sig)
        seen.append("after the signal")
        with interrupts.deferred():  # nested: held until the outer block ends
            _signal_self(sig)
        seen.append("after the inner block")
    seen.append("not reached")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_stop_signal_interrupts_at_once(sig: signal.Signals) -> None:
    with interrupts.stop_signals_as_interrupt(), pytest.raises(KeyboardInterrupt):
        _signal_self(sig)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_stop_signal_while_deferred_waits_for_the_block(sig: signal.Signals) -> None:
    seen: list[str] = []
    with interrupts.stop_signals_as_interrupt(), pytest.raises(KeyboardInterrupt):
        _held_then_raised(sig, seen)
    # The block went on to its end; the interrupt came then, once.
    assert seen == ["after the signal", "after the inner block"]


def test_a_held_signal_is_raised_once() -> None:
    with interrupts.stop_signals_as_interrupt():
        with pytest.raises(KeyboardInterrupt), interrupts.deferred():
            _signal_self()
        with interrupts.deferred():
            pass  # nothing pending any more


def test_the_previous_handlers_come_back() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with interrupts.stop_signals_as_interrupt():
        assert signal.getsignal(signal.SIGTERM) is not before
    assert signal.getsignal(signal.SIGTERM) is before
