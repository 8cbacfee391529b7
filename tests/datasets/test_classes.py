"""Classes through the data: converters keep them, data.json records them, JointDataset maps each
dataset's classes to the model's by name and numbers identities per class."""
import json
import os

import numpy as np
import pytest

from fairmot.datasets.classes import ClassTable, merge_tables
from fairmot.datasets.convert_coco import convert_coco
from fairmot.datasets.convert_mot import convert_mot, plan_parts
from fairmot.datasets.jde import label_path_for, load_data_config, parse_label_file, read_list_file
from fairmot.datasets.joint_dataset import JointDataset
from fairmot.datasets.mot_format import load_mot_rows
from fairmot.datasets.synthetic import SynthConfig, write_synthetic_dataset
from fairmot.errors import UserError
from support.data import MOT17_TRAIN, PETS, SHARED, requires_shared, write_jde_dataset

COCO256 = os.path.join(SHARED, "coco256")
PERSON_CAR = ClassTable(("person", "car"), (1, 3))


def _labels(out_dir, list_name):
    config = load_data_config(os.path.join(out_dir, "data.json"))
    images = read_list_file(os.path.join(out_dir, list_name), config.root)
    return [parse_label_file(label_path_for(p)) for p in images]


def test_class_tables_select_by_name_or_number_and_merge_by_name():
    assert PERSON_CAR.select(["car"]) == [1] and PERSON_CAR.select(["3", "pedestrian"]) == [0, 1]
    assert PERSON_CAR.select(None) is None and PERSON_CAR.result_numbers() == [1, 3]
    assert ClassTable.single().result_numbers() == [-1]          # one class: column 8 stays -1
    with pytest.raises(UserError, match=r"no class 'bus'.*person \(1\), car \(3\)"):
        PERSON_CAR.select(["bus"])
    merged = merge_tables([ClassTable.single(), ClassTable(("car", "bicycle"), (3, 4))])
    assert merged.names == ("person", "car", "bicycle") and merged.numbers == (1, 3, 4)
    ordered = merge_tables([PERSON_CAR], order=["car", "person", "motorcycle"])
    assert ordered.names == ("car", "person", "motorcycle") and ordered.numbers == (3, 1, 2)
    with pytest.raises(UserError, match="leaves out"):
        merge_tables([PERSON_CAR], order=["person"])
    with pytest.raises(UserError, match="both have number 3"):
        merge_tables([PERSON_CAR, ClassTable(("truck",), (3,))])


@requires_shared
def test_coco_categories_become_classes_in_the_order_asked(tmp_path):
    annotations, images = os.path.join(COCO256, "annotations.json"), os.path.join(COCO256, "images")
    summary = convert_coco(annotations, images, str(tmp_path), "coco256", categories=["car", "person"], progress=False)
    labels = np.concatenate(_labels(tmp_path, "coco256.train"))
    assert (labels[:, 0] == 0).sum() == 70 and (labels[:, 0] == 1).sum() == 604   # car first, as asked
    assert summary.boxes_kept == 674 and (labels[:, 1] == -1).all()                # detection only
    record = json.loads((tmp_path / "data.json").read_text())["classes"]["coco256"]
    assert record == {"names": ["car", "person"], "numbers": [3, 1]}              # COCO's category ids
    by_id = convert_coco(annotations, images, str(tmp_path / "ids"), "c", categories=["3", "1"], progress=False)
    assert by_id.boxes_kept == 674 and by_id.classes == summary.classes
    person = convert_coco(annotations, images, str(tmp_path / "p"), "p", progress=False)
    assert person.boxes_kept == 604 and "classes" not in json.loads((tmp_path / "p" / "data.json").read_text())
    with pytest.raises(UserError, match=r"no category 'lorry' \(it has: .*car"):
        convert_coco(annotations, images, str(tmp_path / "x"), "x", categories=["person", "lorry"], progress=False)
    with pytest.raises(UserError, match="asked for twice"):
        convert_coco(annotations, images, str(tmp_path / "y"), "y", categories=["car", "3"], progress=False)


