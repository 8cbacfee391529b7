"""The distillation losses on hand-made maps: zero when the student equals the teacher, gradients
only where the teacher sees objects, peaks moved correctly between grids, class routing."""
import pytest
import torch

from fairmot.distillation.losses import (
    HEATMAP_LOSSES,
    MIN_SCORE,
    distillation_terms,
    heatmap_term,
    teacher_targets,
    top_peaks,
)
from fairmot.distillation.teachers import route_channels
from fairmot.errors import UserError

H, W = 16, 20
PEAKS = [(3, 4, 0.9), (10, 15, 0.6), (7, 9, 0.3)]   # (row, col, score)


def _logit(p):
    return float(torch.logit(torch.tensor(p)))


def teacher_outputs(h=H, w=W, channels=1, emb_dim=8, peaks=PEAKS, seed=0):
    """Background at logit -10 (score 4.5e-5: no object); a few peaks with their scores."""
    g = torch.Generator().manual_seed(seed)
    hm = torch.full((1, channels, h, w), -10.0)
    for r, c, score in peaks:
        hm[0, 0, r, c] = _logit(score)
    return {"hm": hm, "wh": 5 + 10 * torch.rand(1, 4, h, w, generator=g),
            "reg": torch.rand(1, 2, h, w, generator=g), "id": torch.randn(1, emb_dim, h, w, generator=g)}


def student_like(outputs, seed=None):
    if seed is None:
        return {k: v.clone().requires_grad_(True) for k, v in outputs.items()}
    g = torch.Generator().manual_seed(seed)
    return {k: torch.randn(v.shape, generator=g).requires_grad_(True) for k, v in outputs.items()}


@pytest.mark.parametrize("heatmap_loss", HEATMAP_LOSSES)
def test_every_term_is_zero_when_the_student_equals_the_teacher(heatmap_loss):
    teacher = teacher_outputs()
    target = teacher_targets(teacher, [0], [0], (H, W), wh_channels=4)
    terms = distillation_terms(student_like(teacher), [target], heatmap_loss)
    assert set(terms) == {"kd_hm", "kd_wh", "kd_off", "kd_id"}
    for name, (total, count) in terms.items():
        assert count > 0, name
        assert abs(total.item()) < 1e-5, name
    # the peaks are the teacher's three, with its scores as weights; the rest weigh nothing
    assert sorted(target.weight[target.weight > 0].tolist()) == pytest.approx([0.3, 0.6, 0.9])
    assert terms["kd_id"][1].item() == pytest.approx(1.8)
    assert terms["kd_wh"][1].item() == pytest.approx(1.8 * 4)


def _fit_heatmap(heatmap_loss, steps):
    """A free student heatmap (one logit a pixel, all at the usual prior 0.01) fitted to the
    teacher's by plain gradient descent: the scores it then gives at the teacher's three peaks."""
    teacher = teacher_outputs()
    target = teacher_targets(teacher, [0], [0], (H, W), wh_channels=4)
    logits = torch.full((1, 1, H, W), _logit(0.01), requires_grad=True)
    optimizer = torch.optim.SGD([logits], lr=1.0)
    for _ in range(steps):
        optimizer.zero_grad()
        total, count = heatmap_term(logits, target, heatmap_loss)
        (total / count).backward()
        optimizer.step()
    return [torch.sigmoid(logits[0, 0, r, c]).item() for r, c, _ in PEAKS]


def test_the_kl_heatmap_loss_learns_faint_teacher_peaks_the_squared_difference_leaves_low():
    # the squared difference's gradient carries the sigmoid's slope s(1-s): at s = 0.01 a peak
    # the teacher scores 0.3 hardly pulls; the KL divergence pulls it as hard as its gap
    mse = _fit_heatmap("mse", 100)
    kl = _fit_heatmap("kl", 100)
    assert max(mse) < 0.05                       # 0.9, 0.6, 0.3 peaks: all still near the prior
    assert kl == pytest.approx([0.9, 0.6, 0.3], abs=0.02)   # the teacher's heights, faint one too


