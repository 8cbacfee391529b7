"""Frame sources for tracking: a video file, a folder of images, or a MOTChallenge sequence.

:func:`open_source` picks the kind from the path. Every source knows its ``name`` (used for output
file names), ``fps``, frame ``size`` (width, height) and ``length`` (frames it expects; a video's
header may be wrong), and iterates over ``(frame_index, frame)`` with frame indices counted from 1
on the source's own timeline and BGR uint8 frames. Frames are read one at a time, so memory
stays flat on long videos.

A frame that cannot be decoded (an unreadable image, a corrupt stretch in the middle of a video)
is skipped with a warning: its index is not yielded and ``skipped`` counts it.
"""
from __future__ import annotations

import logging
import math
import os
import re
import stat
from typing import Iterator, Optional, Sequence, Tuple, Union

from fairmot.datasets.mot_format import read_seqinfo
from fairmot.errors import UserError

# FFmpeg prints its own multi-line complaints (e.g. "moov atom not found") for files it cannot
# decode; we report those as one line ourselves. Read by OpenCV at its first FFmpeg use.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
import cv2  # noqa: E402
import numpy as np  # noqa: E402

logger = logging.getLogger(__name__)

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
DEFAULT_FPS = 30.0
# consecutive failed reads after which a video counts as ended (its header may claim more frames)
MAX_CONSECUTIVE_READ_FAILURES = 50


