"""Our networks against the original FairMOT code, through outputs recorded from it.

tests/models/layouts/original_outputs.json holds, for every architecture, the original code's
head outputs (float64) on a network with random weights and BatchNorm statistics and a random
input (``fidelity_case``): an absolute sum and 16 values spread over each head. It was written by
``scripts/check_model_fidelity.py ORIGINAL_DIR --oracle-dcn --arch all --write-golden ...``, which
runs the original beside ours (the original is not part of this project).
"""
import json
import os

import pytest
import torch

from fairmot.models.random_init import fidelity_case

RECORD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "layouts", "original_outputs.json")
with open(RECORD) as f:
    ORIGINAL = json.load(f)


@pytest.mark.parametrize("arch", sorted(ORIGINAL["archs"]))
def test_outputs_equal_the_originals(arch):
    model, x = fidelity_case(arch)
    assert list(x.shape) == ORIGINAL["input"]
    with torch.no_grad():
        out = model(x)
    want = ORIGINAL["archs"][arch]
    assert sorted(out) == sorted(want)
    for name, record in want.items():
        got = out[name]
        assert list(got.shape) == record["shape"]
        samples = got.flatten()[torch.linspace(0, got.numel() - 1, ORIGINAL["samples"]).long()]
        expected = torch.tensor(record["values"], dtype=torch.float64)
        scale = expected.abs().max()
        assert scale > 0
        assert (samples - expected).abs().max() <= 1e-10 * scale, f"{arch} {name}"
        assert got.abs().sum().item() == pytest.approx(record["abs_sum"], rel=1e-10)


def test_every_registered_architecture_with_an_original_is_recorded():
    from fairmot.models import list_archs
    ours_only = {"resdcn_18_w32", "resdcn_18_w16"}   # slim resdcn_18s of this project: no original
    assert set(list_archs()) - ours_only <= set(ORIGINAL["archs"])
