"""Online association for FairMOT (installed as ``fairmot.trackers``).

numpy/scipy/lap/cython-bbox only: nothing in this package imports torch.
"""
