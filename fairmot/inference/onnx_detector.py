"""``OnnxDetector``: :class:`~fairmot.inference.torch_detector.Detector`'s interface on a model
from ``fairmot export``.

The exported graph already contains the decoding (peaks, top-K, boxes, normalised embeddings), so
this only letterboxes the frame, runs onnxruntime, thresholds the scores and maps boxes back.
onnxruntime is imported when a detector is created: ``pip install 'fairmot[onnx]'``.
"""
from __future__ import annotations

import os
from typing import Optional, Sequence, Tuple, Union

import numpy as np

from fairmot.export.runtime import (
    CLASS_OUTPUT,
    INPUT_NAME,
    OUTPUT_NAMES,
    check_exported_size,
    ort_session,
    read_metadata,
)

from .detector import BaseDetector


class OnnxDetector(BaseDetector):
    """FairMOT detection + embedding for single frames with onnxruntime.

    Args:
        path: an ONNX model written by ``fairmot export``.
        input_size: None to use the size the model was exported for (its metadata); a given
            (width, height) or "WxH" must equal it.
        conf_thres: keep detections with score > conf_thres.
        providers: onnxruntime execution providers (default CUDA if available, else CPU); see
            :func:`fairmot.device.onnx_providers` to get them from a device name.
        threads: onnxruntime intra-op threads (default: one per physical core).

    ``timings``' "network" is the whole graph, peak extraction included; "decode" is the
    threshold and the letterbox mapping.
    """

    # onnxruntime's intra-op threads spin between runs; a reader thread beside them cost more than
    # it hid (resdcn_18_w32 int8 at 576x320 on 2 cores: 38.4 frames/s with read-ahead, 51.9 without)
    read_ahead = False

    def __init__(self, path: Union[str, os.PathLike], input_size: Union[None, str, Tuple[int, int]] = None,
                 conf_thres: float = 0.4, providers: Optional[Sequence] = None, threads: Optional[int] = None):
        self.session = ort_session(path, providers, threads)
        self.metadata = read_metadata(self.session)
        super().__init__(self.metadata["input_size"], conf_thres)
        check_exported_size(path, self.input_size, input_size)
        self.heads = self.metadata["heads"]
        self.class_table = self.metadata["class_table"]
        self._multi_class = len(self.class_table) > 1
        self.K = int(self.metadata["topk"])
        self._output_names = list(OUTPUT_NAMES) + ([CLASS_OUTPUT] if self._multi_class else [])

    @property
    def providers(self):
        return self.session.get_providers()

    def forward(self, blob: np.ndarray):
        return self.session.run(self._output_names, {INPUT_NAME: blob[None]})

    def candidates(self, outputs) -> Tuple[np.ndarray, np.ndarray, Optional[np.ndarray]]:
        scores, boxes, embeddings = outputs[:3]
        classes = outputs[3][0] if self._multi_class else None
        return np.concatenate([boxes[0], scores[0][:, None]], axis=1), embeddings[0], classes
