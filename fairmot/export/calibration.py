"""Calibration frames for post-training int8 quantization (OpenVINO's NNCF, onnxruntime's QDQ):
real frames of the user's footage, letterboxed as the detector letterboxes them."""
from __future__ import annotations

from typing import Iterable, List, Tuple

import numpy as np

from fairmot.errors import UserError


def calibration_blobs(frames: Iterable[np.ndarray], input_size: Tuple[int, int]) -> List[np.ndarray]:
    """Letterboxed (1, 3, H, W) network inputs of BGR ``frames``, as the detector makes them."""
    from fairmot.inference.preprocess import frame_to_input
    return [frame_to_input(frame, *input_size)[0][None] for frame in frames]


def calibration_frames(source_path: str, count: int) -> List[np.ndarray]:
    """``count`` frames spread evenly over a video, image folder or MOT sequence (all of a short one)."""
    from fairmot.inference.sources import open_source
    if count < 1:
        raise UserError(f"--calibration-frames must be at least 1, got {count}")
    with open_source(source_path) as source:
        step = max(1, (source.length or count) // count)
        frames = []
        for i, (_, frame) in enumerate(source):
            if i % step == 0:
                frames.append(frame)
                if len(frames) == count:
                    break
    if not frames:
        raise UserError(f"calibration source {source_path} has no readable frame")
    return frames
