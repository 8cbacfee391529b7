"""``--show``: the annotated frames in a window, closed with q, Esc or the window's close button.

OpenCV's Qt window aborts the whole process when there is no display to connect to, so
:func:`check_display` decides beforehand, with one clear line, whether a window can be opened.
"""
from __future__ import annotations

import os
import sys

from fairmot.errors import UserError

from .sources import cv2

_CLOSE_KEYS = (ord("q"), ord("Q"), 27)


def _opencv_gui() -> str:
    """The GUI backend OpenCV was built with ("NONE" for opencv-python-headless)."""
    for line in cv2.getBuildInformation().splitlines():
        if line.strip().startswith("GUI:"):
            return line.split(":", 1)[1].strip() or "NONE"
    return "UNKNOWN"


def check_display(environ=os.environ, platform: str = sys.platform, gui: str = None) -> None:
    """UserError (one line) when no window can be shown here."""
    gui = _opencv_gui() if gui is None else gui
    if gui.upper() == "NONE":
        raise UserError("--show needs OpenCV with a GUI, but this one has none (opencv-python-headless): "
                        "pip install opencv-python, or drop --show and watch the annotated video")
    if platform.startswith("linux") and not (environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY")):
        raise UserError("--show needs a display, and this session has none (DISPLAY is not set): run it "
                        "on the machine's desktop, or drop --show and watch the annotated video")


class Display:
    """One window; :meth:`show` returns False once the user has closed it."""

    def __init__(self, title: str):
        check_display()
        self.title = f"fairmot: {title}"
        self._opened = False

    def show(self, image) -> bool:
        cv2.imshow(self.title, image)
        self._opened = True
        key = cv2.waitKey(1) & 0xFF
        if key in _CLOSE_KEYS:
            return False
        return cv2.getWindowProperty(self.title, cv2.WND_PROP_VISIBLE) >= 1

    def close(self) -> None:
        if self._opened:
            cv2.destroyWindow(self.title)
            cv2.waitKey(1)
            self._opened = False

    def __enter__(self) -> Display:
        return self

    def __exit__(self, *exc) -> bool:
        self.close()
        return False
