"""The JDE data layout used by FairMOT: list files, ``labels_with_ids`` label files, data configs.

- A *list file* names one image per line, relative to the data root (or absolute).
- The label file of an image is the image path with its last ``images`` folder replaced by
  ``labels_with_ids`` and the extension by ``.txt``. Each line is
  ``class id xc/W yc/H w/W h/H`` (normalised centre and size); ``id`` -1 means "no identity"
  (detection-only data). An image without objects has an empty label file.
- A *data config* is JSON: ``{"root": ..., "train": {name: list_file}, "test": {name: list_file},
  "classes": {name: {"names": [...], "numbers": [...]}}}``; a dataset without a ``classes`` entry
  has FairMOT's one class, person (:mod:`fairmot.datasets.classes`).
  Relative list files and a relative root are resolved against the folder of the JSON file
  (then, for configs written for the original code, against the current directory).
"""
import json
import math
import os
from dataclasses import dataclass, field

import numpy as np

from fairmot.errors import UserError
from fairmot.utils.atomic import atomic_write_text

IMAGES_DIR = "images"
LABELS_DIR = "labels_with_ids"
LABEL_COLUMNS = 6  # class, id, xc, yc, w, h


def label_path_for(image_path):
    """Label file of an image: the last ``images`` path component becomes ``labels_with_ids``.

    The original replaced every occurrence of the substring ``images``; replacing only the last
    folder of that name gives the same path for every JDE dataset and does not break on roots
    such as ``/home/me/images-archive/...``.
    """
    parts = image_path.replace("\\", "/").split("/")
    for i in range(len(parts) - 2, -1, -1):
        if parts[i] == IMAGES_DIR:
            parts[i] = LABELS_DIR
            break
    else:
        raise UserError(f"{image_path}: a JDE image path needs an '{IMAGES_DIR}' folder "
                        f"(its labels live in the matching '{LABELS_DIR}' folder)")
    parts[-1] = os.path.splitext(parts[-1])[0] + ".txt"
    return "/".join(parts)


def format_label_line(cls, track_id, xc, yc, w, h):
    """One label line with the original's precision (6 decimals)."""
    return f"{int(cls)} {int(track_id)} {xc:.6f} {yc:.6f} {w:.6f} {h:.6f}\n"


def parse_label_file(path):
    """Read and check a label file; returns an (N, 6) float32 array ``class id xc yc w h``.

    Raises UserError naming ``file:line`` for a malformed line, and for a box outside the
    image (normalised centre outside [0, 1]) or of non-positive size.
    """
    if not os.path.isfile(path):
        raise UserError(f"label file {path} is missing: every listed image needs one "
                        f"(an empty file for an image without objects)")
    rows = []
    try:
        with open(path) as f:
            lines = f.readlines()
    except UnicodeDecodeError:
        raise UserError(f"label file {path} is not text: each line is 'class id xc yc w h'") from None
    for line_no, line in enumerate(lines, 1):
        fields = line.split()
        if not fields:
            continue
        where = f"{path}:{line_no}"
        if len(fields) != LABEL_COLUMNS:
            raise UserError(f"{where}: expected 6 fields 'class id xc yc w h', got {len(fields)}")
        try:
            values = [float(v) for v in fields]
        except ValueError:
            raise UserError(f"{where}: non-numeric field in {line.strip()!r}") from None
        if not all(math.isfinite(v) for v in values):
            raise UserError(f"{where}: non-finite value (nan or inf) in {line.strip()!r}")
        cls, track_id, xc, yc, w, h = values
        if cls != int(cls) or cls < 0:
            raise UserError(f"{where}: class must be an integer >= 0, got {fields[0]}")
        if track_id != int(track_id) or track_id < -1:
            raise UserError(f"{where}: id must be an integer >= -1 (-1 = no identity), "
                            f"got {fields[1]}")
        if not (0.0 <= xc <= 1.0 and 0.0 <= yc <= 1.0):
            raise UserError(f"{where}: box centre ({xc}, {yc}) is outside the image "
                            f"(normalised coordinates must lie in [0, 1])")
        if not (w > 0 and h > 0):
            raise UserError(f"{where}: box size ({w}, {h}) must be positive")
        rows.append(values)
    if not rows:
        return np.zeros((0, LABEL_COLUMNS), dtype=np.float32)
    return np.asarray(rows, dtype=np.float32)


def read_list_file(list_path, root):
    """Image paths of a list file, joined to ``root`` (absolute entries stay as they are)."""
    if not os.path.isfile(list_path):
        raise UserError(f"list file {list_path} not found")
    with open(list_path) as f:
        entries = [line.strip() for line in f]
    return [os.path.join(root, e) for e in entries if e]


