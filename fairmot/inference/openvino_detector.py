"""``OpenVinoDetector``: :class:`~fairmot.inference.torch_detector.Detector`'s interface on an
OpenVINO IR from ``fairmot export --format openvino`` (float32 or int8).

The graph holds the decoding, so this letterboxes the frame, runs OpenVINO on the CPU, thresholds
the scores and maps boxes back, as :class:`~fairmot.inference.onnx_detector.OnnxDetector` does.
The model is compiled to take the letterboxed uint8 BGR image itself: OpenVINO's pre-processing
(BGR -> RGB, / 255, HWC -> CHW) runs inside the compiled graph, fused and on every core, where in
NumPy it took as long as the letterbox. The IR on disk keeps the ONNX export's float input.
"""
from __future__ import annotations

import os
from typing import Optional, Tuple, Union

import numpy as np

from fairmot.errors import UserError
from fairmot.export.runtime import (
    CLASS_OUTPUT,
    INPUT_NAME,
    OUTPUT_NAMES,
    check_exported_size,
    import_openvino,
    read_openvino_metadata,
)
from fairmot.export.runtime import openvino_bin_path as bin_path

from .detector import BaseDetector, check_frame
from .preprocess import Letterbox, letterbox_frame


def compile_config(threads: Optional[int] = None, streams: Optional[int] = None,
                   hint: str = "LATENCY") -> dict:
    """OpenVINO CPU settings: one frame at a time as fast as possible (latency hint: one stream
    over all cores) unless ``threads`` / ``streams`` say otherwise; float32 inference (OpenVINO
    would otherwise pick bf16/f16 on CPUs that have it, and the tracker's boxes would move)."""
    config = {"PERFORMANCE_HINT": hint, "INFERENCE_PRECISION_HINT": "f32"}
    if threads:
        config["INFERENCE_NUM_THREADS"] = int(threads)
    if streams:
        config["NUM_STREAMS"] = int(streams)
    return config


def uint8_bgr_input(ov, model):
    """``model`` (input (1, 3, H, W) float32 RGB / 255) taking a (1, H, W, 3) uint8 BGR image instead;
    the conversion becomes part of the graph (the same float32 values as :func:`frame_to_input`)."""
    from openvino.preprocess import ColorFormat, PrePostProcessor
    ppp = PrePostProcessor(model)
    image = ppp.input(INPUT_NAME)
    image.tensor().set_element_type(ov.Type.u8).set_layout(ov.Layout("NHWC")).set_color_format(ColorFormat.BGR)
    image.model().set_layout(ov.Layout("NCHW"))
    image.preprocess().convert_element_type(ov.Type.f32).convert_color(ColorFormat.RGB).scale(255.0)
    return ppp.build()


class OpenVinoDetector(BaseDetector):
    """FairMOT detection + embedding for single frames with OpenVINO.

    Args:
        path: ``NAME.xml`` written by ``fairmot export --format openvino`` (its ``NAME.bin`` beside it).
        input_size: None to use the size the model was exported for; a given size must equal it.
        conf_thres: keep detections with score > conf_thres.
        device: OpenVINO device name (default "CPU").
        threads, streams: OpenVINO CPU threads and streams (default: the latency hint's choice,
            all physical cores in one stream).
    """

    def __init__(self, path: Union[str, os.PathLike], input_size: Union[None, str, Tuple[int, int]] = None,
                 conf_thres: float = 0.4, device: str = "CPU", threads: Optional[int] = None,
                 streams: Optional[int] = None):
        ov = import_openvino()
        path = os.fspath(path)
        if not os.path.isfile(path):
            raise UserError(f"OpenVINO model {path!r} not found")
        if not os.path.isfile(bin_path(path)):
            raise UserError(f"{path} has no weights file {bin_path(path)!r} beside it: copy both files")
        core = ov.Core()
        try:
            model = core.read_model(path)
        except Exception as err:  # OpenVINO raises RuntimeError with a long message
            first_line = (str(err).strip().splitlines() or [type(err).__name__])[0]
            raise UserError(f"OpenVINO cannot read {path!r}: {first_line[:200]}") from None
        self.metadata = read_openvino_metadata(model)
        super().__init__(self.metadata["input_size"], conf_thres)
        check_exported_size(path, self.input_size, input_size, "--format openvino ")
        self.heads = self.metadata["heads"]
        self.class_table = self.metadata["class_table"]
        self._multi_class = len(self.class_table) > 1
        self.K = int(self.metadata["topk"])
        self.compiled = core.compile_model(uint8_bgr_input(ov, model), device, compile_config(threads, streams))
        self.request = self.compiled.create_infer_request()
        names = OUTPUT_NAMES + ((CLASS_OUTPUT,) if self._multi_class else ())
        self._outputs = [self.compiled.output(name) for name in names]

    def prepare(self, frame_bgr: np.ndarray) -> Tuple[np.ndarray, Letterbox]:
        """The letterboxed uint8 BGR frame (H, W, 3): the compiled model converts it itself."""
        check_frame(frame_bgr)
        return letterbox_frame(frame_bgr, *self.input_size)

    def forward(self, blob: np.ndarray):
        results = self.request.infer({INPUT_NAME: blob[None]})
        return [results[output] for output in self._outputs]

    def candidates(self, outputs) -> Tuple[np.ndarray, np.ndarray, Optional[np.ndarray]]:
        scores, boxes, embeddings = outputs[:3]
        classes = outputs[3][0] if self._multi_class else None
        return np.concatenate([boxes[0], scores[0][:, None]], axis=1), embeddings[0], classes
