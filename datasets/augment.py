"""Image and box augmentation of FairMOT training: HSV jitter, letterbox, random affine, flip.

Pure functions; every random choice comes from the ``np.random.Generator`` passed in, so a
sample is reproducible from its seed. Boxes are pixel ``x1 y1 x2 y2`` unless said otherwise.
"""
import math

import cv2
import numpy as np

PAD_COLOR = (127.5, 127.5, 127.5)


def letterbox(img, height, width, color=PAD_COLOR):
    """Resize keeping the aspect ratio, then pad to ``height`` x ``width``.

    Returns ``(image, ratio, pad_w, pad_h)``: a point (x, y) of the input lands at
    ``(x * ratio + pad_w, y * ratio + pad_h)``.
    """
    h0, w0 = img.shape[:2]
    ratio = min(height / h0, width / w0)
    new_w, new_h = round(w0 * ratio), round(h0 * ratio)
    pad_w, pad_h = (width - new_w) / 2, (height - new_h) / 2
    top, bottom = round(pad_h - 0.1), round(pad_h + 0.1)
    left, right = round(pad_w - 0.1), round(pad_w + 0.1)
    img = cv2.resize(img, (new_w, new_h), interpolation=cv2.INTER_AREA)
    img = cv2.copyMakeBorder(img, top, bottom, left, right, cv2.BORDER_CONSTANT, value=color)
    return img, ratio, pad_w, pad_h


def normalised_to_letterbox(boxes, orig_w, orig_h, ratio, pad_w, pad_h):
    """Normalised ``xc yc w h`` of the original image -> pixel ``x1 y1 x2 y2`` in the letterbox."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    xc, yc, w, h = boxes.T
    return np.stack([ratio * orig_w * (xc - w / 2) + pad_w, ratio * orig_h * (yc - h / 2) + pad_h,
                     ratio * orig_w * (xc + w / 2) + pad_w, ratio * orig_h * (yc + h / 2) + pad_h],
                    axis=1)


def xyxy_to_normalised(boxes, width, height):
    """Pixel ``x1 y1 x2 y2`` -> normalised ``xc yc w h`` for an image of ``width`` x ``height``."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    x1, y1, x2, y2 = boxes.T
    return np.stack([(x1 + x2) / 2 / width, (y1 + y2) / 2 / height,
                     (x2 - x1) / width, (y2 - y1) / height], axis=1)


def augment_hsv(img, rng, fraction=0.5):
    """Scale saturation and value of a BGR uint8 image by factors drawn from U(1 - f, 1 + f)."""
    hsv = cv2.cvtColor(img, cv2.COLOR_BGR2HSV)
    for channel in (1, 2):
        gain = (rng.random() * 2 - 1) * fraction + 1
        values = hsv[:, :, channel].astype(np.float32) * gain
        hsv[:, :, channel] = np.clip(values, 0, 255).astype(np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)


def affine_matrix(rng, size, degrees=(-5, 5), translate=(0.1, 0.1), scale=(0.5, 1.2),
                  shear=(-2, 2)):
    """Draw the original's rotation/scale about the centre, translation and shear.

    Returns ``(M, angle)``: a 3x3 matrix and the rotation in degrees. ``size`` is (width, height).
    Translation is a fraction of the width for x and of the height for y (the original swapped
    the two, which only matters for non-square inputs).
    """
    width, height = size
    angle = rng.random() * (degrees[1] - degrees[0]) + degrees[0]
    s = rng.random() * (scale[1] - scale[0]) + scale[0]
    rot = np.eye(3)
    rot[:2] = cv2.getRotationMatrix2D(angle=angle, center=(width / 2, height / 2), scale=s)
    trans = np.eye(3)
    trans[0, 2] = (rng.random() * 2 - 1) * translate[0] * width
    trans[1, 2] = (rng.random() * 2 - 1) * translate[1] * height
    sh = np.eye(3)
    sh[0, 1] = math.tan(math.radians(rng.random() * (shear[1] - shear[0]) + shear[0]))
    sh[1, 0] = math.tan(math.radians(rng.random() * (shear[1] - shear[0]) + shear[0]))
    return sh @ trans @ rot, angle


def warp_boxes(boxes, matrix, angle, width, height):
    """Warp pixel boxes with ``matrix`` and keep the ones that survive, as the original does.

    The new box spans the four warped corners, shrunk by sqrt(max(|sin a|, |cos a|)) to undo
    the growth rotation causes. Boxes with w or h <= 4 px, area below 10% of the warped-from
    area, aspect >= 10, or lying wholly outside the image are dropped.
    Returns ``(boxes, keep)`` with ``keep`` the indices of the input boxes kept.
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    n = len(boxes)
    if n == 0:
        return boxes, np.zeros(0, dtype=np.int64)
    area0 = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    corners = np.ones((n * 4, 3))
    corners[:, :2] = boxes[:, [0, 1, 2, 3, 0, 3, 2, 1]].reshape(n * 4, 2)
    corners = (corners @ matrix.T)[:, :2].reshape(n, 8)
    xs, ys = corners[:, [0, 2, 4, 6]], corners[:, [1, 3, 5, 7]]
    rad = math.radians(angle)
    reduction = max(abs(math.sin(rad)), abs(math.cos(rad))) ** 0.5
    cx, cy = (xs.min(1) + xs.max(1)) / 2, (ys.min(1) + ys.max(1)) / 2
    w, h = (xs.max(1) - xs.min(1)) * reduction, (ys.max(1) - ys.min(1)) * reduction
    out = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    aspect = np.maximum(w / (h + 1e-16), h / (w + 1e-16))
    keep = ((w > 4) & (h > 4) & (w * h / (area0 + 1e-16) > 0.1) & (aspect < 10)
            & (out[:, 0] < width) & (out[:, 2] > 0) & (out[:, 1] < height) & (out[:, 3] > 0))
    keep = np.flatnonzero(keep)
    return out[keep], keep


def random_affine(img, boxes, rng, degrees=(-5, 5), translate=(0.1, 0.1), scale=(0.5, 1.2),
                  shear=(-2, 2), border_value=PAD_COLOR):
    """Warp an image and its pixel boxes by a random affine transform (FairMOT's ranges).

    Returns ``(image, boxes, keep, matrix)``; ``keep`` indexes the input boxes that remain.
    """
    height, width = img.shape[:2]
    matrix, angle = affine_matrix(rng, (width, height), degrees, translate, scale, shear)
    warped = cv2.warpPerspective(img, matrix, dsize=(width, height), flags=cv2.INTER_LINEAR,
                                 borderValue=border_value)
    boxes, keep = warp_boxes(boxes, matrix, angle, width, height)
    return warped, boxes, keep, matrix


def hflip(img, boxes):
    """Mirror an image left-right with its normalised ``xc yc w h`` boxes."""
    boxes = np.array(boxes, dtype=np.float64).reshape(-1, 4)
    boxes[:, 0] = 1 - boxes[:, 0]
    return np.ascontiguousarray(img[:, ::-1]), boxes
