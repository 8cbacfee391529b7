"""Frame pre-processing as the original: letterbox to the network size, BGR -> RGB, / 255."""
from dataclasses import dataclass

import cv2
import numpy as np

PAD_VALUE = 127.5  # grey padding, as the original


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


def letterbox(image, in_width=1088, in_height=608, color=(PAD_VALUE, PAD_VALUE, PAD_VALUE)):
    """Resize keeping the aspect ratio (INTER_AREA) and pad to (in_height, in_width).

    Returns the padded image (same dtype and channel order as ``image``) and its :class:`Letterbox`.
    """
    height, width = image.shape[:2]
    box = Letterbox(width, height, in_width, in_height)
    new_w, new_h = round(width * box.ratio), round(height * box.ratio)
    dw, dh = (in_width - new_w) / 2, (in_height - new_h) / 2
    top, bottom = round(dh - 0.1), round(dh + 0.1)
    left, right = round(dw - 0.1), round(dw + 0.1)
    resized = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_AREA)
    padded = cv2.copyMakeBorder(resized, top, bottom, left, right, cv2.BORDER_CONSTANT, value=color)
    return padded, box


def frame_to_input(frame_bgr, in_width=1088, in_height=608):
    """A BGR uint8 frame -> (3, in_height, in_width) float32 RGB array in [0, 1], and its Letterbox."""
    padded, box = letterbox(frame_bgr, in_width, in_height)
    rgb = np.ascontiguousarray(padded[:, :, ::-1].transpose(2, 0, 1), dtype=np.float32)
    rgb /= 255.0
    return rgb, box
