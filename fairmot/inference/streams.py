"""Live sources: a camera (its index) or a network stream (rtsp://, http://, ... anything OpenCV's
FFmpeg backend opens), read so that a drop or a stall never ends a run by surprise.

:func:`is_live_source` tells such a source from a path; :func:`stream_name` gives it a file name
(credentials left out); :class:`StreamSource` reads it as a :class:`~fairmot.inference.sources.FrameSource`:

- opening and every read are bounded by ``read_timeout`` seconds (FFmpeg's interrupt callback), so a
  server that accepts and never answers fails with one line instead of hanging;
- a live stream (one without a length) that drops or stalls is reopened with backoff, ``reconnect``
  attempts; each outage is a :class:`Gap` in ``gaps``, and the frames the source would have
  delivered meanwhile are counted (``pop_missed``) so that the tracker can step its tracks through
  them instead of seeing a jump;
- after the last attempt the iteration ends and ``lost`` says why (the pipeline keeps the results
  so far and reports it).

A URL whose stream has a known length (a video file served over HTTP) ends where its data ends: reopening
it would start it again from its first frame.
"""
from __future__ import annotations

import logging
import math
import re
import time
import urllib.parse
from dataclasses import dataclass
from typing import Callable, List, Optional

from fairmot.errors import UserError

from .sources import DEFAULT_FPS, FrameSource, cv2

logger = logging.getLogger(__name__)

# schemes that name a stream for OpenCV's FFmpeg backend
STREAM_SCHEMES = ("rtsp", "rtsps", "rtmp", "rtmps", "http", "https", "udp", "tcp", "srt", "mms")
DEFAULT_READ_TIMEOUT = 10.0
DEFAULT_RECONNECT = 3
# waits before the reconnect attempts: 0.5 s, 1 s, 2 s, ... at most 30 s
BACKOFF_FIRST, BACKOFF_MAX = 0.5, 30.0
_NAME_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


def _quiet_opencv():
    """OpenCV's own warnings ('Stream timeout triggered ...') would break the one-line rule: errors only."""
    try:
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
    except AttributeError:  # pragma: no cover - builds without the logging module
        pass


def camera_index(text: str) -> Optional[int]:
    """``"0"`` -> 0: a camera index is a plain non-negative number (not an existing path)."""
    text = str(text).strip()
    return int(text) if text.isdigit() and len(text) <= 3 else None


def stream_scheme(text: str) -> Optional[str]:
    """The scheme of a stream URL (``rtsp``, ``http``, ...), None for anything else."""
    match = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://", str(text).strip())
    if match and match.group(1).lower() in STREAM_SCHEMES:
        return match.group(1).lower()
    return None


def looks_like_url(text: str) -> bool:
    """``something://``: a URL, whether or not we can read its scheme."""
    return re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", str(text).strip()) is not None


def is_live_source(text: str) -> bool:
    """A camera index or a stream URL (the caller checks first that ``text`` is not an existing path)."""
    return camera_index(text) is not None or stream_scheme(text) is not None