@requires_shared
def test_mot17_vehicles_keep_their_identities_whatever_their_mark(tmp_path):
    seqs = [os.path.join(MOT17_TRAIN, s) for s in ("MOT17-05-FRCNN", "MOT17-13-FRCNN")]
    people = convert_mot(plan_parts(seqs), str(tmp_path / "p"), "p", labels_only=True, progress=False)
    both = convert_mot(plan_parts(seqs), str(tmp_path / "pc"), "pc", labels_only=True, progress=False,
                       classes=(1, 3))
    gts = [load_mot_rows(os.path.join(s, "gt", "gt.txt")) for s in seqs]
    car_ids = sum(len(np.unique(g[g[:, 7] == 3, 1])) for g in gts)
    assert car_ids == 9 + 23 and all((g[g[:, 7] == 3, 6] == 0).all() for g in gts)   # marked 0, all of them
    assert both.identities_per_class == {"person": people.identities, "car": car_ids}
    assert both.classes.names == ("person", "car") and both.classes.numbers == (1, 3)
    cars_in = sum(((g[:, 7] == 3)).sum() for g in gts)
    assert both.boxes_kept - people.boxes_kept == cars_in - both.dropped.get("centre outside the image", 0) + \
        people.dropped.get("centre outside the image", 0)
    # a frame's label file: people class 0 with their ids, cars class 1 with ids numbered 0.. per class
    label = parse_label_file(str(tmp_path / "pc" / "labels_with_ids" / "MOT17-13-FRCNN" / "img1" / "000001.txt"))
    g = gts[1][gts[1][:, 0] == 1]
    assert (label[:, 0] == 1).sum() == (g[:, 7] == 3).sum() > 0
    assert label[label[:, 0] == 1, 1].max() < car_ids
    with pytest.raises(UserError, match="MOT17's classes are numbers 1-13"):
        convert_mot(plan_parts(seqs), str(tmp_path / "bad"), "bad", labels_only=True, progress=False, classes=(1, 42))
    with pytest.raises(UserError, match="MOT15-style rows"):
        convert_mot(plan_parts([PETS], (1, 5)), str(tmp_path / "m15"), "m15", progress=False, classes=(1, 3))


@pytest.fixture(scope="module")
def synth_two_classes(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth") / "data"
    config = SynthConfig(width=320, height=192, frames=12, classes=("person", "car"), mean_cars=2.0)
    summary = write_synthetic_dataset(str(out), sequences=3, seed=5, val_sequences=1, config=config)
    return out, summary


def test_synthetic_cars_have_their_own_class_and_ids(synth_two_classes):
    out, summary = synth_two_classes
    rows = np.concatenate([load_mot_rows(str(out / f"synth-{i:02d}" / "gt" / "gt.txt")) for i in range(3)])
    cars, people = rows[rows[:, 7] == 3], rows[rows[:, 7] == 1]
    assert len(cars) > 10 and len(people) > 10 and set(np.unique(rows[:, 7])) == {1, 3}
    assert (cars[:, 4] > cars[:, 5]).all() and (people[:, 4] < people[:, 5]).all()   # wide cars, upright people
    for i in range(3):   # ids never shared across classes
        g = load_mot_rows(str(out / f"synth-{i:02d}" / "gt" / "gt.txt"))
        assert not set(g[g[:, 7] == 3, 1]) & set(g[g[:, 7] == 1, 1])
    assert summary.classes.names == ("person", "car") and summary.identities_per_class["car"] > 0
    labels = np.concatenate(_labels(out, "synth.train"))
    assert set(np.unique(labels[:, 0])) == {0, 1} and (labels[:, 1] >= 0).all()


def test_joint_dataset_maps_classes_by_name_and_numbers_ids_per_class(synth_two_classes, tmp_path):
    out, summary = synth_two_classes
    config = load_data_config(str(out / "data.json"))
    # a person-only identity set beside it, and the model's classes in another order
    people_rows = [[[0, 0, 0.3, 0.5, 0.1, 0.4], [0, 1, 0.7, 0.5, 0.1, 0.4]]] * 3
    person_only = write_jde_dataset(config.root, "people", people_rows, size=(320, 192))   # under the same root
    paths = {"synth": config.train["synth"], "people": person_only}
    ds = JointDataset(paths, config.root, img_size=(320, 192), class_tables={"synth": config.class_table("synth")},
                      classes=["car", "person"], progress=False)
    assert ds.classes.names == ("car", "person") and ds.num_classes == 2
    cars, people = summary.identities_per_class["car"], summary.identities_per_class["person"]
    assert ds.ids_per_class[0] >= 1 and ds.tid_num["synth"][0] <= cars and ds.tid_num["synth"][1] <= people
    # the person-only set's labels (class 0 in its files) are the model's class 1, ids after synth's
    assert ds.tid_num["people"] == [0, 2] and ds.tid_start_index["people"] == [ds.tid_num["synth"][0],
                                                                                ds.tid_num["synth"][1]]
    assert ds.ids_per_class == [ds.tid_num["synth"][0], ds.tid_num["synth"][1] + 2]
    people_item = ds[len(ds) - 1]
    assert people_item["cls"][:2].tolist() == [1, 1]
    assert people_item["ids"][:2].tolist() == [ds.tid_num["synth"][1], ds.tid_num["synth"][1] + 1]
    item = ds[0]
    assert item["hm"].shape[0] == 2
    valid = item["reg_mask"] == 1
    for c in (0, 1):
        ids = item["ids"][valid & (item["cls"] == c)]
        assert (ids < ds.ids_per_class[c]).all()
    with pytest.raises(UserError, match="leaves out"):
        JointDataset({"synth": config.train["synth"]}, config.root, img_size=(320, 192),
                     class_tables={"synth": config.class_table("synth")}, classes=["person"], progress=False)
