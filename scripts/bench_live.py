#!/usr/bin/env python
"""Latency of tracking a live HTTP stream: from a frame's arrival to its results being written.

    python scripts/bench_live.py                      # 25 fps, 20 s, bundled model at 576x320, --realtime
    python scripts/bench_live.py --fps 25 --seconds 30 --no-realtime

A loopback server in this process sends PETS09-S2L1's frames (JPEGs at their size, looped) as an IP
camera does (multipart MJPEG over HTTP, live: frames that are not read in time are gone); ``fairmot
track URL --realtime --duration S`` tracks it in a fresh process, as a user runs it. Printed: the
latency median and 95th percentile, frames received / processed / dropped and the processing rate,
from the run's record (<name>.run.json). Without --realtime every frame is processed and, on a
machine slower than the stream, the latency grows with the queue: that is the comparison.
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile

import cv2

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))  # the loopback camera of the tests

from support.data import PETS  # noqa: E402
from support.stream_server import LiveMjpegServer, jpeg_frames  # noqa: E402

DEMO = os.path.join(HERE, "..", "fairmot", "models", "weights", "demo_resdcn18w32_synth.pth")


def run(url, args, realtime, out):
    command = [sys.executable, "-m", "fairmot", "track", url, "--weights", args.weights, "--input-size",
               args.input_size, "--output", out, "--no-video", "--duration", str(args.seconds),
               "--reconnect", "0"] + (["--realtime"] if realtime else [])
    proc = subprocess.run(command, capture_output=True, text=True)
    records = glob.glob(os.path.join(out, "*.run.json"))
    if not records:
        raise SystemExit(f"no record written: {proc.stderr.strip()[-500:]}")
    return json.load(open(records[0]))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", default=DEMO)
    parser.add_argument("--input-size", default="576x320")
    parser.add_argument("--fps", type=float, default=25.0, help="the stream's frame rate")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long each run tracks")
    parser.add_argument("--no-realtime", action="store_true", help="also run without --realtime")
    args = parser.parse_args()

    count = int(args.fps * (args.seconds + 15))  # the stream outlasts the run, model loading included
    images = sorted(glob.glob(os.path.join(PETS, "img1", "*.jpg")))
    size = cv2.imread(images[0]).shape[1::-1]
    frames = jpeg_frames([images[i % len(images)] for i in range(min(count, len(images)))], size=size)
    frames = [frames[i % len(frames)] for i in range(count)]
    modes = [True] + ([False] if args.no_realtime else [])
    print(f"live MJPEG stream over loopback HTTP: {args.fps:g} fps, {size[0]}x{size[1]}; "
          f"model {os.path.basename(args.weights)} "
          f"at {args.input_size}; {args.seconds:g} s per run")
    print(f"{'mode':<12} {'latency median':>15} {'p95':>9} {'received':>9} {'processed':>10} {'dropped':>8} "
          f"{'processed/s':>12}")
    for realtime in modes:
        with tempfile.TemporaryDirectory() as out, LiveMjpegServer(frames, fps=args.fps) as server:
            record = run(server.url, args, realtime, out)
        latency = record["latency"]
        print(f"{'--realtime' if realtime else 'every frame':<12} {latency['median_ms']:>12.0f} ms "
              f"{latency['p95_ms']:>6.0f} ms {record['received']:>9} {record['frames']:>10} {record['dropped']:>8} "
              f"{record['fps']:>12.2f}")


if __name__ == "__main__":
    main()
