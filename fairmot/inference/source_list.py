"""Many sources in one command: what the user listed, expanded into sources with names that cannot collide.

``fairmot track A.mp4 B.mp4 archive/ cams.txt 0 rtsp://...`` takes video files, image folders,
MOTChallenge sequences, folders of videos (searched recursively for videos and sequences), text
files listing sources (one per line, ``#`` comments, paths relative to the list) and live sources.
:func:`expand_sources` turns that into :class:`SourceSpec` s, each with the name its results
are written under; :func:`open_spec` opens one.

Names are the sources' own (a video's stem, a sequence's name) where they are unique; sources
whose names clash (``day1/cam.mp4``, ``day2/cam.mp4``) are told apart by their folders
(``day1_cam``, ``day2_cam``), case-insensitively since file systems may be. The same list always
gives the same names, which is what lets every process of a run (``--workers``, ``torchrun``)
agree on them and a re-run find earlier results.
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional

from fairmot.datasets.mot_format import read_seqinfo
from fairmot.errors import UserError

from .sources import IMAGE_EXTENSIONS, FrameSource, _list_images, _natural_key, open_source
from .streams import DEFAULT_READ_TIMEOUT, DEFAULT_RECONNECT, is_live_source, looks_like_url, stream_name

logger = logging.getLogger(__name__)

VIDEO_EXTENSIONS = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".ts", ".mts",
                    ".flv", ".wmv", ".3gp", ".ogv")
LIST_EXTENSIONS = (".txt", ".list")
_NAME_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class SourceSpec:
    """One source: ``location`` (a path, a URL or a camera index) and the ``name`` of its results."""
    location: str
    name: str
    live: bool = False


def _safe(text: str) -> str:
    return _NAME_CHARS.sub("_", text).strip("._-") or "source"


def _own_name(location: str, live: bool) -> str:
    """The name a source gives its results on its own (as a single-source run does)."""
    if live:
        return stream_name(location)
    path = os.path.normpath(location)
    if os.path.isdir(path):
        if os.path.isfile(os.path.join(path, "seqinfo.ini")):
            try:
                return read_seqinfo(path)["name"]
            except (ValueError, KeyError):
                pass
        return os.path.basename(os.path.abspath(path))
    return os.path.splitext(os.path.basename(path))[0]


def _is_frames_folder(path: str) -> bool:
    """A folder that is one source: a MOTChallenge sequence or a folder of images (or of img1/)."""
    if os.path.isfile(os.path.join(path, "seqinfo.ini")) or _list_images(path):
        return True
    return os.path.isdir(os.path.join(path, "img1")) and bool(_list_images(os.path.join(path, "img1")))


def _videos_and_sequences(folder: str) -> List[str]:
    """Every video file and MOTChallenge sequence under ``folder``, in natural order."""
    found = []
    for root, dirs, files in os.walk(folder, followlinks=False):
        dirs.sort(key=_natural_key)
        sequences = [d for d in dirs if os.path.isfile(os.path.join(root, d, "seqinfo.ini"))]
        for d in sequences:
            found.append(os.path.join(root, d))
        dirs[:] = [d for d in dirs if d not in sequences and not d.startswith(".")]
        found.extend(os.path.join(root, f) for f in sorted(files, key=_natural_key)
                     if f.lower().endswith(VIDEO_EXTENSIONS) and not f.startswith("."))
    return sorted(found, key=lambda p: _natural_key(os.path.relpath(p, folder)))


def _read_list(path: str) -> List[str]:
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise UserError(f"cannot read the source list {path}: {getattr(err, 'strerror', None) or err}") from None
    entries = []
    folder = os.path.dirname(os.path.abspath(path))
    for number, line in enumerate(lines, 1):
        item = line.split("#", 1)[0].strip() if not looks_like_url(line.strip()) else line.strip()
        if not item:
            continue
        if item.lower().endswith(LIST_EXTENSIONS) and not looks_like_url(item):
            raise UserError(f"{path} line {number}: {item} is a source list; lists cannot name other lists")
        if not looks_like_url(item) and not (is_live_source(item) and not os.path.exists(item)):
            item = item if os.path.isabs(item) else os.path.join(folder, item)
        entries.append(item)
    if not entries:
        raise UserError(f"the source list {path} names no source (one per line; # starts a comment)")
    return entries


def _locations(items: Iterable[str]) -> List[tuple]:
    """(location, live) for each source the items name, lists and folders expanded."""
    found = []
    for item in items:
        item = str(item).strip()
        if not item:
            raise UserError("an empty source name was given: pass video files, folders, lists or streams")
        if os.path.exists(item):
            if os.path.isdir(item):
                if _is_frames_folder(item):
                    found.append((item, False))
                    continue
                inside = _videos_and_sequences(item)
                if not inside:
                    raise UserError(f"folder {item} holds no images, no videos ({', '.join(VIDEO_EXTENSIONS[:4])}, "
                                    "...) and no MOTChallenge sequences")
                found.extend((path, False) for path in inside)
            elif item.lower().endswith(LIST_EXTENSIONS):
                found.extend(_locations_of_list(item))
            else:
                found.append((item, False))
        elif is_live_source(item):
            found.append((item, True))
        elif looks_like_url(item):
            raise UserError(f"{item.split('://', 1)[0]}:// is not a stream address OpenCV reads: use rtsp://, "
                            "rtsps://, http(s)://, rtmp://, udp://, tcp:// or srt://")
        else:
            raise UserError(f"source {item} not found: pass video files, folders of images or videos, "
                            "MOTChallenge sequences, a list of sources (.txt), a camera index or a stream URL")
    return found


def _locations_of_list(path: str) -> List[tuple]:
    try:
        return _locations(_read_list(path))
    except UserError as err:
        if str(err).startswith(path):
            raise
        raise UserError(f"{path}: {err}") from None


def _disambiguate(groups: Dict[str, List[int]], locations: List[tuple], names: List[str]) -> None:
    """Give the clashing sources in each group names made from their folders, else a hash."""
    for indices in groups.values():
        if len(indices) < 2:
            continue
        paths = [os.path.abspath(locations[i][0]) if not locations[i][1] else locations[i][0] for i in indices]
        parts = [os.path.normpath(p).split(os.sep)[:-1] for p in paths]
        chosen = None
        for depth in range(1, max(len(p) for p in parts) + 1):
            candidate = [_safe("_".join(p[-depth:] + [names[i]])) for p, i in zip(parts, indices)]
            if len({c.lower() for c in candidate}) == len(candidate):
                chosen = candidate
                break
        if chosen is None:  # the same name from places that do not differ by folder (streams)
            chosen = [f"{names[i]}-{hashlib.sha1(p.encode()).hexdigest()[:8]}" for p, i in zip(paths, indices)]
        for i, name in zip(indices, chosen):
            names[i] = name


def expand_sources(items: Iterable[str]) -> List[SourceSpec]:
    """The sources ``items`` name, in order, the same one listed twice kept once, with unique names.

    Raises :class:`UserError` (one line) for an item that is neither an existing path nor a live
    source, a folder with nothing to track, or an unreadable or empty list.
    """
    locations, seen = [], set()
    for location, live in _locations(items):
        key = location if live else os.path.realpath(location)
        if key in seen:
            logger.warning(f"{location} is listed more than once: tracked once")
            continue
        seen.add(key)
        locations.append((location, live))
    names = [_safe(_own_name(location, live)) for location, live in locations]
    for _ in range(3):  # a new name can clash with another source's own name: settle it again
        groups: Dict[str, List[int]] = {}
        for i, name in enumerate(names):
            groups.setdefault(name.lower(), []).append(i)
        if all(len(g) == 1 for g in groups.values()):
            break
        _disambiguate(groups, locations, names)
    return [SourceSpec(location, name, live) for (location, live), name in zip(locations, names)]


def open_spec(spec: SourceSpec, fps: Optional[float] = None, realtime: bool = False,
              read_timeout: float = DEFAULT_READ_TIMEOUT, reconnect: int = DEFAULT_RECONNECT,
              name: Optional[str] = None) -> FrameSource:
    """Open one source, named ``name`` (default ``spec.name``); real-time reading if asked for."""
    if spec.live:
        from .streams import StreamSource
        source = StreamSource(spec.location, read_timeout=read_timeout, reconnect=reconnect, fps=fps)
    else:
        source = open_source(spec.location, fps=fps)
    source.name = name or spec.name
    if realtime:
        from .realtime import LatestFrameReader
        source = LatestFrameReader(source)
    return source


__all__ = ["SourceSpec", "expand_sources", "open_spec", "VIDEO_EXTENSIONS", "IMAGE_EXTENSIONS"]
