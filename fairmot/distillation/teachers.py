"""Teachers: frozen networks whose outputs the student learns from.

A teacher is given as ``PATH[:CLASSES][@WxH]`` (``fairmot distill --teacher``):

- ``PATH``: any checkpoint ``fairmot`` loads (a FairMOT or CenterNet model of any architecture);
- ``CLASSES``: the student classes it teaches, comma-separated (default: every class of its own
  that the student has). A name it has teaches that channel; a one-class teacher may teach a
  class under another name (``person_detector.pth:pedestrian``);
- ``@WxH``: the input size it runs at (default: the student's). The student's augmented batch is
  resized to it and the teacher's outputs mapped onto the student's grid.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F

from fairmot.errors import UserError
from fairmot.utils.parsing import parse_input_size

from .config import MAX_PEAKS, MIN_SCORE
from .losses import TeacherTargets, teacher_targets

_SIZE = re.compile(r"@(\d+x\d+)$")


@dataclass(frozen=True)
class TeacherSpec:
    path: str
    classes: Optional[Tuple[str, ...]] = None     # None: every class of its own the student has
    input_size: Optional[Tuple[int, int]] = None  # None: the student's

    def describe(self) -> str:
        text = self.path
        if self.classes:
            text += ":" + ",".join(self.classes)
        if self.input_size:
            text += "@{}x{}".format(*self.input_size)
        return text


def parse_teacher_spec(text: str) -> TeacherSpec:
    """``PATH[:CLASSES][@WxH]`` -> TeacherSpec (UserError for a missing file or a bad size)."""
    from fairmot.datasets.classes import parse_name_list
    rest, size = str(text), None
    match = _SIZE.search(rest)
    if match and not os.path.exists(rest):
        size = parse_input_size(match.group(1))
        rest = rest[:match.start()]
    classes = None
    if not os.path.exists(rest) and ":" in rest:
        path, names = rest.rsplit(":", 1)
        if os.path.exists(path):
            classes = tuple(parse_name_list(names))
            if not classes:
                raise UserError(f"--teacher {text}: no class names after ':'")
            rest = path
    if not os.path.isfile(rest):
        raise UserError(f"--teacher {text}: no checkpoint file {rest} (give PATH[:CLASSES][@WxH])")
    return TeacherSpec(rest, classes, size)


@dataclass
class Teacher:
    """A loaded teacher: its network (eval mode, no gradients), the input size it runs at (None:
    the student's) and, once :meth:`route` is called, which of its heatmap channels teach which
    student channels."""
    spec: TeacherSpec
    model: torch.nn.Module
    teacher_channels: List[int] = field(default_factory=list)
    student_channels: List[int] = field(default_factory=list)
    taught: List[str] = field(default_factory=list)   # student class names, in channel order

    @property
    def input_size(self) -> Optional[Tuple[int, int]]:
        return self.spec.input_size

    @property
    def own_classes(self) -> List[str]:
        return list(self.model.class_table.names)

    def teaches(self) -> List[str]:
        """The student classes it will teach: those its spec names, else all of its own."""
        return list(self.spec.classes) if self.spec.classes else self.own_classes

    def taught_numbers(self) -> List[Tuple[str, Optional[int]]]:
        """(class, number) for each class it teaches: the number its own checkpoint gives the class,
        None for a class it teaches under another name than its own."""
        table = self.model.class_table
        return [(n, table.numbers[table.names.index(n)] if n in table.names else None) for n in self.teaches()]

    def route(self, student_classes: Sequence[str]) -> Teacher:
        self.teacher_channels, self.student_channels, self.taught = route_channels(
            self.own_classes, self.spec.classes, list(student_classes), self.spec.describe())
        return self

    def describe(self) -> str:
        arch = getattr(self.model, "arch", "?")
        size = "x".join(map(str, self.input_size)) if self.input_size else "the student's size"
        return f"{self.spec.path} ({arch}, at {size}) teaches {', '.join(self.taught)}"

    def record(self) -> Dict:
        """What a distilled checkpoint keeps about its teacher."""
        return {"path": os.path.abspath(self.spec.path), "arch": getattr(self.model, "arch", None),
                "classes": list(self.taught),
                "input_size": list(self.input_size) if self.input_size else None}


def route_channels(own: Sequence[str], wanted: Optional[Sequence[str]], student: Sequence[str],
                   label: str) -> Tuple[List[int], List[int], List[str]]:
    """(teacher channels, student channels, taught names) for a teacher with classes ``own``
    asked to teach ``wanted`` (None: all of its own the student has) to a student with ``student``."""
    if wanted is None:
        names = [n for n in own if n in student]
        if not names:
            raise UserError(f"--teacher {label}: its classes ({', '.join(own)}) are none of the student's "
                            f"({', '.join(student)}); name the class it teaches: {label}:CLASS")
        return [own.index(n) for n in names], [student.index(n) for n in names], names
    missing = [n for n in wanted if n not in student]
    if missing:
        raise UserError(f"--teacher {label}: the student has no class {', '.join(missing)} "
                        f"(its classes: {', '.join(student)})")
    if all(n in own for n in wanted):
        return [own.index(n) for n in wanted], [student.index(n) for n in wanted], list(wanted)
    if len(own) == 1 and len(wanted) == 1:   # a one-class teacher, its class renamed
        return [0], [student.index(wanted[0])], list(wanted)
    unknown = [n for n in wanted if n not in own]
    raise UserError(f"--teacher {label}: it has no class {', '.join(unknown)} (its classes: {', '.join(own)})")


def load_teacher(spec: TeacherSpec, device: torch.device, dtype: torch.dtype = torch.float32) -> Teacher:
    """Load a teacher frozen in eval mode on ``device`` (its file read once); :meth:`Teacher.route`
    then assigns its channels to the student's classes."""
    from fairmot.models.checkpoint import model_from_checkpoint
    try:
        model = model_from_checkpoint(spec.path)
    except UserError as err:
        raise UserError(f"--teacher {spec.path}: {err}") from None
    if "hm" not in model.heads:
        raise UserError(f"--teacher {spec.path}: no heatmap head, nothing to teach")
    model = model.to(device, dtype).eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return Teacher(spec, model)


@torch.no_grad()
def teach(teacher: Teacher, images: torch.Tensor, student_grid: Tuple[int, int], wh_channels: int,
          max_peaks: int = MAX_PEAKS, min_score: float = MIN_SCORE) -> TeacherTargets:
    """Run ``teacher`` on the student's batch ``images`` (resized to its input size) and turn its
    outputs into targets on the student's output grid (H, W)."""
    teacher.model.eval()   # never trained, whatever mode the caller set
    x = images
    if teacher.input_size and tuple(teacher.input_size) != (images.shape[-1], images.shape[-2]):
        width, height = teacher.input_size
        x = F.interpolate(images, size=(height, width), mode="bilinear", align_corners=False)
    outputs = teacher.model(x)
    return teacher_targets(outputs, teacher.teacher_channels, teacher.student_channels, student_grid,
                           wh_channels, max_peaks, min_score)