def _natural_key(name):
    """'img2.jpg' sorts before 'img10.jpg'."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def _truncated_jpeg(path):
    """A JPEG file that does not end with its end-of-image marker (FF D9): cut short."""
    if not path.lower().endswith((".jpg", ".jpeg")):
        return False
    try:
        with open(path, "rb") as f:
            f.seek(-2, os.SEEK_END)
            return f.read(2) != b"\xff\xd9"
    except OSError:
        return False


class FrameSource:
    """Base class: ``name``, ``fps``, ``size``, ``length``, ``skipped``; iterate for frames."""

    name = ""
    fps = DEFAULT_FPS
    size = (0, 0)
    length = 0

    def __init__(self):
        self.skipped = 0
        self.damage = []  # frames used although damaged, and a stream shorter than announced

    def _damaged(self, message):
        """Damaged data that was still used (the run goes on): a warning now, a line in the summary."""
        self.damage.append(message)
        logger.warning(message)

    def __iter__(self) -> Iterator[Tuple[int, np.ndarray]]:
        raise NotImplementedError

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def _skip(self, message):
        self.skipped += 1
        logger.warning(message)


class ImageSequenceSource(FrameSource):
    """Image files in order; frame i is the i-th file (1-based), ``start_frame`` skips earlier ones.

    Used for plain folders of images (sorted by name, numbers compared as numbers) and for
    MOTChallenge sequences (see :func:`open_source`).
    """

    def __init__(self, paths: Sequence[str], name: str, fps: float = DEFAULT_FPS,
                 size: Optional[Tuple[int, int]] = None, start_frame: int = 1):
        super().__init__()
        self.paths = list(paths)
        self.name = name
        self.fps = float(fps)
        self.start_frame = max(int(start_frame), 1)
        self.length = max(len(self.paths) - self.start_frame + 1, 0)
        self.size = tuple(size) if size else self._first_image_size()

    def _first_image_size(self):
        for path in self.paths[self.start_frame - 1:]:
            image = cv2.imread(path)
            if image is not None:
                return image.shape[1], image.shape[0]
        raise UserError(f"no readable image in {self.name!r} ({len(self.paths)} files): "
                        "are they images OpenCV can read?")

    def __iter__(self):
        for index in range(self.start_frame, len(self.paths) + 1):
            path = self.paths[index - 1]
            frame = cv2.imread(path)
            if frame is None:
                self._skip(f"frame {index}: cannot read image {path}; skipped")
                continue
            if _truncated_jpeg(path):
                self._damaged(f"frame {index}: {path} is truncated (part of it decodes grey); tracked as it is")
            yield index, frame


class VideoSource(FrameSource):
    """A video file read with ``cv2.VideoCapture``, frame by frame.

    A failed read in the middle of the stream (a corrupt packet) is skipped and reading goes on;
    the video ends when reads keep failing (MAX_CONSECUTIVE_READ_FAILURES in a row) or the
    decoder's position reaches the frame count in the header. Failed reads that are never
    followed by a good frame are the end of the file, not corrupt frames.
    """

    def __init__(self, path: str, start_frame: int = 1):
        super().__init__()
        self.path = path
        self.name = os.path.splitext(os.path.basename(path))[0]
        self.start_frame = max(int(start_frame), 1)
        self._capture = cv2.VideoCapture(path)
        if not self._capture.isOpened():
            self._capture.release()
            raise UserError(f"{path} is not a video OpenCV can read (unknown or broken format); "
                            "pass a video file, a folder of images or a MOTChallenge sequence")
        fps = self._capture.get(cv2.CAP_PROP_FPS)
        self.fps = float(fps) if fps and fps > 0 and fps < 1000 else DEFAULT_FPS
        self.size = (int(self._capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
                     int(self._capture.get(cv2.CAP_PROP_FRAME_HEIGHT)))
        self.header_length = max(int(self._capture.get(cv2.CAP_PROP_FRAME_COUNT)), 0)
        self.length = max(self.header_length - self.start_frame + 1, 0)
        # read up to the first good frame now, so that a file FFmpeg opens but cannot decode
        # is rejected before any work starts
        self._failed_at_start = 0
        ok, first = self._capture.read()
        while not ok and self._failed_at_start < MAX_CONSECUTIVE_READ_FAILURES:
            self._failed_at_start += 1
            ok, first = self._capture.read()
        if not ok or first is None or self.size[0] <= 0 or self.size[1] <= 0:
            self._capture.release()
            raise UserError(f"{path} opens as a video but no frame can be decoded from it")
        self._first = first

    def __iter__(self):
        """Frames from the current position: a video source is read once."""
        capture, index = self._capture, 0
        pending, self._failed_at_start = self._failed_at_start, 0
        frame, self._first = self._first, None
        while True:
            if frame is None:
                ok, frame = capture.read()
                if not ok or frame is None:
                    frame = None
                    pending += 1
                    position = capture.get(cv2.CAP_PROP_POS_FRAMES)
                    if pending >= MAX_CONSECUTIVE_READ_FAILURES or (
                            self.header_length and position >= self.header_length):
                        if index < self.header_length:
                            self._damaged(f"{self.path} ended after frame {index} although its header "
                                          f"announces {self.header_length} frames")
                        return
                    continue
            for _ in range(pending):  # failures followed by a good frame: corrupt frames
                index += 1
                self._skip(f"frame {index} of {self.path} cannot be decoded (corrupt data); skipped")
            pending = 0
            index += 1
            if index >= self.start_frame:
                yield index, frame
            frame = None

    def close(self):
        self._capture.release()


def _list_images(folder):
    return sorted((f for f in os.listdir(folder) if f.lower().endswith(IMAGE_EXTENSIONS)
                   and os.path.isfile(os.path.join(folder, f))), key=_natural_key)


def has_mot_frames(seq_dir: str) -> bool:
    """True if ``seq_dir`` is a MOTChallenge sequence with its image folder (not ground truth only)."""
    if not os.path.isfile(os.path.join(seq_dir, "seqinfo.ini")):
        return False
    try:
        image_dir = os.path.join(seq_dir, read_seqinfo(seq_dir)["im_dir"])
    except (ValueError, KeyError):
        return False
    return os.path.isdir(image_dir) and bool(_list_images(image_dir))


def open_mot_sequence(seq_dir: str, start_frame: int = 1) -> ImageSequenceSource:
    """A MOTChallenge sequence folder: frames ``<imDir>/<i:06d><imExt>`` for i in 1..seqLength,
    frame rate and size from ``seqinfo.ini``. Frames missing on disk count as unreadable."""
    try:
        info = read_seqinfo(seq_dir)
    except ValueError as err:
        raise UserError(f"unreadable sequence: {err}") from None
    image_dir = os.path.join(seq_dir, info["im_dir"])
    if not os.path.isdir(image_dir):
        raise UserError(f"{seq_dir} has seqinfo.ini but no image folder {info['im_dir']}/: "
                        "a MOTChallenge sequence needs its frames to be tracked")
    length = info["length"] or len(_list_images(image_dir))
    paths = [os.path.join(image_dir, f"{i:06d}{info['im_ext']}") for i in range(1, length + 1)]
    size = (info["width"], info["height"]) if info["width"] > 0 and info["height"] > 0 else None
    return ImageSequenceSource(paths, info["name"], fps=info["frame_rate"] or DEFAULT_FPS,
                               size=size, start_frame=start_frame)


class WrappedSource(FrameSource):
    """A source made from ``self.source``: what that one counts (skipped and damaged frames) and
    reads (its ``path``) is its own; ``name``, ``fps`` and ``size`` start as the wrapped one's."""

    def __init__(self, source: FrameSource):
        super().__init__()
        self.source = source
        self.name, self.fps, self.size = source.name, source.fps, source.size

    @property
    def path(self):
        """The file being read, where the wrapped source has one (a video)."""
        return getattr(self.source, "path", None)

    @property
    def damage(self):
        return self.source.damage

    @damage.setter
    def damage(self, value):  # FrameSource.__init__ sets it; the wrapped source keeps the list
        pass

    @property
    def skipped(self):
        return self.source.skipped

    @skipped.setter
    def skipped(self, value):  # FrameSource.__init__ sets it; the wrapped source counts
        pass

    def close(self):
        self.source.close()


