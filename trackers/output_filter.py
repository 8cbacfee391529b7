"""The output filter of FairMOT's demo and evaluation, kept out of the tracker itself."""


def filter_tracks(tracks, min_box_area=100, max_aspect_ratio=1.6):
    """Tracks whose box is large enough and not too wide: area > ``min_box_area`` and
    width / height <= ``max_aspect_ratio`` (FairMOT drops wide boxes as non-pedestrians; pass
    ``max_aspect_ratio=None`` for objects of any shape, ``min_box_area=0`` for any size).

    ``tracks``: objects with ``tlwh`` (e.g. what :meth:`JDETracker.update` returns).
    """
    return [t for t in tracks
            if t.tlwh[2] * t.tlwh[3] > min_box_area
            and (max_aspect_ratio is None or t.tlwh[2] / t.tlwh[3] <= max_aspect_ratio)]
