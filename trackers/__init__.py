"""Online association for FairMOT (installed as ``fairmot.trackers``).

numpy/scipy/lap/cython-bbox only: nothing in this package imports torch.
"""
from .hybrid_tracker import HybridTrack, HybridTracker
from .jde_tracker import JDETracker
from .kalman_filter import CHI2INV95, KalmanFilter, KalmanFilterXYWH
from .output_filter import filter_tracks
from .per_class import ClassTrack, PerClassTracker, track_class
from .registry import DEFAULT_TRACKER, create_tracker, list_trackers, tracker_defaults, tracker_options
from .track import Track, TrackState

__all__ = ["JDETracker", "HybridTracker", "HybridTrack", "KalmanFilter", "KalmanFilterXYWH", "CHI2INV95", "Track",
           "TrackState", "filter_tracks", "create_tracker", "list_trackers", "tracker_options", "tracker_defaults",
           "PerClassTracker", "ClassTrack", "track_class", "DEFAULT_TRACKER"]
