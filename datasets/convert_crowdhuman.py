"""CrowdHuman ``.odgt`` annotations -> JDE layout, full-body boxes, one identity per box.

An ``.odgt`` file has one JSON record per line:
``{"ID": "<image id>", "gtboxes": [{"tag": "person", "fbox": [x, y, w, h], "extra": {"ignore": 0}, ...}]}``.
Boxes tagged other than ``person`` (``mask``: crowds, reflections) and boxes with
``extra.ignore == 1`` are left out, as are boxes whose centre lies outside the image.
"""
import json
import os

import cv2
from tqdm import tqdm

from fairmot.errors import UserError

from .jde import tlwh_to_label_rows
from .jde_writer import ConversionSummary, JdeWriter


def read_odgt(path):
    """The records of an ``.odgt`` file; a malformed line is a UserError naming it."""
    if not os.path.isfile(path):
        raise UserError(f"annotation file {path} not found")
    records = []
    with open(path) as f:
        for line_no, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                record["ID"], record["gtboxes"]
            except (json.JSONDecodeError, KeyError, TypeError):
                raise UserError(f"{path}:{line_no}: not a CrowdHuman record "
                                f"(JSON with 'ID' and 'gtboxes')") from None
            records.append(record)
    return records


def _is_ignored(box):
    return box.get("extra", {}).get("ignore", 0) == 1


def convert_crowdhuman(odgt_path, images_dir, out_dir, name="crowdhuman", copy_images=False,
                       progress=True):
    """Write labels for every record of ``odgt_path`` whose image ``<ID>.jpg`` is in
    ``images_dir``; ids count up from 0 over the kept boxes. Returns a ConversionSummary."""
    records = read_odgt(odgt_path)
    with JdeWriter(out_dir, name) as writer:
        writer.link_images(images_dir, name, copy=copy_images)
        summary = ConversionSummary(name)
        listed = []
        next_id = 0
        for record in tqdm(records, desc=f"convert {name}", unit="img", disable=not progress or None):
            file_name = f"{record['ID']}.jpg"
            img = cv2.imread(os.path.join(images_dir, file_name),
                             cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
            if img is None:
                raise UserError(f"image {os.path.join(images_dir, file_name)} of record "
                                f"{record['ID']} is missing or unreadable")
            height, width = img.shape[:2]
            boxes = []
            for box in record["gtboxes"]:
                if box.get("tag") != "person":
                    summary.drop("not tagged person", 1)
                elif _is_ignored(box):
                    summary.drop("ignore flag", 1)
                else:
                    boxes.append(box["fbox"])
            labels, kept = tlwh_to_label_rows(boxes, [0] * len(boxes), width, height)
            summary.drop("centre outside the image", (~kept).sum())
            labels[:, 1] = range(next_id, next_id + len(labels))  # consecutive over kept boxes
            next_id += len(labels)
            writer.write_labels(f"{name}/{file_name}", labels)
            listed.append(f"{name}/{file_name}")
        summary.boxes_kept = summary.identities = next_id
        return writer.write_splits(summary, {"train": listed})
