"""int8 for onnxruntime: static post-training quantization of an exported model (QDQ format).

``onnxruntime.quantization`` inserts QuantizeLinear/DequantizeLinear pairs around the
convolutions, with ranges measured on real calibration frames; onnxruntime then runs those
convolutions in int8 (u8 activations x s8 weights, per output channel: the form its x86 kernels,
VNNI included, are fastest in). The deformable convolutions' sampling (GridSample) and the
decoding stay float32, as do the convolutions listed in :data:`FLOAT_CONVOLUTIONS`.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from typing import List

import numpy as np

from fairmot.errors import UserError
from fairmot.utils.atomic import atomic_save

from .runtime import INPUT_NAME, import_onnx_packages

# convolutions that stay float32: the heads' last ones, whose outputs are the scores, box sizes
# and embeddings themselves, and those that predict the deformable convolutions' offsets, where
# a rounding error moves where the layer samples
FLOAT_CONVOLUTIONS = (r"/model/(hm|wh|reg|id)/[^/]*\.2/Conv$", r"conv_offset_mask/Conv$")


def float_convolutions(model_proto, patterns=FLOAT_CONVOLUTIONS) -> List[str]:
    """Names of the Conv nodes of ``model_proto`` that :func:`quantize_onnx_int8` leaves in float32."""
    return [node.name for node in model_proto.graph.node
            if node.op_type == "Conv" and any(re.search(p, node.name) for p in patterns)]


def quantize_onnx_int8(fp32_path: str, path: str, blobs: List[np.ndarray]) -> None:
    """Write ``path``: the float32 ONNX model ``fp32_path`` (from :func:`fairmot.export.onnx.export_onnx`)
    with its convolutions in int8, calibrated on ``blobs`` ((1, 3, H, W) network inputs, see
    :func:`fairmot.export.calibration.calibration_blobs`). The metadata is kept, with
    ``precision`` int8. Written as a whole: a failure leaves nothing at ``path``."""
    onnx, _ = import_onnx_packages("onnx", "onnxruntime")
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Frames(CalibrationDataReader):
        def __init__(self):
            self._blobs = iter(blobs)

        def get_next(self):
            blob = next(self._blobs, None)
            return None if blob is None else {INPUT_NAME: blob}

    source = onnx.load(fp32_path)
    metadata = {p.key: p.value for p in source.metadata_props}
    work = tempfile.mkdtemp(dir=os.path.dirname(os.path.abspath(path)), prefix=".quantize.")
    try:
        prepared, quantized = os.path.join(work, "prepared.onnx"), os.path.join(work, "int8.onnx")
        # shape inference and graph clean-up, as onnxruntime asks for before quantizing
        quant_pre_process(fp32_path, prepared, skip_symbolic_shape=True)
        quantize_static(prepared, quantized, Frames(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        op_types_to_quantize=["Conv", "ConvTranspose"],
                        nodes_to_exclude=float_convolutions(onnx.load(prepared)))
        proto = onnx.load(quantized)
        del proto.metadata_props[:]
        for key, value in {**metadata, "precision": "int8"}.items():
            proto.metadata_props.add(key=key, value=value)
        atomic_save(path, lambda tmp: onnx.save(proto, tmp))
    except OSError as err:
        raise UserError(f"cannot write {path}: {err.strerror or err}") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
