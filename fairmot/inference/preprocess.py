"""Frame pre-processing as the original: letterbox to the network size, BGR -> RGB, / 255.

A backend that converts inside its graph (OpenVINO) takes :func:`letterbox_frame`'s uint8 image;
the others take :func:`frame_to_input`'s float array.

The letterbox itself is the training pipeline's (``fairmot.datasets.augment.letterbox``), so
training and inference see frames laid out identically.
"""
from dataclasses import dataclass

import numpy as np

from fairmot.datasets.augment import letterbox


@dataclass(frozen=True)
class Letterbox:
    """How a frame of (width, height) was fitted into the network input (in_width, in_height).

    Maps boxes back with the original's formula: frame = centre + (input - input_centre) / ratio,
    which is the exact inverse of the (unrounded) resize + centred padding.
    """
    width: int
    height: int
    in_width: int
    in_height: int

    @property
    def ratio(self):
        return min(self.in_height / self.height, self.in_width / self.width)

    def to_frame(self, boxes):
        """(N, >=4) boxes x1,y1,x2,y2 in network-input pixels -> frame pixels (a new array)."""
        out = np.array(boxes, dtype=np.float64, copy=True)
        r = self.ratio
        out[:, [0, 2]] = self.width / 2.0 + (out[:, [0, 2]] - self.in_width / 2.0) / r
        out[:, [1, 3]] = self.height / 2.0 + (out[:, [1, 3]] - self.in_height / 2.0) / r
        return out

    def to_input(self, boxes):
        """The inverse of :meth:`to_frame`: frame pixels -> network-input pixels."""
        out = np.array(boxes, dtype=np.float64, copy=True)
        r = self.ratio
        out[:, [0, 2]] = (out[:, [0, 2]] - self.width / 2.0) * r + self.in_width / 2.0
        out[:, [1, 3]] = (out[:, [1, 3]] - self.height / 2.0) * r + self.in_height / 2.0
        return out


def letterbox_frame(frame_bgr, in_width=1088, in_height=608):
    """A BGR uint8 frame -> the (in_height, in_width, 3) BGR uint8 letterbox, and its Letterbox."""
    padded, _, _, _ = letterbox(frame_bgr, in_height, in_width)
    return padded, Letterbox(frame_bgr.shape[1], frame_bgr.shape[0], in_width, in_height)


def frame_to_input(frame_bgr, in_width=1088, in_height=608):
    """A BGR uint8 frame -> (3, in_height, in_width) float32 RGB array in [0, 1], and its Letterbox."""
    padded, box = letterbox_frame(frame_bgr, in_width, in_height)
    rgb = np.ascontiguousarray(padded[:, :, ::-1].transpose(2, 0, 1), dtype=np.float32)
    rgb /= 255.0
    return rgb, box
