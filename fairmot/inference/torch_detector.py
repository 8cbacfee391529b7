"""``Detector``: a FairMOT network run with PyTorch, on the CPU or a GPU."""
from __future__ import annotations

import os
from typing import Tuple, Union

import numpy as np
import torch

from fairmot.device import resolve_device
from fairmot.errors import UserError
from fairmot.models import model_classes, model_from_checkpoint

from .decoding import decode
from .detector import BaseDetector

DEFAULT_INPUT_SIZE = (1088, 608)  # FairMOT's


def out_of_memory(input_size, device) -> str:
    return (f"not enough memory for the network at input size {input_size[0]}x{input_size[1]} on {device}: "
            "use a smaller input size (e.g. 864x480 or 576x320)")


class Detector(BaseDetector):
    """FairMOT detection + embedding for single frames with PyTorch.

    Args:
        weights: checkpoint path (architecture and heads read from it) or a built model.
        input_size: network input (width, height) or "WxH"; 1088x608 as the original, 864x480 and
            576x320 trade accuracy for speed. None: the size the checkpoint was trained at (recorded
            by ``fairmot train``), else 1088x608.
        device: "auto", "cpu", "cuda" or "cuda:N".
        conf_thres: keep detections with score > conf_thres (0.4 for MOT16/17, 0.3 for MOT15/20).
        K: heatmap peaks considered per frame.
        half: run the network in float16 (CUDA only; decoding stays float32).

    ``detector(frame)`` returns :class:`~fairmot.inference.detector.Detections` ``(boxes, embeddings,
    classes)``: boxes (N, 5) float64 x1, y1, x2, y2, score in frame pixels, best first; embeddings
    (N, D) float32 unit vectors; classes (N,) int64 indices into ``class_table``. ``timings`` holds
    the last call's seconds for "preprocess", "network" and "decode".
    """

    def __init__(self, weights: Union[str, os.PathLike, torch.nn.Module],
                 input_size: Union[None, str, Tuple[int, int]] = (1088, 608), device: str = "auto",
                 conf_thres: float = 0.4, K: int = 500, half: bool = False):
        device = resolve_device(device)
        if half and device.type != "cuda":
            raise UserError("half precision (float16) needs a CUDA device; on the CPU use float32")
        if isinstance(weights, torch.nn.Module):
            self.model = weights.eval()
        else:
            self.model = model_from_checkpoint(weights)
        if input_size is None:
            input_size = getattr(self.model, "trained_input_size", None) or DEFAULT_INPUT_SIZE
        super().__init__(input_size, conf_thres)
        self.device, self.half = device, half
        self.model.to(self.device)
        if half:
            self.model.half()
        self.K = K

    @property
    def heads(self):
        return self.model.heads

    @property
    def class_table(self):
        return model_classes(self.model)

    @torch.inference_mode()
    def forward(self, blob: np.ndarray):
        try:
            x = torch.from_numpy(blob).unsqueeze(0).to(self.device)
            outputs = self.model(x.half() if self.half else x)
        except (MemoryError, torch.OutOfMemoryError) as err:
            raise UserError(out_of_memory(self.input_size, self.device)) from err
        except RuntimeError as err:  # the CPU allocator's failure is a plain RuntimeError
            if "allocate" not in str(err):
                raise
            raise UserError(out_of_memory(self.input_size, self.device)) from None
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        return outputs

    @torch.inference_mode()
    def candidates(self, outputs) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self.half:
            outputs = {name: value.float() for name, value in outputs.items()}
        boxes, embeddings, classes = decode(outputs, K=self.K)
        # a detector without a re-ID head (CenterNet's) gives embeddings of no dimension
        embeddings = embeddings[0].float().cpu().numpy() if embeddings is not None else \
            np.zeros((boxes.shape[1], 0), np.float32)
        return boxes[0].cpu().numpy(), embeddings, classes[0].cpu().numpy()
