"""Ctrl-C, ``kill``/``timeout`` (SIGTERM) and a closed terminal (SIGHUP), all handled like Ctrl-C.

Python turns only SIGINT into an exception; SIGTERM and SIGHUP kill the process on the spot, which
leaves a half-written video index or a temporary checkpoint behind. Two ways to handle them:

- :class:`StopAtSafePoint`: the first signal only sets ``requested``; the loop stops at its next
  safe point (tracking: when the frame's outputs are written). A second one stops at once.
- :func:`stop_signals_interrupt`: every one of them raises :class:`Interrupted` at once, so that
  ``finally`` blocks and atomic writers clean up (training).

Both act only where the default handling (or :func:`stop_signals_interrupt`'s) is in place, so
that a caller's own handler is left alone, and only in the main thread. The CLI runs every command
under :func:`stop_signals_interrupt`; tracking nests a :class:`StopAtSafePoint` inside it.
``Interrupted.signum`` says which signal: the process exits 128 + it.
"""
from __future__ import annotations

import contextlib
import signal
import threading
from typing import Iterator

STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


class Interrupted(KeyboardInterrupt):
    """A stop signal arrived; ``signum`` is which one."""

    def __init__(self, signum: int = signal.SIGINT, message: str = ""):
        super().__init__(message or f"interrupted by {signal.Signals(signum).name}")
        self.signum = int(signum)


def _default_handler(signum):
    return signal.default_int_handler if signum == signal.SIGINT else signal.SIG_DFL


def _replaceable(signum) -> bool:
    """Python's default handling, or ours: never a handler somebody else installed."""
    return signal.getsignal(signum) in (_default_handler(signum), _raise_interrupted)


@contextlib.contextmanager
def _handlers(handle) -> Iterator[None]:
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for signum in STOP_SIGNALS:
            if _replaceable(signum):
                previous[signum] = signal.signal(signum, handle)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


class StopAtSafePoint:
    """``with StopAtSafePoint() as stop: ... if stop.requested: raise Interrupted(stop.signum)``."""

    def __init__(self):
        self.requested = False
        self.signum = int(signal.SIGINT)
        self._context = None

    def _handle(self, signum, frame):
        if self.requested:
            raise Interrupted(signum)
        self.requested, self.signum = True, int(signum)

    def __enter__(self) -> StopAtSafePoint:
        self._context = _handlers(self._handle)
        self._context.__enter__()
        return self

    def __exit__(self, *exc) -> bool:
        self._context.__exit__(*exc)
        return False


def _raise_interrupted(signum, frame):
    raise Interrupted(signum)


def stop_signals_interrupt() -> contextlib.AbstractContextManager:
    """While active, SIGINT, SIGTERM and SIGHUP raise :class:`Interrupted` where they arrive."""
    return _handlers(_raise_interrupted)
