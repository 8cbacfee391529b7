"""Where a tracking run writes, and how it never loses what a user already has.

The policy, the same for every command that writes results:

- Nothing is written over a source: an output path that is the file being read is an error.
- Nothing is written over an earlier result: an output that exists is an error unless the
  caller passes ``overwrite=True`` (``--overwrite``).
- While the run goes, each file (or folder, as the crops') is written under a staging name beside
  its final one (``clip.partial.txt``, ``clip.partial.avi``), frame by frame and flushed: a killed process
  leaves the frames done so far readable there.
- When the run ends normally, the staged files are renamed into place.
- When it ends early (Ctrl-C, SIGTERM, an error) after some frames, the staged files move into
  place too, unless that would replace an earlier complete result (``--overwrite``): then the
  earlier result stays and the partial one is kept under its staging name. A run that wrote no
  frame leaves nothing, not even the output folder it created.
"""
from __future__ import annotations

import contextlib
import os
import shutil
from typing import Dict, Iterable, List, Optional

from fairmot.errors import UserError

PARTIAL = ".partial"


def staging_path(path: str) -> str:
    """``out/clip.txt`` -> ``out/clip.partial.txt`` (same extension: writers pick formats by it)."""
    stem, ext = os.path.splitext(path)
    return f"{stem}{PARTIAL}{ext}"


def _same_file(a: str, b: str) -> bool:
    if os.path.abspath(a) == os.path.abspath(b):
        return True
    with contextlib.suppress(OSError):
        return os.path.samefile(a, b)
    return False


def check_not_a_source(paths: Iterable[str], sources: Iterable[Optional[str]]) -> None:
    """UserError if one of ``paths`` is one of the files being read."""
    sources = [s for s in sources if s]
    for path in paths:
        for source in sources:
            if _same_file(path, source):
                raise UserError(f"{path} is the source being read: writing there would destroy it; "
                                "give another --output folder")


class StagedOutputs:
    """The files one run writes (``final paths``), staged and published by the policy above.

    Args:
        paths: the final paths, e.g. ``{"results": "out/clip.txt", "video": "out/clip.avi"}``.
        overwrite: allow replacing existing final files.
        sources: files the run reads; writing over one of them is refused.
    """

    def __init__(self, paths: Dict[str, str], overwrite: bool = False, sources: Iterable[str] = ()):
        self.final = dict(paths)
        check_not_a_source(self.final.values(), sources)
        existing = [p for p in self.final.values() if os.path.lexists(p)]
        if existing and not overwrite:
            raise UserError(f"{existing[0]} already exists: pass --overwrite to replace it, or another "
                            "--output folder")
        self.overwrite = overwrite
        self.staged = {key: staging_path(path) for key, path in self.final.items()}
        self.kept_partial: List[str] = []

    def publish(self) -> None:
        """The run ended normally: every staged file (or folder) takes its final name."""
        for key, tmp in self.staged.items():
            if os.path.exists(tmp):
                _move_into_place(tmp, self.final[key])

    def abandon(self, frames_done: int) -> None:
        """The run ended early after ``frames_done`` frames (see the module's policy)."""
        for key, tmp in self.staged.items():
            if not os.path.exists(tmp):
                continue
            if frames_done == 0:
                shutil.rmtree(tmp) if os.path.isdir(tmp) else os.remove(tmp)
            elif os.path.exists(self.final[key]):
                self.kept_partial.append(tmp)  # the earlier complete result stays
            else:
                os.replace(tmp, self.final[key])


def _move_into_place(staged: str, final: str) -> None:
    """Rename ``staged`` to ``final``; a folder replaces an earlier folder (overwrite was allowed)."""
    if os.path.isdir(staged) and os.path.isdir(final) and not os.path.islink(final):
        shutil.rmtree(final)
    os.replace(staged, final)


def created_folder(path: str) -> Optional[str]:
    """The outermost folder of ``path`` that does not exist yet (None if ``path`` exists):
    what to remove again if a run that would create it writes nothing."""
    path = os.path.abspath(path)
    first_missing = None
    while not os.path.exists(path):
        first_missing = path
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    return first_missing


def remove_if_empty(folder: Optional[str], down_to: Optional[str] = None) -> None:
    """Remove ``down_to`` and its parents up to ``folder`` while they are empty (a failed run's)."""
    if folder is None:
        return
    path = os.path.abspath(down_to or folder)
    top = os.path.abspath(folder)
    while True:
        with contextlib.suppress(OSError):
            os.rmdir(path)  # only an empty folder goes
        if path == top or not path.startswith(top):
            return
        path = os.path.dirname(path)
