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
    """Writes into ``out_dir``; every path given to it is relative to ``out_dir/images``.

    Used as ``with JdeWriter(out_dir, name) as writer:``, a conversion that fails or is interrupted
    removes every file, link and folder it created (a half dataset is of no use, and data.json is
    only updated at the very end), and nothing that was there before.
    """

    def __init__(self, out_dir, name=None):
        self.out_dir = os.path.abspath(out_dir)
        if name is not None:
            check_new_dataset(self.out_dir, name)
        self.created = []  # paths this writer made, in order
        self._makedirs(self.out_dir)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self.discard()
        return False

    def _makedirs(self, path):
        missing = []
        while path and not os.path.lexists(path):
            missing.append(path)
            path = os.path.dirname(path)
        for folder in reversed(missing):
            os.mkdir(folder)
            self.created.append(folder)

    def _new_file(self, path):
        self._makedirs(os.path.dirname(path))
        if not os.path.lexists(path):
            self.created.append(path)
        return path

    def discard(self):
        """Remove what this writer created, newest first; folders only once empty."""
        for path in reversed(self.created):
            try:
                if os.path.islink(path) or os.path.isfile(path):
                    os.remove(path)
                elif os.path.isdir(path):
                    os.rmdir(path)
            except OSError:
                pass  # not empty (something else wrote there) or already gone: left
        self.created = []

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
        self._makedirs(os.path.dirname(dest))
        if copy:
            if not os.path.lexists(dest):
                self._makedirs(dest)
            for root, _, names in os.walk(source_dir):
                folder = os.path.join(dest, os.path.relpath(root, source_dir))
                self._makedirs(folder)
                for file_name in names:
                    shutil.copy2(os.path.join(root, file_name), self._new_file(os.path.join(folder, file_name)))
            return dest
        inside = os.path.commonpath([source_dir, self.out_dir]) == self.out_dir
        target = os.path.relpath(source_dir, os.path.dirname(dest)) if inside else source_dir
        if os.path.lexists(dest):
            if os.path.realpath(dest) == os.path.realpath(source_dir):
                return dest  # an earlier conversion of the same images
            # re-pointing it would change the images of the dataset that made it
            raise UserError(f"{dest} already exists and is not a link to {source_dir} (an earlier "
                            "conversion's images): choose another --out folder")
        try:
            os.symlink(target, dest, target_is_directory=True)
        except OSError as err:
            raise UserError(f"cannot link {dest} -> {source_dir} ({err}); "
                            f"pass --copy-images to copy the images instead") from None
        self.created.append(dest)
        return dest

    def list_entry(self, rel_image):
        """The list-file line of an image: its path relative to the output folder (the root)."""
        return f"{IMAGES_DIR}/{rel_image}"

    def write_labels(self, rel_image, rows):
        """Write the label file of ``images/<rel_image>`` from rows ``class id xc yc w h``
        (an empty file when there are none)."""
        stem = os.path.splitext(rel_image)[0]
        path = self._new_file(os.path.join(self.out_dir, LABELS_DIR, stem + ".txt"))
        with open(path, "w") as f:
            f.write("".join(format_label_line(*row) for row in rows))
        return path

    def write_list(self, file_name, rel_images):
        """Write the list file ``<out_dir>/<file_name>``; returns its name relative to out_dir."""
        with open(self._new_file(os.path.join(self.out_dir, file_name)), "w") as f:
            f.write("".join(self.list_entry(r) + "\n" for r in rel_images))
        return file_name

    def update_config(self, train=None, test=None, classes=None):
        """Add ``{name: list_file}`` entries to ``<out_dir>/data.json`` (root = that folder), and
        ``classes`` ({name: ClassTable}) for datasets of other classes than person alone."""
        path = os.path.join(self.out_dir, CONFIG_NAME)
        update_data_config(path, ".", train=train, test=test, classes=classes)
        return path

    def write_splits(self, summary, split_images, classes=None):
        """Write ``<name>.<split>`` list files for {split: [rel image, ...]} and register them in
        data.json: split ``train`` under "train", any other split under "test"; ``classes``: the
        dataset's ClassTable when it is not person alone."""
        train, test = {}, {}
        for split, rel_images in split_images.items():
            list_file = self.write_list(f"{summary.name}.{split}", rel_images)
            summary.images[split] = len(rel_images)
            summary.list_files[split] = list_file
            (train if split == "train" else test)[summary.name] = list_file
        is_person_only = classes is None or classes.names == ("person",)
        self.update_config(train=train, test=test, classes=None if is_person_only else {summary.name: classes})
        summary.classes = classes
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
    classes: object = None                          # ClassTable of a multi-class dataset
    identities_per_class: dict = field(default_factory=dict)  # class name -> identities

    def drop(self, reason, count):
        if count:
            self.dropped[reason] = self.dropped.get(reason, 0) + int(count)

    def describe(self):
        images = ", ".join(f"{n} {split}" for split, n in self.images.items()) or "no"
        dropped = ", ".join(f"{n} {why}" for why, n in self.dropped.items()) or "none"
        per_class = ""
        if self.classes is not None and len(self.classes) > 1:
            per_class = " (classes: " + ", ".join(
                f"{name} {self.identities_per_class.get(name, 0)}" for name in self.classes.names) + ")"
        return (f"{self.name}: {images} images, {self.boxes_kept} boxes, "
                f"{self.identities} identities{per_class}; left out: {dropped}")