class FrameRange(WrappedSource):
    """The frames of ``source`` up to ``end_frame`` (inclusive), with the source's frame numbers."""

    def __init__(self, source: FrameSource, end_frame: int):
        super().__init__(source)
        self.end_frame = int(end_frame)
        first = getattr(source, "start_frame", 1)
        self.length = max(min(source.length, self.end_frame - first + 1), 0)

    def __iter__(self):
        for index, frame in self.source:
            if index > self.end_frame:
                return
            yield index, frame


def open_source(path: Union[str, os.PathLike], fps: Optional[float] = None, start_frame: int = 1,
                end_frame: Optional[int] = None) -> FrameSource:
    """Open ``path`` as a :class:`FrameSource`.

    - a folder with ``seqinfo.ini``: a MOTChallenge sequence (frame rate from seqinfo.ini);
    - a folder of images (or a folder whose ``img1/`` holds them): its images sorted by name;
    - a file: a video (anything OpenCV's VideoCapture reads).

    ``fps`` overrides the source's frame rate (image folders have none: 30 by default).
    ``start_frame`` starts at that frame (1-based), keeping the source's frame numbers;
    ``end_frame`` stops after that one.
    Raises :class:`UserError` with one clear line for anything that cannot be read.
    """
    path = os.fspath(path)
    if fps is not None and not (math.isfinite(fps) and fps > 0):
        raise UserError(f"frame rate {fps} must be a positive number of frames per second")
    if not os.path.exists(path):
        raise UserError(f"source {path} not found: pass a video file, a folder of images or a "
                        "MOTChallenge sequence folder")
    if not os.access(path, os.R_OK):
        raise UserError(f"source {path} is not readable (permission denied)")
    if os.path.isdir(path):
        name = os.path.basename(os.path.normpath(os.path.abspath(path)))
        if os.path.isfile(os.path.join(path, "seqinfo.ini")):
            source = open_mot_sequence(path, start_frame)
        else:
            folder = path
            if not _list_images(folder) and os.path.isdir(os.path.join(path, "img1")):
                folder = os.path.join(path, "img1")
            images = _list_images(folder)
            if not images:
                raise UserError(f"folder {path} holds no images ({', '.join(IMAGE_EXTENSIONS)}) "
                                "and no seqinfo.ini")
            source = ImageSequenceSource([os.path.join(folder, f) for f in images], name,
                                         start_frame=start_frame)
    else:
        kind = os.stat(path).st_mode
        if not stat.S_ISREG(kind):  # opening a pipe blocks until a writer comes; a device never ends
            what = "a pipe" if stat.S_ISFIFO(kind) else "a device or socket"
            raise UserError(f"source {path} is {what}, not a file: pass a video file, a folder of images "
                            "or a MOTChallenge sequence folder")
        try:
            with open(path, "rb"):
                pass
        except OSError as err:
            raise UserError(f"cannot open source {path}: {err.strerror}") from None
        source = VideoSource(path, start_frame)
    if end_frame is not None:
        if end_frame < start_frame:
            raise UserError(f"frame range {start_frame}-{end_frame} is empty")
        source = FrameRange(source, end_frame)
    if fps is not None:
        source.fps = float(fps)
    return source