def test_an_unknown_heatmap_loss_is_refused():
    teacher = teacher_outputs()
    target = teacher_targets(teacher, [0], [0], (H, W), wh_channels=4)
    with pytest.raises(ValueError, match="mse, kl"):
        heatmap_term(teacher["hm"], target, "focal")


def test_relation_loss_is_zero_for_embeddings_of_another_size_related_by_a_rotation():
    teacher = teacher_outputs(emb_dim=12)
    student = student_like(teacher)
    q, _ = torch.linalg.qr(torch.randn(12, 12, generator=torch.Generator().manual_seed(1)))
    # an 8-d student whose embeddings are the teacher's rotated and cut: not the same vectors,
    # not the same size, yet the same similarities between them
    rotated = torch.einsum("ij,njhw->nihw", q, teacher["id"])
    teacher["id"] = torch.cat([rotated, torch.zeros(1, 4, H, W)], dim=1)   # 16-d, zero-padded
    student["id"] = rotated[:, :12].clone().requires_grad_(True)
    target = teacher_targets(teacher, [0], [0], (H, W), wh_channels=4)
    total, count = distillation_terms(student, [target])["kd_id"]
    assert count.item() == pytest.approx(sum(a * b for _, _, a in PEAKS for _, _, b in PEAKS))
    assert total.item() < 1e-9
    # and a student that relates them otherwise is penalised
    student["id"] = torch.randn(1, 12, H, W).requires_grad_(True)
    assert distillation_terms(student, [target])["kd_id"][0].item() > 0.05


def test_size_offset_and_embedding_terms_have_gradients_only_at_the_teachers_objects():
    teacher = teacher_outputs()
    student = student_like(teacher, seed=5)
    target = teacher_targets(teacher, [0], [0], (H, W), wh_channels=4)
    terms = distillation_terms(student, [target])
    (terms["kd_wh"][0] + terms["kd_off"][0] + terms["kd_id"][0]).backward()
    expected = torch.zeros(H, W, dtype=torch.bool)
    for r, c, _ in PEAKS:
        expected[r, c] = True
    for head in ("wh", "reg", "id"):
        where = student[head].grad[0].abs().sum(0) > 0
        assert torch.equal(where, expected), head
    assert student["hm"].grad is None   # the weighted terms never touch the heatmap
    # the heatmap term is dense: the student learns the teacher's background too
    terms["kd_hm"][0].backward()
    assert (student["hm"].grad[0, 0].abs() > 0).all()


def test_a_peak_below_the_minimum_score_weighs_nothing():
    teacher = teacher_outputs(peaks=[(3, 4, 0.9), (8, 8, MIN_SCORE / 2)])
    _, weight = top_peaks(torch.sigmoid(teacher["hm"]))
    assert (weight > 0).sum().item() == 1 and weight.max().item() == pytest.approx(0.9)


def test_a_teacher_on_a_finer_grid_moves_its_peaks_to_the_student_pixel_their_centre_falls_in():
    teacher = teacher_outputs(h=2 * H, w=2 * W, peaks=[(6, 10, 0.8)])
    teacher["reg"][0, :, 6, 10] = torch.tensor([0.5, 0.25])
    teacher["wh"][0, :, 6, 10] = torch.tensor([8.0, 6.0, 4.0, 2.0])
    target = teacher_targets(teacher, [0], [0], (H, W), wh_channels=4)
    k = int(target.weight.argmax())
    # centre (10.5, 6.25) on the teacher's grid = (5.25, 3.125) on the student's
    assert int(target.ind[0, k]) == 3 * W + 5
    assert target.reg[0, k].tolist() == pytest.approx([0.25, 0.125])
    assert target.wh[0, k].tolist() == pytest.approx([4.0, 3.0, 2.0, 1.0])
    # the heatmap keeps its peak's height on the coarser grid
    assert target.prob.shape == (1, 1, H, W) and target.prob.max().item() == pytest.approx(0.8)
    # a 2-value (w, h) student gets the box's width and height
    wh2 = teacher_targets(teacher, [0], [0], (H, W), wh_channels=2).wh[0, k].tolist()
    assert wh2 == pytest.approx([6.0, 4.0])