def redact(url: str) -> str:
    """The URL with its password replaced by ``***``, for messages and records."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))


def stream_name(text: str) -> str:
    """A file name for a live source: ``0`` -> ``camera0``; ``rtsp://user:pw@10.0.0.5:554/live/ch1``
    -> ``10.0.0.5_554_live_ch1`` (no credentials, no scheme, a path's extension dropped)."""
    index = camera_index(text)
    if index is not None:
        return f"camera{index}"
    parts = urllib.parse.urlsplit(str(text).strip())
    host = parts.hostname or ""
    pieces = [host] + ([str(parts.port)] if parts.port else [])
    path = parts.path.strip("/")
    if path:
        stem, ext = path.rsplit(".", 1) if "." in path.rsplit("/", 1)[-1] else (path, "")
        pieces += stem.split("/")
    if parts.query:
        pieces.append(parts.query)
    name = _NAME_CHARS.sub("_", "_".join(p for p in pieces if p)).strip("._-")
    return (name or "stream")[:100]


@dataclass(frozen=True)
class Gap:
    """A stretch without frames: after frame ``after_frame``, ``seconds`` long, ``missed`` frames
    the source would have sent; ``attempts`` reconnections it took."""
    after_frame: int
    seconds: float
    missed: int
    attempts: int

    def describe(self) -> str:
        return (f"after frame {self.after_frame}: {self.seconds:.1f} s without frames ({self.missed} missed), "
                f"reconnected at attempt {self.attempts}")


class StreamSource(FrameSource):
    """A camera index or a stream URL, read frame by frame with timeouts and reconnection.

    ``fps``: the stream's frame rate is used when it reports a plausible one, else this (else 30).
    ``sleep`` and ``clock`` are injectable for tests. ``cancelled`` (a callable) is polled during the
    waits between reconnect attempts: when it returns True the source gives up at once.
    """

    live = True

    def __init__(self, spec: str, read_timeout: float = DEFAULT_READ_TIMEOUT,
                 reconnect: int = DEFAULT_RECONNECT, fps: Optional[float] = None,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.perf_counter):
        super().__init__()
        if not (math.isfinite(read_timeout) and read_timeout > 0):
            raise UserError(f"--read-timeout must be a positive number of seconds, got {read_timeout}")
        if reconnect < 0:
            raise UserError(f"--reconnect must be 0 or more attempts, got {reconnect}")
        self.spec = str(spec).strip()
        self.display_name = redact(self.spec) if camera_index(self.spec) is None else f"camera {self.spec}"
        self.name = stream_name(self.spec)
        self.read_timeout, self.reconnect = float(read_timeout), int(reconnect)
        self._sleep, self._clock = sleep, clock
        self.cancelled: Callable[[], bool] = lambda: False
        self.gaps: List[Gap] = []
        self.lost: Optional[str] = None
        self.last_arrival: Optional[float] = None
        self._missed = 0
        _quiet_opencv()
        self._capture = self._open()
        if self._capture is None:
            raise UserError(self._open_failure())
        reported = self._capture.get(cv2.CAP_PROP_FPS)
        plausible = reported and 0 < reported < 1000
        self.fps = float(fps) if fps else float(reported) if plausible else DEFAULT_FPS
        count = self._capture.get(cv2.CAP_PROP_FRAME_COUNT)
        # a live stream reports no count (0, or a huge negative number from FFmpeg); a served file has one
        self.length = int(count) if count and 0 < count < 1e9 else 0
        self.size = (int(self._capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
                     int(self._capture.get(cv2.CAP_PROP_FRAME_HEIGHT)))
        self._first = self._read_first(self._capture)
        if self._first is None:
            self._capture.release()
            raise UserError(f"{self.display_name} opens but sends no frame within {self.read_timeout:g} s "
                            "(--read-timeout): is the stream running?")
        if self.size[0] <= 0 or self.size[1] <= 0:
            self.size = (self._first.shape[1], self._first.shape[0])

    # opening and reading -------------------------------------------------------------------
    def _open(self):
        """A ``cv2.VideoCapture`` that is open, or None. OpenCV's backends log their own failures
        while probing (several lines per attempt); we report the failure ourselves."""
        index = camera_index(self.spec)
        logging_module = getattr(cv2.utils, "logging", None)
        if logging_module is not None:
            logging_module.setLogLevel(logging_module.LOG_LEVEL_SILENT)
        try:
            if index is not None:
                capture = cv2.VideoCapture(index)
            else:
                ms = int(self.read_timeout * 1000)
                capture = cv2.VideoCapture(self.spec, cv2.CAP_FFMPEG,
                                           [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, ms, cv2.CAP_PROP_READ_TIMEOUT_MSEC, ms])
        finally:
            _quiet_opencv()
        if capture.isOpened():
            return capture
        capture.release()
        return None

    def _open_failure(self) -> str:
        if camera_index(self.spec) is not None:
            return (f"cannot open camera {self.spec}: no such camera, or another program uses it "
                    "(cameras are numbered from 0)")
        return (f"cannot open {self.display_name}: no answer within {self.read_timeout:g} s (--read-timeout), "
                "or not a stream OpenCV's FFmpeg can read; check the address and that the server runs")

    def _read_first(self, capture):
        """The first frame of a fresh connection (None if none comes)."""
        ok, frame = capture.read()
        if not ok or frame is None:
            return None
        self.last_arrival = self._clock()
        return frame

    def _wait(self, seconds: float) -> bool:
        """Sleep ``seconds`` in short steps; False if cancelled meanwhile."""
        end = self._clock() + seconds
        while True:
            if self.cancelled():
                return False
            left = end - self._clock()
            if left <= 0:
                return True
            self._sleep(min(left, 0.1))

    def _reopen(self):
        """(capture, first frame, attempts) after a drop, or None when every attempt failed."""
        for attempt in range(1, self.reconnect + 1):
            if not self._wait(min(BACKOFF_FIRST * 2 ** (attempt - 1), BACKOFF_MAX)):
                return None
            capture = self._open()
            if capture is None:
                continue
            frame = self._read_first(capture)
            if frame is not None:
                return capture, frame, attempt
            capture.release()
        return None

    def pop_missed(self) -> int:
        """Frames the source missed (outages) since the last call."""
        missed, self._missed = self._missed, 0
        return missed

    def __iter__(self):
        index, frame = 0, self._first
        self._first = None
        # the frame read while opening waited for the model to load: its latency counts from now
        self.last_arrival = self._clock()
        while True:
            if frame is None:
                ok, frame = self._capture.read()
                if ok and frame is not None:
                    self.last_arrival = self._clock()
                else:
                    frame = None
                    if self.length:  # a served file: reopening would start it again from the top
                        if index < self.length:
                            self._damaged(f"{self.display_name} ended after frame {index} although it "
                                          f"announces {self.length} frames")
                        return
                    if self.cancelled():
                        return
                    last = self.last_arrival
                    self._capture.release()
                    reopened = self._reopen() if self.reconnect else None
                    if reopened is None:
                        if not self.cancelled():
                            tried = (f"{self.reconnect} reconnect attempt(s) failed" if self.reconnect
                                     else "--reconnect 0: not reopened")
                            self.lost = f"{self.display_name} stopped sending frames after frame {index} ({tried})"
                        return
                    self._capture, frame, attempts = reopened
                    seconds = self.last_arrival - last
                    missed = max(int(round(seconds * self.fps)) - 1, 0)
                    self.gaps.append(Gap(index, seconds, missed, attempts))
                    logger.warning(f"{self.display_name}: {self.gaps[-1].describe()}")
                    index += missed
                    self._missed += missed
            index += 1
            yield index, frame
            frame = None

    def close(self):
        self._capture.release()
