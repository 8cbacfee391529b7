"""Inference: frames in, tracks out.

- :mod:`.preprocess` letterbox; :mod:`.decoding` heatmap peaks -> boxes + embeddings;
- :mod:`.detector` the detector contract; :mod:`.torch_detector` (PyTorch) and
  :mod:`.onnx_detector` (ONNX Runtime) backends;
- :mod:`.sources` video files, image folders, MOTChallenge sequences;
- :mod:`.pipeline` source -> detector -> tracker -> writers; :mod:`.video_writer`, :mod:`.drawing`.

Submodules load on first use, so that importing one does not load torch or OpenCV for the others.
"""
from fairmot.utils.lazy import lazy_exports

_EXPORTS = {"Detector": "torch_detector", "OnnxDetector": "onnx_detector", "OpenVinoDetector": "openvino_detector",
           "BaseDetector": "detector",
            "open_source": "sources", "track_source": "pipeline", "track_to_folder": "pipeline"}
__all__ = sorted(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS)
