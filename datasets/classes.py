"""Object classes: names, and the numbers result files carry for them.

A :class:`ClassTable` lists a dataset's or a model's classes in index order (the JDE label
files' first column and the heatmap channel are the index). Each class also has a *number*: the
one written in column 8 of MOT result rows, which ``fairmot eval --per-class`` matches against
column 8 of the ground truth. Numbers come from the source annotations (MOT17's class numbers,
COCO's category ids, the synthetic generator's MOT17 numbers), so results of a model trained on
a benchmark's data are numbered as that benchmark's ground truth. Names follow COCO
(``person``, ``car``, ``bicycle``, ``motorcycle``), so that datasets merge by name in training.

A one-class run writes -1 in column 8, as MOTChallenge results and FairMOT always have.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from fairmot.errors import UserError

# MOT16/17/20 ground-truth classes (column 8); the tracked ones under COCO's names
MOT17_CLASSES: Dict[int, str] = {
    1: "person", 2: "person_on_vehicle", 3: "car", 4: "bicycle", 5: "motorcycle", 6: "non_mot_vehicle",
    7: "static_person", 8: "distractor", 9: "occluder", 10: "occluder_on_ground", 11: "occluder_full",
    12: "reflection", 13: "crowd"}
# COCO's 80 detection categories in CenterNet's heatmap order, with their COCO ids
COCO_CLASS_NAMES = (
    "person bicycle car motorcycle airplane bus train truck boat traffic_light fire_hydrant stop_sign "
    "parking_meter bench bird cat dog horse sheep cow elephant bear zebra giraffe backpack umbrella handbag tie "
    "suitcase frisbee skis snowboard sports_ball kite baseball_bat baseball_glove skateboard surfboard "
    "tennis_racket bottle wine_glass cup fork knife spoon bowl banana apple sandwich orange broccoli carrot "
    "hot_dog pizza donut cake chair couch potted_plant bed dining_table toilet tv laptop mouse remote keyboard "
    "cell_phone microwave oven toaster sink refrigerator book clock vase scissors teddy_bear hair_drier "
    "toothbrush").split()
COCO_CLASS_IDS = (list(range(1, 12)) + list(range(13, 26)) + [27, 28] + list(range(31, 45)) + list(range(46, 66))
                  + [67, 70] + list(range(72, 83)) + list(range(84, 91)))
ALIASES = {"pedestrian": "person", "motorbike": "motorcycle"}
NO_CLASS = -1   # column 8 of a one-class run's rows


def standard_number(name: str) -> Optional[int]:
    """The number a class of this name has in MOT17's ground truth (person 1, car 3, bicycle 4,
    motorcycle 5), else its COCO id; None for a name neither knows."""
    key = canonical_name(name)
    for number, mot_name in MOT17_CLASSES.items():
        if mot_name == key:
            return number
    if key in COCO_CLASS_NAMES:
        return COCO_CLASS_IDS[COCO_CLASS_NAMES.index(key)]
    return None


def canonical_name(name: str) -> str:
    """Lower case, spaces as underscores, MOT17's names for COCO classes as COCO's."""
    key = str(name).strip().lower().replace(" ", "_")
    return ALIASES.get(key, key)


@dataclass(frozen=True)
class ClassTable:
    """``names[i]`` and ``numbers[i]`` of class index ``i``."""
    names: Tuple[str, ...]
    numbers: Tuple[int, ...]

    def __post_init__(self):
        if not self.names or len(self.names) != len(self.numbers):
            raise ValueError(f"a class table needs one number per name, got {self.names} / {self.numbers}")
        if len(set(self.names)) != len(self.names):
            raise ValueError(f"class names repeat: {', '.join(self.names)}")

    def __len__(self) -> int:
        return len(self.names)

    @classmethod
    def single(cls, name: str = "person", number: int = 1) -> ClassTable:
        return cls((name,), (number,))

    @classmethod
    def from_record(cls, record, num_classes: Optional[int] = None) -> ClassTable:
        """From :meth:`record` (as checkpoints, data.json and exported models store it); None
        gives FairMOT's one class (person), COCO's 80 for 80 (CenterNet's COCO detectors, such as
        ``ctdet_coco_hg.pth``), or class1..classN for other ``num_classes``."""
        if record is None:
            if num_classes in (None, 1):
                return cls.single()
            if num_classes == len(COCO_CLASS_NAMES):
                return cls(tuple(COCO_CLASS_NAMES), tuple(COCO_CLASS_IDS))
            return cls(tuple(f"class{i + 1}" for i in range(num_classes)), tuple(range(1, num_classes + 1)))
        try:
            table = cls(tuple(canonical_name(n) for n in record["names"]), tuple(int(n) for n in record["numbers"]))
        except (KeyError, TypeError, ValueError) as err:
            raise UserError(f"unreadable class list {str(record)[:80]!r} ({err}): expected "
                            "{'names': [...], 'numbers': [...]}") from None
        if num_classes is not None and len(table) != num_classes:
            raise UserError(f"the class list names {len(table)} classes ({', '.join(table.names)}) but the "
                            f"network's heatmap has {num_classes} channels")
        return table

    def record(self) -> dict:
        return {"names": list(self.names), "numbers": list(self.numbers)}

    def result_numbers(self) -> List[int]:
        """What column 8 of result rows says for each class index: its number, -1 for one class."""
        return [NO_CLASS] if len(self) == 1 else list(self.numbers)

    def index(self, name: str) -> int:
        return self.names.index(canonical_name(name))

    def select(self, wanted: Optional[Iterable[str]]) -> Optional[List[int]]:
        """Indices of the classes named in ``wanted`` (names or numbers, as ``--classes`` takes
        them); None for all. UserError naming the choices for one that is not here."""
        if wanted is None:
            return None
        out = []
        for item in wanted:
            item = str(item).strip()
            if not item:
                continue
            key = canonical_name(item)
            if key in self.names:
                out.append(self.names.index(key))
            elif item.lstrip("-").isdigit() and int(item) in self.numbers:
                out.append(self.numbers.index(int(item)))
            else:
                raise UserError(f"--classes: no class {item!r} here; the model's classes are "
                                f"{self.describe()}")
        if not out:
            raise UserError(f"--classes is empty; the model's classes are {self.describe()}")
        return sorted(set(out))

    def describe(self) -> str:
        return ", ".join(f"{name} ({number})" for name, number in zip(self.names, self.numbers))


def merge_tables(tables: Sequence[ClassTable], order: Optional[Sequence[str]] = None) -> ClassTable:
    """The classes of several datasets as one model's: by name, in ``order`` when given (every
    dataset class must be in it), else in order of first appearance; each class's number is
    that of the first dataset naming it."""
    numbers: Dict[str, int] = {}
    for table in tables:
        for name, number in zip(table.names, table.numbers):
            numbers.setdefault(name, number)
    if order:
        order = [canonical_name(n) for n in order]
        unknown = [n for n in numbers if n not in order]
        if unknown:
            raise UserError(f"the training data has class(es) {', '.join(unknown)} that --classes "
                            f"({', '.join(order)}) leaves out: list them too")
        # a class no dataset has keeps its place (and the next free number)
        free = iter(n for n in range(1, 10_000) if n not in numbers.values())
        names = tuple(order)
        return ClassTable(names, tuple(numbers.get(n) or next(free) for n in names))
    taken = {}
    for name, number in numbers.items():
        if number in taken.values():
            raise UserError(f"classes {name!r} and {next(k for k, v in taken.items() if v == number)!r} "
                            f"both have number {number} in the training data: convert one of the datasets "
                            "with other class numbers")
        taken[name] = number
    return ClassTable(tuple(numbers), tuple(numbers.values()))


def parse_name_list(text: Optional[str]) -> Optional[List[str]]:
    """``"person, car"`` -> ["person", "car"]; None for None."""
    if text is None:
        return None
    items = [t.strip() for t in str(text).split(",") if t.strip()]
    if not items:
        raise UserError(f"expected a comma-separated list of classes, got {text!r}")
    return items


def parse_number_list(text: str, flag: str, example: str = "1,3") -> List[int]:
    """``"1,3"`` -> [1, 3]; UserError naming ``flag`` for anything but class numbers."""
    items = parse_name_list(text)
    try:
        return [int(v) for v in items]
    except ValueError:
        raise UserError(f"{flag} {text!r}: expected class numbers, e.g. {example}") from None
