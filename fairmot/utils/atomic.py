"""The one atomic writer: write to a temporary file beside the target, then rename it into place.

A crash, Ctrl-C or a full disk never leaves a half-written file at the target path, and an
existing file there stays as it was until the new one is complete.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from typing import IO, Callable, Iterator


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w") -> Iterator[IO]:
    """``with atomic_open(path) as f: f.write(...)``: ``path`` appears only once the block ends well."""
    path = os.fspath(path)
    parent = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=parent, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise


def cannot_create_in(folder: str | os.PathLike) -> str | None:
    """Why a file cannot be created in ``folder`` (None if it can): tried for real, with a temporary
    file removed at once, since permission bits do not tell (root, read-only mounts, /proc)."""
    if not os.path.isdir(folder):
        return "no such folder"
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".fairmot-write-check.")
    except OSError as err:
        return err.strerror or str(err)
    os.close(fd)
    os.remove(probe)
    return None


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_open(path, "w") as f:
        f.write(text)


def atomic_save(path: str | os.PathLike, write: Callable[[str], None]) -> None:
    """For writers that take a file name (``torch.save``, ``onnx.save``): ``write(tmp_path)``, then rename."""
    path = os.fspath(path)
    parent = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=parent, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
