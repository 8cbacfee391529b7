"""Real-time reading: frames are read in a background thread and only the newest is kept, so that
a pipeline slower than its source drops frames at the source instead of falling ever further behind.

:class:`LatestFrameReader` wraps any :class:`~fairmot.inference.sources.FrameSource`. A live source
is read as fast as it sends; a file is played at its frame rate (``pace``), as a camera would
deliver it. ``received = processed + dropped`` once the iteration has ended.
"""
from __future__ import annotations

import threading
import time
from typing import Callable, Optional

from .sources import FrameSource, WrappedSource


class LatestFrameReader(WrappedSource):
    """``for index, frame in LatestFrameReader(source)``: the newest frame each time one is asked for.

    Frame indices stay the source's, so dropped frames show as gaps in the numbering; the frames a
    live source missed in an outage are passed on by :meth:`pop_missed` (drops are not outages: the
    tracker sees a lower frame rate, not missing frames). ``last_arrival`` is the
    ``time.perf_counter()`` at which the frame last handed out came from the source.
    """

    def __init__(self, source: FrameSource, pace: Optional[bool] = None,
                 clock: Callable[[], float] = time.perf_counter):
        super().__init__(source)
        self.live = getattr(source, "live", False)
        self.length = 0  # unknown: how many frames are dropped depends on the pipeline's speed
        self.pace = (not self.live) if pace is None else bool(pace)
        self.received = self.processed = self.dropped = 0
        self.last_arrival: Optional[float] = None
        self.cancelled: Callable[[], bool] = lambda: False
        self._clock = clock
        self._slot = None
        self._done = False
        self._error: Optional[BaseException] = None
        self._missed = 0
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        if hasattr(source, "cancelled"):
            source.cancelled = lambda: self._stop.is_set() or self.cancelled()

    # what the wrapped stream knows besides ------------------------------------------------------
    @property
    def gaps(self):
        return getattr(self.source, "gaps", [])

    @property
    def lost(self):
        return getattr(self.source, "lost", None)

    # reading ----------------------------------------------------------------------------------
    def _read(self):
        try:
            start, count = self._clock(), 0
            pop_missed = getattr(self.source, "pop_missed", None)
            for index, frame in self.source:
                if self._stop.is_set():
                    break
                if self.pace:
                    delay = start + count / self.fps - self._clock()
                    if delay > 0 and self._stop.wait(delay):
                        break
                count += 1
                arrival = self._clock() if self.pace else getattr(self.source, "last_arrival", None) or self._clock()
                missed = pop_missed() if pop_missed else 0
                with self._cond:
                    if self._slot is not None:
                        self.dropped += 1
                    self._slot = (index, frame, arrival)
                    self.received += 1
                    self._missed += missed
                    self._cond.notify()
        except BaseException as err:  # handed to the consumer
            self._error = err
        finally:
            with self._cond:
                self._done = True
                self._cond.notify()

    def pop_missed(self) -> int:
        with self._cond:
            missed, self._missed = self._missed, 0
        return missed

    def __iter__(self):
        self._thread = threading.Thread(target=self._read, name="fairmot-frame-reader", daemon=True)
        self._thread.start()
        while True:
            with self._cond:
                while self._slot is None and not self._done:
                    if self.cancelled():
                        return
                    self._cond.wait(0.1)
                if self._slot is None:
                    if self._error is not None:
                        raise self._error
                    return
                index, frame, self.last_arrival = self._slot
                self._slot = None
            self.processed += 1
            yield index, frame

    def close(self):
        self._stop.set()
        thread = self._thread
        if thread is not None and thread.is_alive():
            # the reader may be inside a read bounded by the stream's timeout; releasing the capture
            # under it would crash OpenCV, so it is released only once the thread is out
            thread.join(timeout=getattr(self.source, "read_timeout", 5.0) + 2.0)
        with self._cond:
            if self._slot is not None:  # received but never handed out: dropped
                self.dropped += 1
                self._slot = None
        if thread is None or not thread.is_alive():
            self.source.close()