@dataclass
class DataConfig:
    """A parsed data config: the root and, per split, dataset name -> resolved list-file path."""

    root: str
    train: dict = field(default_factory=dict)
    test: dict = field(default_factory=dict)
    classes: dict = field(default_factory=dict)   # dataset name -> ClassTable (absent: person only)

    def class_table(self, name):
        from .classes import ClassTable
        return self.classes.get(name) or ClassTable.single()


def _resolve(path, base_dir):
    if os.path.isabs(path):
        return path
    candidate = os.path.join(base_dir, path)
    if os.path.exists(candidate) or not os.path.exists(path):
        return os.path.normpath(candidate)
    return os.path.abspath(path)  # relative to the current directory, as the original code did


def read_json(path, what):
    """Parsed JSON of ``path``; a missing file or invalid JSON is a UserError naming ``what``."""
    if not os.path.isfile(path):
        raise UserError(f"{what} {path} not found")
    try:
        with open(path) as f:
            return json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise UserError(f"{path}: not valid JSON ({err})") from None


def load_data_config(json_path):
    """Parse a data config JSON; relative paths resolve against the JSON file's folder."""
    raw = read_json(json_path, "data config")
    if not isinstance(raw, dict) or "train" not in raw or not isinstance(raw["train"], dict):
        raise UserError(f"{json_path}: a data config needs a 'train' object "
                        f"{{name: list_file, ...}} (and usually 'root' and 'test')")
    base = os.path.dirname(os.path.abspath(json_path))
    root = _resolve(raw.get("root", "."), base)
    splits = {}
    for split in ("train", "test"):
        entries = raw.get(split, {})
        if not isinstance(entries, dict):
            raise UserError(f"{json_path}: '{split}' must map dataset names to list files")
        splits[split] = {name: _resolve(p, base) for name, p in entries.items()}
    from .classes import ClassTable
    classes = raw.get("classes", {})
    if not isinstance(classes, dict):
        raise UserError(f"{json_path}: 'classes' must map dataset names to {{'names': [...], 'numbers': [...]}}")
    tables = {}
    for name, record in classes.items():
        try:
            tables[name] = ClassTable.from_record(record)
        except UserError as err:
            raise UserError(f"{json_path}: dataset {name!r}: {err}") from None
    return DataConfig(root=root, classes=tables, **splits)


def update_data_config(json_path, root, train=None, test=None, classes=None):
    """Write ``json_path``, keeping entries already there for other dataset names.

    ``train``/``test`` map dataset name -> list file (relative to the JSON's folder is best:
    the folder then moves as a whole). ``classes``: dataset name -> ClassTable, for datasets of
    other classes than person alone. An existing config with a different root is an error,
    since its list files would be read against the wrong root.
    """
    config = {"root": root, "train": {}, "test": {}}
    if os.path.isfile(json_path):
        with open(json_path) as f:
            old = json.load(f)
        if old.get("root", root) != root:
            raise UserError(f"{json_path} already exists with root {old.get('root')!r}, not "
                            f"{root!r}: write to another folder or remove that file")
        config["train"].update(old.get("train", {}))
        config["test"].update(old.get("test", {}))
        if old.get("classes"):
            config["classes"] = dict(old["classes"])
    config["train"].update(train or {})
    config["test"].update(test or {})
    if classes:
        config.setdefault("classes", {}).update({name: table.record() for name, table in classes.items()})
    atomic_write_text(json_path, json.dumps(config, indent=2) + "\n")
    return config


def tlwh_to_label_rows(tlwh, ids, width, height, cls=0):
    """Pixel boxes (x, y, w, h) -> label rows ``class id xc yc w h`` normalised by the image size;
    ``cls``: the class index of all boxes, or one per box.

    Returns ``(rows, kept)``: boxes whose centre lies outside the image or whose size is not
    positive cannot be label lines (no heatmap cell to put them on) and are left out; ``kept``
    is the boolean mask of the boxes that made it. Box edges are not clipped: targets measure
    distances to the full (amodal) box.
    """
    tlwh = np.asarray(tlwh, dtype=np.float64).reshape(-1, 4)
    xc = (tlwh[:, 0] + tlwh[:, 2] / 2) / width
    yc = (tlwh[:, 1] + tlwh[:, 3] / 2) / height
    w, h = tlwh[:, 2] / width, tlwh[:, 3] / height
    kept = (xc >= 0) & (xc <= 1) & (yc >= 0) & (yc <= 1) & (w > 0) & (h > 0)
    classes = np.broadcast_to(np.asarray(cls, dtype=np.float64), (len(tlwh),))  # one class or one per box
    rows = np.stack([classes,
                     np.asarray(ids, dtype=np.float64).reshape(-1), xc, yc, w, h], axis=1)
    return rows[kept], kept