def test_each_teacher_teaches_only_its_own_classes_channels():
    # student: person, car; the person teacher's peaks at PEAKS, the car teacher's elsewhere
    person = teacher_outputs()
    car = teacher_outputs(peaks=[(12, 3, 0.7)], seed=1)
    student = student_like({**person, "hm": torch.zeros(1, 2, H, W)}, seed=2)
    routes = {"person": route_channels(["person"], None, ["person", "car"], "p.pth"),
              "car": route_channels(["person"], ["car"], ["person", "car"], "c.pth")}
    assert routes["person"] == ([0], [0], ["person"]) and routes["car"] == ([0], [1], ["car"])
    targets = [teacher_targets(out, t_ch, s_ch, (H, W), 4)
               for out, (t_ch, s_ch, _) in ((person, routes["person"]), (car, routes["car"]))]
    total, count = distillation_terms(student, targets[:1])["kd_hm"]
    total.backward()
    grad = student["hm"].grad[0]
    assert (grad[0].abs() > 0).all() and (grad[1] == 0).all()   # the car channel is not the person teacher's
    student["hm"].grad = None
    distillation_terms(student, targets[1:])["kd_hm"][0].backward()
    grad = student["hm"].grad[0]
    assert (grad[0] == 0).all() and (grad[1].abs() > 0).all()
    # both: the sums and counts of the two teachers add up
    both = distillation_terms(student, targets)
    one = [distillation_terms(student, [t]) for t in targets]
    for name in ("kd_hm", "kd_wh", "kd_id"):
        assert both[name][0].item() == pytest.approx(one[0][name][0].item() + one[1][name][0].item())
        assert both[name][1].item() == pytest.approx(one[0][name][1].item() + one[1][name][1].item())


def test_routing_refuses_classes_a_teacher_cannot_teach():
    with pytest.raises(UserError, match="none of the student's"):
        route_channels(["car"], None, ["person"], "car.pth")
    with pytest.raises(UserError, match="student has no class bicycle"):
        route_channels(["person"], ["bicycle"], ["person", "car"], "p.pth")
    with pytest.raises(UserError, match="it has no class truck"):
        route_channels(["person", "car"], ["truck"], ["person", "car", "truck"], "pc.pth")
    # a two-class teacher teaching one of its classes by name
    assert route_channels(["person", "car"], ["car"], ["car"], "pc.pth") == ([1], [0], ["car"])


def test_the_students_classes_keep_the_numbers_of_their_data_then_teachers_then_standard_ones():
    from types import SimpleNamespace

    from fairmot.datasets.classes import ClassTable
    from fairmot.distillation.distiller import student_classes

    def classes(data_tables, teachers, order=None):
        table = student_classes(SimpleNamespace(classes=order), data_tables, teachers)
        return dict(zip(table.names, table.numbers))
    # a person teacher (MOT17 number 1) and a car teacher whose data numbered cars 3: eval --per-class
    # matches column 8 of ground truth numbered the same way (the student once said car = 2)
    assert classes([], [[("person", 1)], [("car", 3)]], order=["person", "car"]) == {"person": 1, "car": 3}
    # a teacher's own number for its class; a renamed one-class teacher (person.pth:car) gives none,
    # so the class's standard number is used (MOT17's, then COCO's), else the first free one
    assert classes([], [[("truck", 7)]]) == {"truck": 7}
    assert classes([], [[("person", 1)], [("car", None)]]) == {"person": 1, "car": 3}
    assert classes([], [[("kite", None)], [("widget", None)]]) == {"kite": 38, "widget": 1}
    # labelled data numbers first; a teacher number already taken yields the next free one
    data = [ClassTable(("person", "bicycle"), (1, 3))]
    assert classes(data, [[("person", 9)], [("car", 3)]]) == {"person": 1, "bicycle": 3, "car": 2}
    # --classes orders them; one no teacher and no data has is refused later (check_coverage)
    assert list(classes([], [[("person", 1)], [("car", 3)]], order=["car", "person"])) == ["car", "person"]
