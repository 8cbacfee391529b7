"""Read-ahead: the next frames are read and prepared for the network in a background thread while
the network runs on the current one.

On a CPU the network keeps every core busy only while it runs; reading a frame (JPEG or video
decoding) and letterboxing it are single-threaded and would otherwise wait for it, and the
tracker's own step leaves a core idle that the reader can use. OpenCV and OpenVINO release the GIL.

:class:`PrefetchReader` wraps a file source (a video, an image folder, a MOTChallenge sequence):
frames come out in the source's order, none is dropped (unlike
:class:`~fairmot.inference.realtime.LatestFrameReader`), and what the source counts (skipped
frames) is reported as of the frame last handed out, so that an early stop counts nothing the
pipeline never saw.
"""
from __future__ import annotations

import queue
import threading
from typing import Any, Callable, Optional

from .sources import FrameSource, WrappedSource

_END = object()


class PrefetchReader(WrappedSource):
    """``for index, frame in PrefetchReader(source, prepare)``: the source's frames, read up to
    ``depth`` ahead in a thread; after each, ``last_prepared`` holds ``prepare(frame)`` (computed in
    that thread; None without ``prepare``). The thread ends with the iteration; :meth:`stop` ends
    it early (within a frame) and leaves the source open, :meth:`close` closes the source too."""

    def __init__(self, source: FrameSource, prepare: Optional[Callable[[Any], Any]] = None, depth: int = 2):
        super().__init__(source)
        if depth < 1:
            raise ValueError("depth must be at least 1")
        self.length = source.length
        self.prepare = prepare
        self.last_prepared: Any = None
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._skipped = 0

    @property
    def skipped(self):
        return self._skipped

    @skipped.setter
    def skipped(self, value):  # FrameSource.__init__ sets it; counted as frames are handed out
        pass

    def _put(self, item) -> bool:
        """Queue ``item`` unless stopped meanwhile (False)."""
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _read(self):
        try:
            for index, frame in self.source:
                prepared = self.prepare(frame) if self.prepare is not None else None
                if not self._put((index, frame, prepared, self.source.skipped)):
                    return
            self._put((_END, None, None, self.source.skipped))
        except BaseException as err:  # handed to the consumer, where the frame would have been read
            self._put((_END, err, None, self.source.skipped))

    def __iter__(self):
        if self._thread is not None:
            raise RuntimeError("a PrefetchReader is iterated once")
        self._thread = threading.Thread(target=self._read, name="fairmot-prefetch", daemon=True)
        self._thread.start()
        try:
            while True:
                index, frame, prepared, self._skipped = self._queue.get()
                if index is _END:
                    if frame is not None:
                        raise frame
                    return
                self.last_prepared = prepared
                yield index, frame
        finally:
            self.stop()

    def stop(self):
        """End the reader thread (it finishes the frame it is reading)."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def close(self):
        self.stop()
        self.source.close()
