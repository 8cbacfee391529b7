"""FairMOT: joint detection and re-identification for multi-object tracking.

Where things live: :mod:`fairmot.models` (networks, checkpoints, weights records),
:mod:`fairmot.inference` (detectors, frame sources, the tracking pipeline),
:mod:`fairmot.trackers` (association, no torch), :mod:`fairmot.datasets` (training data),
:mod:`fairmot.training`, :mod:`fairmot.evaluation`, :mod:`fairmot.export`, :mod:`fairmot.cli`.
"""

from fairmot.utils.lazy import lazy_exports

__version__ = "0.1.0"

# lazy, so that ``import fairmot.trackers`` stays free of torch
__getattr__ = lazy_exports(__name__, {"Detector": "inference.torch_detector",
                                      "OnnxDetector": "inference.onnx_detector",
                                      "OpenVinoDetector": "inference.openvino_detector",
                                      "BaseDetector": "inference.detector"})
