"""Parameters of the synthetic scene generator (:mod:`fairmot.datasets.synthetic`); no imports
beyond the standard library, so the CLI can show its defaults without loading OpenCV."""
from dataclasses import dataclass
from typing import Tuple

# classes the generator can draw, with their MOT17 class numbers (ground truth column 8)
SYNTH_CLASSES = {"person": 1, "car": 3}


@dataclass
class SynthConfig:
    """Scene parameters. Sizes are fractions of the frame height unless said otherwise."""

    width: int = 640
    height: int = 360
    frames: int = 100
    fps: int = 20
    mean_people: float = 7.0     # people the scene tends towards
    max_people: int = 14
    horizon: float = 0.32        # feet stay below this line (the far edge of the ground)
    far_height: float = 0.17     # person height with feet on the horizon
    near_height: float = 0.52    # person height with feet on the bottom row
    jitter: float = 0.0          # camera shake: std of the per-frame offset, pixels
    pan_speed: float = 0.0       # camera pan: peak speed, pixels per frame (0 = no pan)
    noise: float = 2.0           # pixel noise std (0 = none)
    jpeg_quality: int = 92
    classes: Tuple[str, ...] = ("person",)   # what the scene holds: person, car
    mean_cars: float = 1.6       # cars the scene tends towards (with "car" in classes)
    max_cars: int = 4
