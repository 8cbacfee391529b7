"""The one box IoU of the evaluation code (MOT metrics, distractor removal, detection AP)."""
from __future__ import annotations

import numpy as np


def box_iou(a, b, fmt: str = "xyxy") -> np.ndarray:
    """IoU between every box of ``a`` (N, 4) and ``b`` (M, 4) -> (N, M).

    fmt: "xyxy" (x1, y1, x2, y2) or "tlwh" (x, y, w, h, as MOTChallenge files). Boxes of zero or
    negative size have IoU 0 with everything.
    """
    if fmt not in ("xyxy", "tlwh"):
        raise ValueError(f"box format must be 'xyxy' or 'tlwh', got {fmt!r}")
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)[:, None, :]
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)[None, :, :]
    if fmt == "tlwh":
        a_min, a_size, b_min, b_size = a[..., :2], a[..., 2:], b[..., :2], b[..., 2:]
        a_max, b_max = a_min + a_size, b_min + b_size
    else:
        a_min, a_max, b_min, b_max = a[..., :2], a[..., 2:], b[..., :2], b[..., 2:]
        a_size, b_size = a_max - a_min, b_max - b_min
    inter = np.prod(np.maximum(np.minimum(a_max, b_max) - np.maximum(a_min, b_min), 0), axis=-1)
    union = (np.prod(np.maximum(a_size, 0), axis=-1) + np.prod(np.maximum(b_size, 0), axis=-1) - inter)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(inter > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def tlwh_to_xyxy(tlwh) -> np.ndarray:
    out = np.array(tlwh, dtype=np.float64, copy=True).reshape(-1, 4)
    out[:, 2:] += out[:, :2]
    return out
