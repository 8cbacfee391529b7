"""OpenVINO export: the network and its decoding as an OpenVINO IR (``NAME.xml`` + ``NAME.bin``).

The same model as the ONNX export (:mod:`.onnx`): ``images`` (N, 3, H, W) float32 RGB / 255,
letterboxed -> ``scores`` (N, K), ``boxes`` (N, K, 4), ``embeddings`` (N, K, D), and the same
metadata, kept in the model's rt_info under ``fairmot``. It is converted with OpenVINO's own
PyTorch frontend; each :class:`~fairmot.models.deform_conv.DCN` becomes OpenVINO's native
DeformableConvolution (opset 8, with the modulation mask, ``bilinear_interpolation_pad``, which
samples as our ``deform_conv2d`` does) through a module extension, not the GridSample form the
ONNX export needs. ``pip install 'fairmot[openvino]'``.
"""
from __future__ import annotations

import contextlib
import functools
import os
import tempfile
import warnings
from typing import List, Optional, Tuple

import numpy as np
import torch

from fairmot.errors import UserError
from fairmot.inference.decoding import DOWN_RATIO
from fairmot.models.deform_conv import DCN, deform_conv2d

from .onnx import ExportableDetector, model_metadata, output_names
from .runtime import (
    INPUT_NAME,
    OPENVINO_RT_INFO_KEY,
    import_openvino,
    read_openvino_metadata,  # noqa: F401  (part of this module's API)
)
from .runtime import openvino_bin_path as bin_path


def decline_openvino_telemetry() -> None:
    """Keep OpenVINO's converter and NNCF from sending usage data (they do unless opted out).

    Both ask ``openvino_telemetry`` for consent, which counts a missing consent file as yes and
    then posts from a forked process; offline that child dies with a traceback on the user's
    terminal. Declining here, for this process, is what ``opt_in_out --opt_out`` does without
    writing to the user's home.
    """
    try:
        from openvino_telemetry.utils.opt_in_checker import ConsentCheckResult, OptInChecker
    except ImportError:   # no telemetry package: nothing is sent
        return
    OptInChecker.check = lambda self, *args, **kwargs: ConsentCheckResult.DECLINED


def _dcn_op_name(module: DCN) -> str:
    """One extension op per geometry: the converter reads stride, padding, dilation from the name."""
    return "fairmot::dcn_" + "_".join(f"{a}x{b}" for a, b in (module.stride, module.padding, module.dilation))


def _dcn_geometry(op_name: str) -> List[List[int]]:
    return [[int(v) for v in part.split("x")] for part in op_name.rsplit("::dcn_", 1)[1].split("_")]


def _dcn_call(module, target_op, x):
    """What the traced graph holds in a DCN's place: its offset/mask convolution, then the op."""
    o1, o2, m = torch.chunk(module.conv_offset_mask(x), 3, dim=1)
    return target_op(x, torch.cat((o1, o2), dim=1), torch.sigmoid(m), module.weight, module.bias)


def _dcn_evaluate(module, x, offset, mask, weight, bias):
    """What tracing runs for the op (its result is not part of the graph)."""
    return deform_conv2d(x, offset, mask, weight, bias, module.stride, module.padding, module.dilation)


def _dcn_to_openvino(context, geometry):
    """The op as DeformableConvolution (opset 8) + bias; ``geometry``: stride, padding, dilation."""
    import openvino.opset8 as ops8
    import openvino.opset13 as ops
    stride, padding, dilation = geometry
    x, offset, mask, weight, bias = (context.get_input(i) for i in range(5))
    y = ops8.deformable_convolution(x, offset, weight, strides=stride, pads_begin=padding, pads_end=padding,
                                    dilations=dilation, mask=mask, group=1, deformable_group=1,
                                    bilinear_interpolation_pad=True)
    bias = ops.reshape(bias, ops.constant(np.array([1, -1, 1, 1], np.int64)), special_zero=False)
    return [ops.add(y, bias).output(0)]


def dcn_extensions(model: torch.nn.Module) -> list:
    """OpenVINO frontend extensions that turn every DCN of ``model`` into a DeformableConvolution.

    The module extension keeps the offset/mask convolution in the traced graph and replaces the
    sampling with one extension op (inputs x, offset, mask, weight, bias); the conversion
    extension writes that op as DeformableConvolution + bias.
    """
    from openvino.frontend.pytorch import ConversionExtension, ModuleExtension

    names = sorted({_dcn_op_name(m) for m in model.modules() if isinstance(m, DCN)})
    extensions = []
    for name in names:
        extensions.append(ModuleExtension(DCN, name, convert=_dcn_call, evaluate=_dcn_evaluate,
                                          condition=lambda module, name=name: _dcn_op_name(module) == name))
        extensions.append(ConversionExtension(name, functools.partial(_dcn_to_openvino, geometry=_dcn_geometry(name))))
    return extensions


