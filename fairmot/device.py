"""The one device resolver: ``auto | cpu | cuda | cuda:N`` for every backend and the trainer.

:func:`parse_device` checks the text without importing torch; :func:`resolve_device` turns it into
a ``torch.device`` that always carries an index for CUDA (``torch.cuda.set_device`` needs one);
:func:`onnx_providers` turns it into onnxruntime execution providers.
"""
from __future__ import annotations

from typing import NamedTuple, Optional, Sequence

from fairmot.errors import UserError

DEVICE_CHOICES = "auto, cpu, cuda or cuda:N"


class DeviceSpec(NamedTuple):
    """A parsed device: kind "auto", "cpu" or "cuda", and the CUDA index (None: not given)."""
    kind: str
    index: Optional[int] = None


def parse_device(text: object = "auto") -> DeviceSpec:
    """``"auto"``/None, ``"cpu"``, ``"cuda"``, ``"cuda:N"`` (or a ``torch.device``) -> DeviceSpec."""
    if text is None:
        return DeviceSpec("auto")
    value = str(text).strip().lower()
    kind, sep, index = value.partition(":")
    if kind in ("auto", "cpu") and not sep:
        return DeviceSpec(kind)
    if kind == "cuda":
        if not sep:
            return DeviceSpec("cuda")
        if index.isdigit():
            return DeviceSpec("cuda", int(index))
    raise UserError(f"device {text!r} is not a device: use {DEVICE_CHOICES}")


def resolve_device(text: object = "auto", cuda_count: Optional[int] = None):
    """The ``torch.device`` to run on; CUDA devices always carry their index.

    auto: the first GPU if torch sees one, else the CPU. cuda: GPU 0. A GPU that does not exist
    is a :class:`UserError` naming what there is. ``cuda_count`` overrides torch's count (tests).
    """
    import torch

    spec = parse_device(text)
    if spec.kind == "cpu":
        return torch.device("cpu")
    count = _cuda_count() if cuda_count is None else cuda_count
    if spec.kind == "auto":
        return torch.device("cuda", 0) if count > 0 else torch.device("cpu")
    if count == 0:
        raise UserError(f"device {text!r} asked for, but this torch build sees no CUDA GPU; use cpu")
    index = 0 if spec.index is None else spec.index
    if index >= count:
        raise UserError(f"device {text!r} asked for, but there {'is' if count == 1 else 'are'} only "
                        f"{count} GPU{'' if count == 1 else 's'} (cuda:0 to cuda:{count - 1})")
    return torch.device("cuda", index)


def _cuda_count() -> int:
    import torch
    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def onnx_providers(text: object = "auto", available: Optional[Sequence[str]] = None) -> list:
    """onnxruntime execution providers for a device (with provider options for cuda:N).

    auto: CUDA first when onnxruntime has it, then the CPU. cuda without a CUDA-enabled
    onnxruntime is a :class:`UserError`, as the torch backend does for a missing GPU.
    """
    spec = parse_device(text)
    if available is None:
        import onnxruntime
        available = onnxruntime.get_available_providers()
    has_cuda = "CUDAExecutionProvider" in available
    if spec.kind == "cpu":
        return ["CPUExecutionProvider"]
    if spec.kind == "auto":
        return (["CUDAExecutionProvider"] if has_cuda else []) + ["CPUExecutionProvider"]
    if not has_cuda:
        raise UserError(f"device {text!r} asked for, but this onnxruntime has no CUDA support "
                        "(pip install onnxruntime-gpu); use cpu")
    return [("CUDAExecutionProvider", {"device_id": spec.index or 0})]
