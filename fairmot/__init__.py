"""FairMOT: joint detection and re-identification for multi-object tracking."""

__version__ = "0.1.0"


def __getattr__(name):
    # Lazy, so that ``import fairmot.trackers`` stays free of torch.
    if name == "Detector":
        from .detector import Detector
        return Detector
    if name == "OnnxDetector":
        from .onnx_detector import OnnxDetector
        return OnnxDetector
    raise AttributeError(f"module 'fairmot' has no attribute {name!r}")
