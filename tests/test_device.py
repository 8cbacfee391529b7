"""The one device resolver (fairmot.device) and the trainer's use of it."""
import pytest
import torch

from fairmot.device import DeviceSpec, onnx_providers, parse_device, resolve_device
from fairmot.errors import UserError
from fairmot.training.distributed import DistInfo
from fairmot.training.trainer import training_device
from support.cli import assert_one_line_error, run_fairmot, run_main


@pytest.mark.parametrize("text, spec", [("auto", DeviceSpec("auto")), (None, DeviceSpec("auto")),
                                        ("cpu", DeviceSpec("cpu")), ("CUDA", DeviceSpec("cuda")),
                                        ("cuda:1", DeviceSpec("cuda", 1)), (torch.device("cpu"), DeviceSpec("cpu"))])
def test_parse_device(text, spec):
    assert parse_device(text) == spec


@pytest.mark.parametrize("text", ["banana", "gpu", "cuda:", "cuda:x", "cpu:0", "cuda:-1", ""])
def test_values_that_are_no_device_are_value_errors(text):
    with pytest.raises(ValueError, match="is not a device: use auto, cpu, cuda or cuda:N"):
        parse_device(text)


def test_cuda_devices_always_carry_an_index():
    assert resolve_device("auto", cuda_count=0) == torch.device("cpu")
    assert resolve_device("auto", cuda_count=2) == torch.device("cuda", 0)
    assert resolve_device("cuda", cuda_count=1).index == 0
    assert resolve_device("cuda:1", cuda_count=2) == torch.device("cuda", 1)
    assert resolve_device("cpu", cuda_count=2) == torch.device("cpu")
    with pytest.raises(UserError, match="sees no CUDA GPU"):
        resolve_device("cuda", cuda_count=0)
    with pytest.raises(UserError, match=r"only 2 GPUs \(cuda:0 to cuda:1\)"):
        resolve_device("cuda:2", cuda_count=2)


@pytest.fixture
def fake_cuda(monkeypatch):
    """torch reports 2 GPUs; set_device records what it is handed (and rejects an index-less
    CUDA device as torch does)."""
    handed = []

    def set_device(device):
        if isinstance(device, torch.device) and device.type == "cuda" and device.index is None:
            raise ValueError("Expected a torch.device with a specified index or an integer")
        handed.append(device)

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "set_device", set_device)
    return handed


@pytest.mark.parametrize("requested", ["cuda", "auto"])
def test_one_process_training_hands_set_device_an_indexed_gpu(fake_cuda, requested):
    assert training_device(requested, DistInfo()) == torch.device("cuda", 0)
    assert fake_cuda == [torch.device("cuda", 0)] and fake_cuda[0].index == 0


def test_torchrun_processes_take_the_gpu_of_their_local_rank(fake_cuda):
    assert training_device("cuda", DistInfo(rank=1, local_rank=1, world_size=2)) == torch.device("cuda", 1)
    assert fake_cuda == [torch.device("cuda", 1)]


def test_cpu_training_touches_no_gpu(fake_cuda):
    assert training_device("cpu", DistInfo()) == torch.device("cpu") and fake_cuda == []


def test_onnx_providers():
    cpu_only, with_cuda = ["CPUExecutionProvider"], ["CUDAExecutionProvider", "CPUExecutionProvider"]
    assert onnx_providers("auto", cpu_only) == ["CPUExecutionProvider"]
    assert onnx_providers("auto", with_cuda) == with_cuda
    assert onnx_providers("cpu", with_cuda) == ["CPUExecutionProvider"]
    assert onnx_providers("cuda:1", with_cuda) == [("CUDAExecutionProvider", {"device_id": 1})]
    with pytest.raises(UserError, match="no CUDA support"):
        onnx_providers("cuda", cpu_only)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the answer on a machine without a GPU")
def test_train_on_cuda_without_a_gpu_is_one_line(tmp_path):
    proc = run_main("train", "--data", tmp_path / "none.json", "--output", tmp_path / "run", "--device", "cuda")
    assert_one_line_error(proc, "device 'cuda' asked for, but this torch build sees no CUDA GPU", command="train")
    assert not (tmp_path / "run").exists()


def test_a_device_that_is_no_device_is_one_line_before_torch_loads(tmp_path):
    for command in (["train", "--data", tmp_path / "d.json", "--output", tmp_path / "o"],
                    ["track", tmp_path, "--weights", tmp_path / "w.pth", "--output", tmp_path / "o"]):
        proc = run_fairmot(*command, "--device", "banana")
        assert_one_line_error(proc, "device 'banana' is not a device", command=command[0])


@pytest.mark.slow
@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the answer on a machine without a GPU")
def test_check_gpu_says_there_is_nothing_to_check_without_cuda():
    import subprocess
    import sys

    from support.data import REPO
    proc = subprocess.run([sys.executable, f"{REPO}/scripts/check_gpu.py"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("no CUDA GPU visible to torch") and proc.stderr == ""


def test_half_precision_needs_a_gpu(tracking_weights):
    from fairmot.inference.torch_detector import Detector
    if torch.cuda.is_available():
        pytest.skip("checks the answer on a machine without a GPU")
    with pytest.raises(UserError, match="half precision .* needs a CUDA device"):
        Detector(tracking_weights, (160, 96), device="auto", half=True)
