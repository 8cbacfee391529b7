"""Detection average precision (PASCAL VOC all-point interpolation) at an IoU threshold.

Ground truth may carry "ignore" boxes (e.g. people less than a quarter visible): a detection
matched to one is neither a true nor a false positive, and missing one costs nothing.
"""
import numpy as np

from .boxes import box_iou


def average_precision(detections, ground_truth, iou_threshold=0.5):
    """AP over a set of images.

    Args:
        detections: {image: (N, 5) array x1, y1, x2, y2, score}.
        ground_truth: {image: (boxes (M, 4) x1, y1, x2, y2, ignore (M,) bool or None)}.
    Returns:
        dict with "ap", "recall" (at the lowest score), "precision" (at that recall),
        "num_gt" (boxes that count), "num_det".
    """
    records, num_gt = [], 0
    for image, (gt_boxes, ignore) in ground_truth.items():
        gt_boxes = np.asarray(gt_boxes, dtype=np.float64).reshape(-1, 4)
        ignore = np.zeros(len(gt_boxes), bool) if ignore is None else np.asarray(ignore, bool)
        num_gt += int((~ignore).sum())
        dets = np.asarray(detections.get(image, np.zeros((0, 5))), dtype=np.float64).reshape(-1, 5)
        dets = dets[np.argsort(-dets[:, 4], kind="stable")]
        iou = box_iou(dets[:, :4], gt_boxes)
        taken = np.zeros(len(gt_boxes), bool)
        for i, det in enumerate(dets):
            # greedy, best score first: the best-overlapping free box that counts, else an ignored one
            cand = np.where((iou[i] >= iou_threshold) & ~taken & ~ignore)[0]
            if len(cand):
                j = cand[np.argmax(iou[i, cand])]
                taken[j] = True
                records.append((det[4], 1))
            elif np.any((iou[i] >= iou_threshold) & ignore):
                continue
            else:
                records.append((det[4], 0))
    if not records or num_gt == 0:
        return {"ap": 0.0, "recall": 0.0, "precision": 0.0, "num_gt": num_gt, "num_det": len(records)}
    records.sort(key=lambda r: -r[0])
    tp = np.cumsum([r[1] for r in records])
    fp = np.cumsum([1 - r[1] for r in records])
    recall = tp / num_gt
    precision = tp / (tp + fp)
    # all-point interpolation: area under the monotone precision envelope
    mrec = np.concatenate([[0.0], recall, [1.0]])
    mpre = np.concatenate([[1.0], precision, [0.0]])
    mpre = np.maximum.accumulate(mpre[::-1])[::-1]
    steps = np.where(mrec[1:] != mrec[:-1])[0]
    ap = float(np.sum((mrec[steps + 1] - mrec[steps]) * mpre[steps + 1]))
    return {"ap": ap, "recall": float(recall[-1]), "precision": float(precision[-1]),
            "num_gt": num_gt, "num_det": len(records)}
