"""Turning raw head outputs into detections: heatmap peaks, top-K, boxes, embeddings."""
import torch
import torch.nn.functional as F

DOWN_RATIO = 4


def heatmap_peaks(heat, kernel=3):
    """Keep only local maxima: values equal to their ``kernel`` x ``kernel`` max-pool."""
    hmax = F.max_pool2d(heat, kernel, stride=1, padding=(kernel - 1) // 2)
    return heat * (hmax == heat).to(heat.dtype)


def gather_at(feature_map, indices):
    """(N, C, H, W) map, (N, K) flat indices into H*W -> (N, K, C) values."""
    n, c = feature_map.shape[:2]
    flat = feature_map.reshape(n, c, -1)
    return flat.gather(2, indices.unsqueeze(1).expand(n, c, indices.shape[1])).permute(0, 2, 1)


def decode(outputs, K=500, ltrb=None):
    """Decode raw network outputs into candidate detections, best first.

    Peaks are found in each class's heatmap channel and the K best of all classes kept (as
    CenterNet's multi-class decoding); each carries the class of its channel, and its box and
    embedding are read at its position from the class-agnostic wh / reg / id maps.

    Args:
        outputs: dict with "hm" (before sigmoid, one channel per class), "wh", "reg" (optional)
            and "id" (optional).
        K: number of heatmap peaks kept per image (over all classes).
        ltrb: box mode; None picks it from the wh channels (4: distances to left/top/right/bottom,
            2: width/height).
    Returns:
        boxes (N, K, 5) x1, y1, x2, y2, score in network-input pixels (stride applied),
        embeddings (N, K, D) L2-normalised over channels (None without an "id" head), and
        classes (N, K) int64 class indices (all 0 for a one-class network).
    """
    heat = torch.sigmoid(outputs["hm"])
    n, classes, h, w = heat.shape
    wh = outputs["wh"]
    if ltrb is None:
        ltrb = wh.shape[1] == 4
    K = min(K, classes * h * w)
    scores, flat = torch.topk(heatmap_peaks(heat).reshape(n, -1), K)
    classes = torch.div(flat, h * w, rounding_mode="floor")  # the channel of each peak
    inds = flat % (h * w)  # its position in the map
    ys = torch.div(inds, w, rounding_mode="floor").to(heat.dtype)
    xs = (inds % w).to(heat.dtype)
    if outputs.get("reg") is not None:
        reg = gather_at(outputs["reg"], inds)
        xs, ys = xs + reg[..., 0], ys + reg[..., 1]
    else:
        xs, ys = xs + 0.5, ys + 0.5
    size = gather_at(wh, inds)
    if ltrb:
        boxes = torch.stack([xs - size[..., 0], ys - size[..., 1], xs + size[..., 2], ys + size[..., 3]], -1)
    else:
        half_w, half_h = size[..., 0] / 2, size[..., 1] / 2
        boxes = torch.stack([xs - half_w, ys - half_h, xs + half_w, ys + half_h], -1)
    boxes = torch.cat([boxes * DOWN_RATIO, scores.unsqueeze(-1)], -1)
    embeddings = None
    if outputs.get("id") is not None:
        # normalise at the peaks only: the same as normalising the whole map, K/(H*W) of the work
        embeddings = F.normalize(gather_at(outputs["id"], inds), dim=-1)
    return boxes, embeddings, classes
