"""Drawing tracks on frames: a box and the id per track, one stable colour per id, and optionally
each track's trail (its last centres)."""
import colorsys
from collections import deque

import cv2
import numpy as np

from fairmot.trackers import track_class

_GOLDEN_RATIO = 0.618033988749895


def id_color(track_id):
    """BGR colour of a track id: the same on every frame and run, neighbouring ids far apart in hue."""
    hue = (int(track_id) * _GOLDEN_RATIO) % 1.0
    r, g, b = colorsys.hsv_to_rgb(hue, 0.85, 0.95)
    return int(b * 255), int(g * 255), int(r * 255)


class TrackDrawer:
    """Draws tracks on frames of one size (line width and font scale follow the frame size).

    ``draw(frame, tracks, frame_index)`` draws in place and returns ``frame``; ``tracks`` are
    objects with ``track_id`` and ``tlwh`` (what the tracker returns). With ``trail`` N > 0 each
    track also gets a line through the centres of its boxes in the last N frames drawn, fading
    out with age; a track not drawn for N frames loses its trail. ``class_names``: label each box
    with its class (tracks with ``cls``, from a :class:`~fairmot.trackers.PerClassTracker`).
    """

    def __init__(self, frame_size, trail: int = 0, class_names=None):
        width, height = frame_size
        scale = max(min(width, height) / 600.0, 0.5)
        self.thickness = max(int(round(2 * scale)), 1)
        self.font_scale = 0.6 * scale
        self.text_thickness = max(int(round(1.5 * scale)), 1)
        self._colors = {}
        self.trail = max(int(trail), 0)
        self._centres = {}      # track id -> deque of (frame number drawn, (x, y))
        self._drawn = 0
        self.class_names = class_names   # labels "car 12" instead of "12" (several classes)

    def color(self, track_id):
        color = self._colors.get(track_id)
        if color is None:
            color = self._colors[track_id] = id_color(track_id)
        return color

    def _draw_trails(self, frame, tracks):
        self._drawn += 1
        for track in tracks:
            x, y, w, h = track.tlwh
            points = self._centres.setdefault(track.track_id, deque(maxlen=self.trail))
            points.append((self._drawn, (x + w / 2.0, y + h / 2.0)))
        oldest = self._drawn - self.trail
        for track_id in [i for i, points in self._centres.items() if points[-1][0] <= oldest]:
            del self._centres[track_id]   # not seen for a whole trail: its trail is gone
        for track in tracks:
            points = [p for n, p in self._centres[track.track_id] if n > oldest]
            color = np.array(self.color(track.track_id), float)
            for k in range(1, len(points)):
                fade = 0.25 + 0.75 * k / (len(points) - 1)   # older segments are paler
                shade = tuple(int(c) for c in color * fade + 255 * (1 - fade) * 0.3)
                a = tuple(int(round(v)) for v in points[k - 1])
                b = tuple(int(round(v)) for v in points[k])
                cv2.line(frame, a, b, shade, self.thickness, cv2.LINE_AA)

    def draw(self, frame, tracks, frame_index=None):
        font = cv2.FONT_HERSHEY_SIMPLEX
        tracks = list(tracks)
        if self.trail:
            self._draw_trails(frame, tracks)
        for track in tracks:
            x, y, w, h = track.tlwh
            p1 = (int(round(x)), int(round(y)))
            p2 = (int(round(x + w)), int(round(y + h)))
            color = self.color(track.track_id)
            cv2.rectangle(frame, p1, p2, color, self.thickness)
            label = str(track.track_id)
            if self.class_names is not None:
                label = f"{self.class_names[track_class(track)]} {label}"
            cv2.putText(frame, label, (p1[0], max(p1[1] - 4, 12)), font,
                        self.font_scale, color, self.text_thickness, cv2.LINE_AA)
        if frame_index is not None:
            cv2.putText(frame, f"frame {frame_index}  tracks {len(tracks)}", (8, int(24 * self.font_scale / 0.6)),
                        font, self.font_scale, (0, 0, 255), self.text_thickness, cv2.LINE_AA)
        return frame


def draw_tracks(frame, tracks, frame_index=None):
    """One-off :meth:`TrackDrawer.draw` on ``frame`` (in place)."""
    return TrackDrawer((frame.shape[1], frame.shape[0])).draw(frame, tracks, frame_index)

