"""Write a dataset in the JDE layout: an ``images/`` tree of links, ``labels_with_ids/``, list files
and a ``data.json`` training config, all inside one output folder that can be moved as a whole."""
import os
import shutil
from dataclasses import dataclass, field

from fairmot.errors import UserError

from .jde import IMAGES_DIR, LABELS_DIR, format_label_line, update_data_config

CONFIG_NAME = "data.json"


def check_new_dataset(out_dir, name):
    """UserError if ``out_dir`` already holds a dataset called ``name`` (its list files or an
    entry in data.json): a second conversion would replace the first one's lists."""
    import glob
    import json

    taken = sorted(os.path.basename(p) for p in glob.glob(os.path.join(glob.escape(out_dir), f"{glob.escape(name)}.*"))
                   if os.path.splitext(p)[1] in (".train", ".val", ".test"))
    config = os.path.join(out_dir, CONFIG_NAME)
    if not taken and os.path.isfile(config):
        try:
            with open(config) as f:
                old = json.load(f)
            if any(name in (old.get(split) or {}) for split in ("train", "test")):
                taken = [CONFIG_NAME]
        except (OSError, ValueError, AttributeError):
            pass  # update_data_config reports an unreadable data.json
    if taken:
        raise UserError(f"{out_dir} already holds a dataset named {name!r} ({', '.join(taken)}): "
                        "pass another --name, or another --out folder")


class JdeWriter:
    """Writes into ``out_dir``; every path given to it is relative to ``out_dir/images``."""

    def __init__(self, out_dir, name=None):
        self.out_dir = os.path.abspath(out_dir)
        if name is not None:
            check_new_dataset(self.out_dir, name)
        os.makedirs(self.out_dir, exist_ok=True)

    def link_images(self, source_dir, rel_dir, copy=False):
        """Make ``images/<rel_dir>`` show the images of ``source_dir`` without copying them.

        A symbolic link (relative when the source lies inside the output folder, so the folder
        stays movable); ``copy=True`` copies the files instead, for file systems without links.
        Never writes into ``source_dir``.
        """
        source_dir = os.path.abspath(source_dir)
        if not os.path.isdir(source_dir):
            raise UserError(f"image folder {source_dir} not found")
        dest = os.path.join(self.out_dir, IMAGES_DIR, rel_dir)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        if copy:
            shutil.copytree(source_dir, dest, dirs_exist_ok=True)
            return dest
        inside = os.path.commonpath([source_dir, self.out_dir]) == self.out_dir
        target = os.path.relpath(source_dir, os.path.dirname(dest)) if inside else source_dir
        if os.path.islink(dest):
            if os.path.realpath(dest) == os.path.realpath(source_dir):
                return dest
            os.remove(dest)  # a link this writer made for an earlier conversion
        elif os.path.exists(dest):
            if os.path.realpath(dest) == os.path.realpath(source_dir):
                return dest
            raise UserError(f"{dest} already exists and is not a link to {source_dir}: "
                            f"choose another output folder")
        try:
            os.symlink(target, dest, target_is_directory=True)
        except OSError as err:
            raise UserError(f"cannot link {dest} -> {source_dir} ({err}); "
                            f"pass --copy-images to copy the images instead") from None
        return dest

    def list_entry(self, rel_image):
        """The list-file line of an image: its path relative to the output folder (the root)."""
        return f"{IMAGES_DIR}/{rel_image}"

    def write_labels(self, rel_image, rows):
        """Write the label file of ``images/<rel_image>`` from rows ``class id xc yc w h``
        (an empty file when there are none)."""
        stem = os.path.splitext(rel_image)[0]
        path = os.path.join(self.out_dir, LABELS_DIR, stem + ".txt")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write("".join(format_label_line(*row) for row in rows))
        return path

    def write_list(self, file_name, rel_images):
        """Write the list file ``<out_dir>/<file_name>``; returns its name relative to out_dir."""
        with open(os.path.join(self.out_dir, file_name), "w") as f:
            f.write("".join(self.list_entry(r) + "\n" for r in rel_images))
        return file_name

    def update_config(self, train=None, test=None):
        """Add ``{name: list_file}`` entries to ``<out_dir>/data.json`` (root = that folder)."""
        path = os.path.join(self.out_dir, CONFIG_NAME)
        update_data_config(path, ".", train=train, test=test)
        return path

    def write_splits(self, summary, split_images):
        """Write ``<name>.<split>`` list files for {split: [rel image, ...]} and register them in
        data.json: split ``train`` under "train", any other split under "test"."""
        train, test = {}, {}
        for split, rel_images in split_images.items():
            list_file = self.write_list(f"{summary.name}.{split}", rel_images)
            summary.images[split] = len(rel_images)
            summary.list_files[split] = list_file
            (train if split == "train" else test)[summary.name] = list_file
        self.update_config(train=train, test=test)
        return summary


@dataclass
class ConversionSummary:
    """What a converter wrote and what it left out (reason -> number of boxes)."""

    name: str
    images: dict = field(default_factory=dict)      # split -> images listed
    list_files: dict = field(default_factory=dict)  # split -> list file (relative to out_dir)
    boxes_kept: int = 0
    identities: int = 0
    dropped: dict = field(default_factory=dict)

    def drop(self, reason, count):
        if count:
            self.dropped[reason] = self.dropped.get(reason, 0) + int(count)

    def describe(self):
        images = ", ".join(f"{n} {split}" for split, n in self.images.items()) or "no"
        dropped = ", ".join(f"{n} {why}" for why, n in self.dropped.items()) or "none"
        return (f"{self.name}: {images} images, {self.boxes_kept} boxes, "
                f"{self.identities} identities; left out: {dropped}")
