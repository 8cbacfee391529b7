"""Per-class tracking: no association across classes, ids unique across classes, each class as alone."""
import numpy as np
import pytest

from fairmot.trackers import PerClassTracker, create_tracker


def crossing(frames=40):
    """A person walking right and a car driving left through the same place at frame 20."""
    for f in range(frames):
        person = [100 + 5 * f, 200, 140 + 5 * f, 300, 0.9]
        car = [300 - 5 * f, 210, 340 - 5 * f, 290, 0.9]
        yield np.array([person, car], float), np.array([0, 2])


@pytest.mark.parametrize("name", ["hybrid", "fairmot"])
def test_crossing_objects_of_two_classes_keep_their_ids_and_classes(name):
    tracker = PerClassTracker(lambda: create_tracker(name, 30))
    seen = {}
    for detections, classes in crossing():
        for track in tracker.update(detections, None, classes):
            seen.setdefault(track.track_id, set()).add(track.cls)
            # each track stays on the box of its own class
            row = detections[classes == track.cls][0]
            assert np.abs(track.tlbr - row[:4]).max() < 15
    assert len(seen) == 2 and sorted(c for cs in seen.values() for c in cs) == [0, 2]
    assert all(len(cs) == 1 for cs in seen.values())     # no track ever changes class


@pytest.mark.parametrize("name", ["hybrid", "fairmot"])
def test_each_class_is_tracked_as_in_a_run_of_its_own(name):
    rng = np.random.default_rng(0)
    frames = []
    for f in range(60):
        n = 6
        boxes = np.c_[rng.uniform(0, 600, (n, 2)), np.zeros((n, 2)), rng.uniform(0.3, 1, n)]
        walk = np.array([[50 + 90 * i + 2 * f, 100 + 30 * (i % 3)] for i in range(n)])
        boxes[:, :2] = walk + rng.normal(0, 1, (n, 2))
        boxes[:, 2:4] = boxes[:, :2] + [40, 90]
        frames.append((boxes, np.array([0, 1] * 3)))
    together = PerClassTracker(lambda: create_tracker(name, 30))
    alone = {c: create_tracker(name, 30) for c in (0, 1)}
    ids = set()
    for boxes, classes in frames:
        out = together.update(boxes, None, classes)
        ids.update((t.track_id, t.cls) for t in out)
        for c in (0, 1):
            expected = alone[c].update(boxes[classes == c], None)
            got = [t for t in out if t.cls == c]
            assert len(got) == len(expected)
            for g, e in zip(got, expected):
                np.testing.assert_array_equal(g.tlwh, e.tlwh)
    assert len({i for i, _ in ids}) == len(ids) > 0          # ids unique across classes


def test_bad_input():
    tracker = PerClassTracker(lambda: create_tracker("hybrid", 30))
    with pytest.raises(ValueError, match="2 classes for 1 detections"):
        tracker.update(np.zeros((1, 5)), None, np.array([0, 1]))
    with pytest.raises(ValueError, match="has no option"):
        PerClassTracker(lambda: create_tracker("hybrid", 30, nonsense=1))


@pytest.mark.parametrize("name", ["hybrid", "fairmot"])
def test_a_tracker_of_one_class_refuses_several_and_per_class_takes_them(name):
    from fairmot.errors import UserError
    detections, classes = next(crossing())
    plain = create_tracker(name, 30)
    with pytest.raises(UserError, match="detections of 2 classes.*per_class=True"):
        plain.update(detections, None, classes)
    # one class given as an array is the same as none
    same = [t.tlwh.tolist() for t in create_tracker(name, 30).update(detections, None, np.array([5, 5]))]
    assert same == [t.tlwh.tolist() for t in create_tracker(name, 30).update(detections, None)]
    per_class = create_tracker(name, 30, per_class=True)
    assert isinstance(per_class, PerClassTracker) and per_class.min_score == plain.min_score
    assert len(per_class.update(detections, None, classes)) == 2
