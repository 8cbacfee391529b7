"""FairMOT: joint detection and re-identification for multi-object tracking.

Where things live: :mod:`fairmot.models` (networks, checkpoints, weights records),
:mod:`fairmot.inference` (detectors, frame sources, the tracking pipeline),
:mod:`fairmot.trackers` (association, no torch), :mod:`fairmot.datasets` (training data),
:mod:`fairmot.training`, :mod:`fairmot.evaluation`, :mod:`fairmot.export`, :mod:`fairmot.cli`.
"""

__version__ = "0.1.0"


def __getattr__(name):
    # Lazy, so that ``import fairmot.trackers`` stays free of torch.
    if name in ("Detector", "OnnxDetector", "BaseDetector"):
        from fairmot import inference
        return getattr(inference, name)
    raise AttributeError(f"module 'fairmot' has no attribute {name!r}")
