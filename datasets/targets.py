"""Training targets of the CenterNet heads: heatmap, box size (ltrb or wh), centre offset, ids.

Behaviour follows the original FairMOT (CenterNet's gaussian radius with min overlap 0.7,
``draw_umich_gaussian``, ltrb measured from the clipped centre to the unclipped box edges).
"""
import math

import numpy as np

MAX_OBJECTS = 500


def gaussian_radius(height, width, min_overlap=0.7):
    """CenterNet's gaussian radius for a box of ``height`` x ``width`` output cells.

    Kept exactly as CenterNet computes it (its three quadratic cases, including the way the
    first two divide by 2 rather than 2a), since trained models expect these heatmaps.
    """
    b1 = height + width
    c1 = width * height * (1 - min_overlap) / (1 + min_overlap)
    r1 = (b1 + math.sqrt(b1 ** 2 - 4 * c1)) / 2

    b2 = 2 * (height + width)
    c2 = (1 - min_overlap) * width * height
    r2 = (b2 + math.sqrt(b2 ** 2 - 16 * c2)) / 2

    a3 = 4 * min_overlap
    b3 = -2 * min_overlap * (height + width)
    c3 = (min_overlap - 1) * width * height
    r3 = (b3 + math.sqrt(b3 ** 2 - 4 * a3 * c3)) / 2
    return min(r1, r2, r3)


def gaussian_2d(radius):
    """A (2r+1) x (2r+1) gaussian with sigma = diameter / 6, peak 1, negligible tails zeroed."""
    diameter = 2 * radius + 1
    sigma = diameter / 6
    y, x = np.ogrid[-radius:radius + 1, -radius:radius + 1]
    g = np.exp(-(x * x + y * y) / (2 * sigma * sigma))
    g[g < np.finfo(g.dtype).eps * g.max()] = 0
    return g


def draw_gaussian(heatmap, center, radius):
    """Max-merge a gaussian of ``radius`` centred on integer cell ``center`` (x, y) into ``heatmap``."""
    x, y = int(center[0]), int(center[1])
    height, width = heatmap.shape
    g = gaussian_2d(radius)
    left, right = min(x, radius), min(width - x, radius + 1)
    top, bottom = min(y, radius), min(height - y, radius + 1)
    region = heatmap[y - top:y + bottom, x - left:x + right]
    patch = g[radius - top:radius + bottom, radius - left:radius + right]
    if min(region.shape) > 0 and min(patch.shape) > 0:
        np.maximum(region, patch, out=region)
    return heatmap


def build_targets(boxes, ids, output_size, max_objs=MAX_OBJECTS, ltrb=True, classes=None,
                  num_classes=1):
    """Targets for one image.

    boxes: (N, 4) normalised ``xc yc w h`` relative to the network input; ids: (N,) identity
    ids (-1 = none); output_size: (width, height) of the output maps; classes: (N,) class
    indices (default all 0). The first ``max_objs`` boxes with positive size are used.

    Returns a dict of numpy arrays: ``hm`` (num_classes, H, W) float32, ``wh`` (max_objs, 4
    if ltrb else 2) float32, ``reg`` (max_objs, 2) float32, ``ind`` (max_objs,) int64 (flat
    index y * W + x of the centre cell), ``reg_mask`` (max_objs,) uint8, ``ids`` (max_objs,)
    int64 with -1 in unused slots, ``cls`` (max_objs,) int64 class index (0 in unused slots).
    """
    out_w, out_h = output_size
    boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
    ids = np.asarray(ids, dtype=np.int64).reshape(-1)
    classes = np.zeros(len(boxes), np.int64) if classes is None else np.asarray(classes, np.int64)
    hm = np.zeros((num_classes, out_h, out_w), dtype=np.float32)
    wh = np.zeros((max_objs, 4 if ltrb else 2), dtype=np.float32)
    reg = np.zeros((max_objs, 2), dtype=np.float32)
    ind = np.zeros(max_objs, dtype=np.int64)
    reg_mask = np.zeros(max_objs, dtype=np.uint8)
    out_ids = np.full(max_objs, -1, dtype=np.int64)
    out_cls = np.zeros(max_objs, dtype=np.int64)

    scale = np.array([out_w, out_h, out_w, out_h], dtype=np.float32)
    k = 0
    for box, track_id, cls in zip(boxes * scale, ids, classes):
        if k == max_objs:
            break
        cx, cy, w, h = (float(v) for v in box)
        if not (w > 0 and h > 0):
            continue
        x1, y1, x2, y2 = cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2
        # a centre on or past the border is moved onto the last cell; the box edges stay where
        # they are, so ltrb still describes the whole (amodal) box
        ct = np.array([np.clip(cx, 0, out_w - 1), np.clip(cy, 0, out_h - 1)], dtype=np.float32)
        ct_int = ct.astype(np.int32)
        radius = max(0, int(gaussian_radius(math.ceil(h), math.ceil(w))))
        draw_gaussian(hm[cls], ct_int, radius)
        if ltrb:
            wh[k] = ct[0] - x1, ct[1] - y1, x2 - ct[0], y2 - ct[1]
        else:
            wh[k] = w, h
        ind[k] = ct_int[1] * out_w + ct_int[0]
        reg[k] = ct - ct_int
        reg_mask[k] = 1
        out_ids[k] = track_id
        out_cls[k] = cls
        k += 1
    return {"hm": hm, "wh": wh, "reg": reg, "ind": ind, "reg_mask": reg_mask, "ids": out_ids, "cls": out_cls}
