"""The entry scripts' wrapper: once the command has finished, a signal cannot change its exit
code (during shutdown Python's default handlers would kill the process with -2 or -15)."""

import signal

import pytest

from shared.entry import finish, signals_deferred


@pytest.fixture
def saved_handlers():
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def test_the_exit_code_stands_and_later_signals_are_ignored(saved_handlers):
    assert finish(lambda: 1) == 1
    assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN


def test_an_interrupt_past_the_commands_own_handler_is_exit_130_in_one_line(saved_handlers, capsys):
    def interrupted_as_it_returns() -> int:
        raise KeyboardInterrupt

    assert finish(interrupted_as_it_returns) == 130
    assert capsys.readouterr().err == "interrupted as the command ended\n"
    assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_a_native_library_loads_acts_once_it_has(saved_handlers, sig):
    signal.signal(sig, signal.default_int_handler)
    loaded = False
    with pytest.raises(KeyboardInterrupt):
        with signals_deferred():
            signal.raise_signal(sig)
            loaded = True
    assert loaded
    assert signal.getsignal(sig) is signal.default_int_handler


def test_an_ignored_signal_stays_ignored_when_deferred(saved_handlers):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    with signals_deferred():
        signal.raise_signal(signal.SIGTERM)
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