def convert_to_openvino(model: torch.nn.Module, input_size: Tuple[int, int] = (1088, 608), K: int = 500):
    """``model`` (a FairMOT network) with decoding as an ``openvino.Model`` with fixed input
    ``images`` (1, 3, H, W), outputs ``scores``, ``boxes``, ``embeddings`` (and ``classes`` for
    several classes) and the export metadata
    in its rt_info."""
    ov = import_openvino()
    decline_openvino_telemetry()
    width, height = input_size
    K = min(K, (width // DOWN_RATIO) * (height // DOWN_RATIO))  # as decode: no more peaks than map cells
    detector = ExportableDetector(model.eval(), K=K).eval()
    images = torch.rand(1, 3, height, width, generator=torch.Generator().manual_seed(0))
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", torch.jit.TracerWarning)   # shape checks that hold for this size
        warnings.simplefilter("ignore", DeprecationWarning)        # the frontend traces with torch.jit
        ov_model = ov.convert_model(detector, example_input=images, input=[(INPUT_NAME, [1, 3, height, width])],
                                    extension=dcn_extensions(model) or None)  # an empty list is an error there
    ov_model.inputs[0].get_tensor().set_names({INPUT_NAME})
    for output, name in zip(ov_model.outputs, output_names(model)):
        output.get_tensor().set_names({name})
    metadata = model_metadata(detector, input_size, opset=0)
    metadata.pop("opset")
    metadata["format"] = "OpenVINO IR"
    for key, value in metadata.items():
        ov_model.set_rt_info(value, [OPENVINO_RT_INFO_KEY, key])
    deformable = sum(op.get_type_name() == "DeformableConvolution" for op in ov_model.get_ops())
    expected = sum(isinstance(m, DCN) for m in model.modules())
    if deformable != expected:   # a frontend change would silently fall back to another form
        raise UserError(f"OpenVINO conversion produced {deformable} DeformableConvolution nodes for {expected} "
                        "deformable layers; please report this with your openvino version")
    return ov_model


def save_openvino(ov_model, xml_path: str) -> None:
    """Write ``NAME.xml`` + ``NAME.bin`` whole: both are written in a temporary folder beside the
    target and renamed into place, the weights first; a failure while writing (a full disk,
    Ctrl-C) leaves the target files as they were and no temporary ones."""
    ov = import_openvino()
    folder = os.path.dirname(os.path.abspath(xml_path))
    staging = tempfile.mkdtemp(dir=folder, prefix=f".{os.path.basename(xml_path)}.")
    try:
        staged_xml = os.path.join(staging, "model.xml")
        ov.save_model(ov_model, staged_xml, compress_to_fp16=False)
        os.replace(bin_path(staged_xml), bin_path(xml_path))
        os.replace(staged_xml, xml_path)
    finally:
        for name in ("model.xml", "model.bin"):
            with contextlib.suppress(OSError):
                os.remove(os.path.join(staging, name))
        with contextlib.suppress(OSError):
            os.rmdir(staging)


def quantize_int8(ov_model, blobs: List[np.ndarray], keep_heads: bool = True,
                  fast_bias_correction: Optional[bool] = True):
    """Post-training int8 quantization with NNCF on calibration inputs ``blobs``.

    The heads' last convolutions (whose outputs are the scores, box sizes and embeddings) and
    everything after them (the decoding) stay in float32 when ``keep_heads``; OpenVINO runs the
    deformable convolutions in float32 (NNCF leaves them, their sampling needs it).

    NNCF's "mixed" preset: weights symmetric, activations asymmetric. The activations after the
    upsampling layers and in the heads are far from zero-centred; with symmetric activations (the
    "performance" preset) the PETS recipe model lost 2.1 AP50 points, with asymmetric ones 0.9,
    for 7% more time (scripts/bench_backend_accuracy.py, README).
    """
    decline_openvino_telemetry()   # before nncf's import, which asks for consent
    try:
        import nncf
    except ImportError:
        raise UserError("nncf is not installed: pip install 'fairmot[openvino]'") from None
    import logging
    nncf.set_log_level(logging.WARNING)   # not a line per layer it leaves in float
    ignored = None
    if keep_heads:   # each head is conv 3x3 (0), ReLU (1), conv 1x1 (2): the 1x1 gives the outputs
        ignored = nncf.IgnoredScope(patterns=[r".*model\.(hm|wh|reg|id)\.2/.*"], validate=False)
    dataset = nncf.Dataset(blobs)
    return nncf.quantize(ov_model, dataset, subset_size=len(blobs), ignored_scope=ignored,
                         preset=nncf.QuantizationPreset.MIXED, fast_bias_correction=fast_bias_correction)
