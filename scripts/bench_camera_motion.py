"""Time camera-motion estimation (fairmot.inference.camera_motion) on 1080p frames.

PETS09-S2L1 frames upscaled to 1920x1080, panned by a known 8 px per frame so that there is
motion to find; prints ms per frame (single-threaded OpenCV) and the error of the recovered
translation.

    python scripts/bench_camera_motion.py [--frames 100] [--max-side 480]
"""
import argparse
import os
import sys
import time

import cv2
import numpy as np

from fairmot.datasets.shared_data import shared_data_dir
from fairmot.inference.camera_motion import CameraMotionEstimator


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=100)
    parser.add_argument("--max-side", type=int, default=360)
    parser.add_argument("--window", type=int, default=None, help="Lucas-Kanade window (default: the estimator's)")
    parser.add_argument("--corners", type=int, default=None, help="corners followed (default: the estimator's)")
    args = parser.parse_args(argv)
    cv2.setNumThreads(1)
    img_dir = os.path.join(shared_data_dir(), "PETS09-S2L1", "img1")
    if not os.path.isdir(img_dir):
        sys.exit(f"bench_camera_motion: {img_dir} not found")
    frames = []
    for i in range(args.frames):
        image = cv2.resize(cv2.imread(os.path.join(img_dir, f"{i + 1:06d}.jpg")), (1920, 1080))
        frames.append(cv2.warpAffine(image, np.float64([[1, 0, 8 * i], [0, 1, 0]]), (1920, 1080)))
    options = {k: v for k, v in (("window", args.window), ("max_corners", args.corners)) if v is not None}
    estimator = CameraMotionEstimator(max_side=args.max_side, **options)
    seconds, errors = [], []
    for i, image in enumerate(frames):
        start = time.perf_counter()
        warp = estimator(image)
        seconds.append(time.perf_counter() - start)
        if i:
            errors.append(abs(warp[0, 2] - 8) + abs(warp[1, 2]))
    print(f"{args.frames} frames of 1920x1080, flow at {args.max_side} px: "
          f"{1e3 * np.mean(seconds[1:]):.2f} ms/frame (median {1e3 * np.median(seconds[1:]):.2f}); "
          f"translation error mean {np.mean(errors):.2f} px, max {np.max(errors):.2f} px")
    return 0


if __name__ == "__main__":
    sys.exit(main())
