"""COCO-format annotations of one or more categories -> JDE layout as a detection-only set (ids -1).

Label class i is the i-th category asked for (by name or COCO id); data.json records the
categories' names and COCO ids (:mod:`fairmot.datasets.classes`) unless it is person alone.

Crowd annotations (``iscrowd`` 1) are left out, as are boxes whose centre lies outside the
image; images left without a box are not listed (their people would be trained as background).
"""
import math
import os
from collections import defaultdict

from tqdm import tqdm

from fairmot.errors import UserError

from .classes import ClassTable, canonical_name
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


def coco_class_table(coco, categories, path="annotations"):
    """(ClassTable, {COCO category id: class index}) of the ``categories`` asked for (names or
    ids); UserError naming the file's categories for one it does not have."""
    by_name = {canonical_name(c["name"]): c for c in coco["categories"]}
    by_id = {str(c["id"]): c for c in coco["categories"]}
    chosen = []
    for item in categories:
        key = str(item).strip()
        entry = by_name.get(canonical_name(key)) or by_id.get(key)
        if entry is None:
            names = ", ".join(sorted(c["name"] for c in coco["categories"]))
            raise UserError(f"{path} has no category {key!r} (it has: {names})")
        if entry in chosen:
            raise UserError(f"category {key!r} is asked for twice")
        chosen.append(entry)
    if not chosen:
        raise UserError("--categories is empty: name at least one, e.g. person")
    table = ClassTable(tuple(canonical_name(c["name"]) for c in chosen), tuple(int(c["id"]) for c in chosen))
    return table, {c["id"]: i for i, c in enumerate(chosen)}


def convert_coco(annotations_path, images_dir, out_dir, name="coco", categories=("person",),
                 copy_images=False, progress=True):
    """Write labels for the boxes of ``categories`` (names or COCO ids; label class i for the
    i-th) of a COCO annotation file. Returns a ConversionSummary (``dropped`` counts crowd boxes
    and boxes outside the image)."""
    coco = _load_coco(annotations_path)
    table, class_of = coco_class_table(coco, [categories] if isinstance(categories, str) else categories,
                                       annotations_path)
    boxes_by_image = defaultdict(list)
    summary = ConversionSummary(name)
    image_ids = {image["id"] for image in coco["images"]}
    for ann in coco["annotations"]:
        if ann.get("category_id") not in class_of:
            continue
        if ann.get("iscrowd", 0):
            summary.drop("iscrowd", 1)
        elif ann.get("image_id") not in image_ids:
            summary.drop("of an image not in 'images'", 1)
        else:
            boxes_by_image[ann["image_id"]].append((class_of[ann["category_id"]], _bbox(ann, annotations_path)))

    with JdeWriter(out_dir, name) as writer:
        writer.link_images(images_dir, name, copy=copy_images)
        listed = []
        for image in tqdm(coco["images"], desc=f"convert {name}", unit="img", disable=not progress or None):
            entries = boxes_by_image.get(image["id"])
            if not entries:
                continue
            classes, boxes = [c for c, _ in entries], [b for _, b in entries]
            labels, kept = tlwh_to_label_rows(boxes, [-1] * len(boxes), image["width"], image["height"], cls=classes)
            summary.drop("centre outside the image", (~kept).sum())
            if not len(labels):
                continue
            rel = f"{name}/{image['file_name']}"
            if not os.path.isfile(os.path.join(images_dir, image["file_name"])):
                raise UserError(f"image {os.path.join(images_dir, image['file_name'])} is missing")
            writer.write_labels(rel, labels)
            listed.append(rel)
            summary.boxes_kept += len(labels)
        return writer.write_splits(summary, {"train": listed}, table)
