"""FairMOT: joint detection and re-identification for multi-object tracking."""

__version__ = "0.1.0"
