"""The output filter of FairMOT's demo and evaluation, kept out of the tracker itself."""

from .per_class import track_class

# the classes FairMOT's width / height rule is for (upright people); a car is wider than high
UPRIGHT_CLASSES = ("person",)


def filter_tracks(tracks, min_box_area=100, max_aspect_ratio=1.6, class_names=None):
    """Tracks whose box is large enough and not too wide: area > ``min_box_area`` and
    width / height <= ``max_aspect_ratio`` (FairMOT drops wide boxes as non-pedestrians; pass
    ``max_aspect_ratio=None`` for objects of any shape, ``min_box_area=0`` for any size).

    ``tracks``: objects with ``tlwh`` (e.g. what :meth:`JDETracker.update` returns).
    ``class_names``: the names of the tracks' classes (``track.cls`` indexes them; a track
    without ``cls`` is class 0): the width / height rule then applies to people only.
    """
    def upright(track):
        return class_names is None or class_names[track_class(track)] in UPRIGHT_CLASSES

    return [t for t in tracks
            if t.tlwh[2] * t.tlwh[3] > min_box_area
            and (max_aspect_ratio is None or not upright(t) or t.tlwh[2] / t.tlwh[3] <= max_aspect_ratio)]
