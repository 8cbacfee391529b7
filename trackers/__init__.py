"""Online association for FairMOT (installed as ``fairmot.trackers``).

numpy/scipy/lap/cython-bbox only: nothing in this package imports torch.
"""
from .jde_tracker import JDETracker
from .kalman_filter import CHI2INV95, KalmanFilter
from .output_filter import filter_tracks
from .track import Track, TrackState

__all__ = ["JDETracker", "KalmanFilter", "CHI2INV95", "Track", "TrackState", "filter_tracks"]
