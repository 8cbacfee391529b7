"""Annotated video output, written frame by frame with ``cv2.VideoWriter``.

Formats (by file extension):

- ``.avi``: Motion-JPEG. Every frame is a self-contained JPEG written as it comes, so even a
  process killed without warning leaves a playable file holding all but the last few frames.
  The default.
- ``.mp4``: MPEG-4 part 2 (``mp4v``), about 6x smaller; the file is only playable once
  :meth:`VideoWriter.close` has run (a normal end, an error or Ctrl-C, not a hard kill).
"""
from __future__ import annotations

import errno
import os
from typing import TYPE_CHECKING, Tuple

from fairmot.errors import UserError

if TYPE_CHECKING:
    import numpy as np

FOURCC = {".avi": "MJPG", ".mp4": "mp4v"}
# OpenCV's writer only logs "Failed to write frame" when the disk is full; below this much free
# space the next frame may not fit, so writing stops first and the frames so far stay whole
MIN_FREE_BYTES = 256 * 1024
VIDEO_FORMATS = tuple(ext.lstrip(".") for ext in FOURCC)


def free_bytes(path: str) -> int:
    """Bytes a normal user may still write on the file system holding ``path``."""
    stats = os.statvfs(os.path.dirname(os.path.abspath(path)))
    return stats.f_bavail * stats.f_frsize


class VideoWriter:
    """Write BGR frames of ``size`` (width, height) at ``fps`` to ``path``; use as a context manager.

    Frames of another size are resized to ``size`` (a source whose images change size).
    """

    def __init__(self, path: str, fps: float, size: Tuple[int, int]):
        from .sources import cv2  # FFmpeg logging configured there

        ext = os.path.splitext(path)[1].lower()
        if ext not in FOURCC:
            raise UserError(f"video {path}: unsupported extension {ext or '(none)'}; use "
                            + " or ".join(FOURCC))
        self.path = path
        self.size = (int(size[0]), int(size[1]))
        self.frames = 0
        self._cv2 = cv2
        self._writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*FOURCC[ext]), float(fps),
                                       self.size)
        if not self._writer.isOpened():
            self._writer.release()
            raise UserError(f"cannot write video {path} ({FOURCC[ext]} at {self.size[0]}x"
                            f"{self.size[1]}, {fps:g} fps): is the folder writable?")

    def write(self, frame: np.ndarray, check_space: bool = True) -> None:
        """Add a frame; OSError (ENOSPC) instead when the disk is (nearly) full (``check_space=False``:
        the caller has just called :meth:`check_space`)."""
        cv2 = self._cv2
        if check_space:
            self.check_space()
        if (frame.shape[1], frame.shape[0]) != self.size:
            frame = cv2.resize(frame, self.size, interpolation=cv2.INTER_AREA)
        self._writer.write(frame)
        self.frames += 1

    def check_space(self) -> None:
        """OSError (ENOSPC) when the disk is too full for another frame."""
        free = free_bytes(self.path)
        if free < MIN_FREE_BYTES:
            raise OSError(errno.ENOSPC, f"No space left on device ({free // 1024} KiB free)")

    def close(self):
        """Finish the file (writes the container's index); safe to call more than once."""
        self._writer.release()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
