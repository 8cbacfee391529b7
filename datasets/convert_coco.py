"""COCO-format person annotations -> JDE layout as a detection-only set (ids -1).

Crowd annotations (``iscrowd`` 1) are left out, as are boxes whose centre lies outside the
image; images left without a box are not listed (their people would be trained as background).
"""
import math
import os
from collections import defaultdict

from tqdm import tqdm

from fairmot.errors import UserError

from .jde import read_json, tlwh_to_label_rows
from .jde_writer import ConversionSummary, JdeWriter


def _load_coco(path):
    coco = read_json(path, "annotation file")
    if not (isinstance(coco, dict) and {"images", "annotations", "categories"} <= set(coco)):
        raise UserError(f"{path}: not a COCO annotation file (JSON with 'images', "
                        f"'annotations' and 'categories')")
    needs = {"images": ("id", "file_name", "width", "height"), "annotations": (), "categories": ("id", "name")}
    for key, fields in needs.items():
        entries = coco[key]
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise UserError(f"{path}: '{key}' must be a list of objects")
        for entry in entries:
            missing = [f for f in fields if f not in entry]
            if missing:
                raise UserError(f"{path}: an entry of '{key}' lacks {', '.join(missing)}: {str(entry)[:120]}")
    return coco


def _bbox(ann, path):
    """An annotation's [x, y, w, h] as floats; UserError naming the annotation otherwise."""
    box = ann.get("bbox")
    try:
        values = [float(v) for v in box]
    except (TypeError, ValueError):
        values = None
    if values is None or len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise UserError(f"{path}: annotation {ann.get('id', '?')} has bbox {box!r}; COCO boxes are "
                        "[x, y, width, height] numbers")
    return values


def convert_coco(annotations_path, images_dir, out_dir, name="coco", category="person",
                 copy_images=False, progress=True):
    """Write labels for the ``category`` boxes of a COCO annotation file. Returns a
    ConversionSummary (``dropped`` counts crowd boxes and boxes outside the image)."""
    coco = _load_coco(annotations_path)
    cat_ids = {c["id"] for c in coco["categories"] if c["name"] == category}
    if not cat_ids:
        names = sorted(c["name"] for c in coco["categories"])
        raise UserError(f"{annotations_path} has no category {category!r} (it has {names})")
    boxes_by_image = defaultdict(list)
    summary = ConversionSummary(name)
    image_ids = {image["id"] for image in coco["images"]}
    for ann in coco["annotations"]:
        if ann.get("category_id") not in cat_ids:
            continue
        if ann.get("iscrowd", 0):
            summary.drop("iscrowd", 1)
        elif ann.get("image_id") not in image_ids:
            summary.drop("of an image not in 'images'", 1)
        else:
            boxes_by_image[ann["image_id"]].append(_bbox(ann, annotations_path))

    with JdeWriter(out_dir, name) as writer:
        writer.link_images(images_dir, name, copy=copy_images)
        listed = []
        for image in tqdm(coco["images"], desc=f"convert {name}", unit="img", disable=not progress or None):
            boxes = boxes_by_image.get(image["id"])
            if not boxes:
                continue
            labels, kept = tlwh_to_label_rows(boxes, [-1] * len(boxes), image["width"], image["height"])
            summary.drop("centre outside the image", (~kept).sum())
            if not len(labels):
                continue
            rel = f"{name}/{image['file_name']}"
            if not os.path.isfile(os.path.join(images_dir, image["file_name"])):
                raise UserError(f"image {os.path.join(images_dir, image['file_name'])} is missing")
            writer.write_labels(rel, labels)
            listed.append(rel)
            summary.boxes_kept += len(labels)
        return writer.write_splits(summary, {"train": listed})
