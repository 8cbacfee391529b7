"""Drawing tracks on frames: a box and the id per track, one stable colour per id."""
import colorsys

import cv2

_GOLDEN_RATIO = 0.618033988749895


def id_color(track_id):
    """BGR colour of a track id: the same on every frame and run, neighbouring ids far apart in hue."""
    hue = (int(track_id) * _GOLDEN_RATIO) % 1.0
    r, g, b = colorsys.hsv_to_rgb(hue, 0.85, 0.95)
    return int(b * 255), int(g * 255), int(r * 255)


class TrackDrawer:
    """Draws tracks on frames of one size (line width and font scale follow the frame size).

    ``draw(frame, tracks, frame_index)`` draws in place and returns ``frame``; ``tracks`` are
    objects with ``track_id`` and ``tlwh`` (what the tracker returns).
    """

    def __init__(self, frame_size):
        width, height = frame_size
        scale = max(min(width, height) / 600.0, 0.5)
        self.thickness = max(int(round(2 * scale)), 1)
        self.font_scale = 0.6 * scale
        self.text_thickness = max(int(round(1.5 * scale)), 1)
        self._colors = {}

    def color(self, track_id):
        color = self._colors.get(track_id)
        if color is None:
            color = self._colors[track_id] = id_color(track_id)
        return color

    def draw(self, frame, tracks, frame_index=None):
        font = cv2.FONT_HERSHEY_SIMPLEX
        for track in tracks:
            x, y, w, h = track.tlwh
            p1 = (int(round(x)), int(round(y)))
            p2 = (int(round(x + w)), int(round(y + h)))
            color = self.color(track.track_id)
            cv2.rectangle(frame, p1, p2, color, self.thickness)
            cv2.putText(frame, str(track.track_id), (p1[0], max(p1[1] - 4, 12)), font,
                        self.font_scale, color, self.text_thickness, cv2.LINE_AA)
        if frame_index is not None:
            cv2.putText(frame, f"frame {frame_index}  tracks {len(tracks)}", (8, int(24 * self.font_scale / 0.6)),
                        font, self.font_scale, (0, 0, 255), self.text_thickness, cv2.LINE_AA)
        return frame


def draw_tracks(frame, tracks, frame_index=None):
    """One-off :meth:`TrackDrawer.draw` on ``frame`` (in place)."""
    return TrackDrawer((frame.shape[1], frame.shape[0])).draw(frame, tracks, frame_index)

