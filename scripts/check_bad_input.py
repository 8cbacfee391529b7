"""Run fairmot as a careless or hostile user would and check that each bad command fails well.

Every case runs ``python -m fairmot ...`` in a work folder holding a small clip, image folder,
MOTChallenge sequence, checkpoint and dataset. A case passes when the exit code is the expected
one (2 for bad input, 128 + signal), stderr holds no traceback and exactly one line that is not a
warning or a progress bar, and the work folder is the same afterwards (nothing half-written,
nothing of the user's changed). Prints one row per case: the command and what it printed.

    python scripts/check_bad_input.py [--only SUBSTRING] [--markdown]

Needs ../shared/data (PETS09-S2L1 frames, coco128-person). Takes a few minutes on 2 cores.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from typing import Callable, List, Optional

import numpy as np

from fairmot.datasets.shared_data import shared_data_dir

SHARED = shared_data_dir()
PETS = os.path.join(SHARED, "PETS09-S2L1")
COCO = os.path.join(SHARED, "coco128-person")


@dataclass
class Case:
    kind: str
    args: List[str]
    setup: Optional[Callable[[str], None]] = None  # makes the case's own bad files in the work folder
    code: int = 2


def fresh(path):
    shutil.rmtree(path, ignore_errors=True)
    return path


def write(path, data):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)


def sequence_with(ini):
    def setup(work):
        seq = fresh(os.path.join(work, "badseq", "S1"))
        shutil.copytree(os.path.join(work, "mot", "PETS8"), seq)
        write(os.path.join(seq, "seqinfo.ini"), ini)
        results = fresh(os.path.join(work, "badseq-results"))
        os.makedirs(results)
        shutil.copy(os.path.join(work, "evaluated", "PETS8.txt"), os.path.join(results, "S1.txt"))
    return setup


def coco_with(annotations):
    def setup(work):
        coco = json.load(open(os.path.join(COCO, "annotations.json")))
        coco["annotations"] = annotations(coco)
        write(os.path.join(work, "bad.json"), json.dumps(coco))
    return setup


def gt_with(text):
    def setup(work):
        seq = fresh(os.path.join(work, "badgt", "S1"))
        shutil.copytree(os.path.join(work, "mot", "PETS8"), seq)
        write(os.path.join(seq, "gt", "gt.txt"), text)
    return setup


def labels_with(text):
    def setup(work):
        data = fresh(os.path.join(work, "badlabels"))
        shutil.copytree(os.path.join(work, "synth"), data, symlinks=True)
        label = sorted(os.path.join(r, f) for r, _, fs in os.walk(os.path.join(data, "labels_with_ids"))
                       for f in fs)[0]
        write(label, text)
    return setup


def checkpoint_with_pickled_object(work):
    import torch
    torch.save({"state_dict": {}, "opts": argparse.Namespace(arch="dla_34")}, os.path.join(work, "pickled.pth"))


def onnx_with_metadata(key, value):
    def setup(work):
        import onnx
        model = onnx.load(os.path.join(work, "model.onnx"))
        for prop in model.metadata_props:
            if prop.key == key:
                prop.value = value
        onnx.save(model, os.path.join(work, "edited.onnx"))
    return setup


def fifo(work):
    os.mkfifo(os.path.join(work, "camera.mp4"))


def text_file(name, text="not a video\n"):
    return lambda work: write(os.path.join(work, name), text)


TRACK = ["track", "pets8", "--weights", "w.pth", "--input-size", "160x96"]
TRAIN = ["train", "--data", "synth/data.json", "--output", "newrun", "--arch", "resdcn_18_w32",
         "--input-size", "128x96", "--batch-size", "2", "--epochs", "1", "--num-workers", "0"]


def train_with(option, value):
    args = list(TRAIN)
    if option in args:
        args[args.index(option) + 1] = value
    else:
        args += [option, value]
    return args


CASES = [
    # data that must never be lost
    Case("source overwritten", ["track", "clip.avi", "--weights", "w.pth", "--output", ".", "--overwrite"]),
    # (the same command again skips the complete result: that is how an archive run resumes)
    Case("result replaced", TRACK + ["--output", "tracked", "--min-box-area", "50"]),
    Case("result replaced", ["eval", "mot", "--weights", "w.pth", "--output", "evaluated", "--input-size",
                             "160x96"]),
    Case("result replaced", ["demo", "--output", "demo"]),
    Case("result replaced", ["eval", "mot", "evaluated", "--json", "scores.json"]),
    Case("result replaced", ["export", "--weights", "w.pth", "--output", "model.onnx"]),
    Case("two sources, one name", ["track", "b/clip.avi", "--weights", "w.pth", "--output", "clips",
                                   "--input-size", "160x96"]),
    Case("train into a run", train_with("--output", "run")),
    Case("convert twice", ["convert", "mot", PETS, "--out", "jde", "--name", "pets", "--train-frames", "1-5"]),
    Case("synth twice", ["synth", "synth", "--sequences", "1", "--frames", "3"]),
    # bad input
    Case("seqinfo.ini", ["eval", "badseq", "badseq-results"], sequence_with("garbage\n")),
    Case("seqinfo.ini", ["eval", "badseq", "badseq-results"], sequence_with("[Sequence]\nname=S1\nframeRate=abc\n")),
    Case("seqinfo.ini", ["track", "badseq/S1", "--weights", "w.pth", "--output", "o"],
         sequence_with("[Sequence]\nname=S1\nimDir=img1\nframeRate=nan\nseqLength=8\n")),
    Case("seqinfo.ini", ["eval", "badseq", "badseq-results"], sequence_with(b"\x00\xff\xfe binary")),
    Case("ONNX metadata", ["track", "pets8", "--weights", "edited.onnx", "--backend", "onnxruntime",
                           "--output", "o"], onnx_with_metadata("input_size", "wide")),
    Case("ONNX metadata", ["track", "pets8", "--weights", "edited.onnx", "--backend", "onnxruntime",
                           "--output", "o"], onnx_with_metadata("heads", '{"hm": 1, "id": "many"}')),
    Case("--device", TRACK + ["--output", "o", "--device", "banana"]),
    Case("--device", TRACK + ["--output", "o", "--device", "cuda"]),
    Case("--device", ["track", "pets8", "--weights", "model.onnx", "--backend", "onnxruntime", "--output", "o",
                      "--device", "cuda"]),
    Case("--fps", TRACK + ["--output", "o", "--fps", "nan"]),
    Case("--fps", TRACK + ["--output", "o", "--fps", "inf"]),
    Case("--fps", TRACK + ["--output", "o", "--fps", "0"]),
    Case("--input-size", ["track", "pets8", "--weights", "w.pth", "--output", "o", "--input-size", "32000x32000"]),
    Case("--input-size", ["track", "pets8", "--weights", "w.pth", "--output", "o", "--input-size", "100x100"]),
    Case("--json/--csv", ["eval", "mot", "evaluated", "--json", "/proc/scores.json"]),
    Case("--json/--csv", ["eval", "mot", "--weights", "w.pth", "--output", "o", "--csv", "nofolder/x.csv",
                          "--input-size", "160x96"]),
    Case("training options", train_with("--batch-size", "0")),
    Case("training options", train_with("--batch-size", "-2")),
    Case("training options", train_with("--epochs", "0")),
    Case("training options", train_with("--lr", "nan")),
    Case("training options", train_with("--num-workers", "-1")),
    Case("training options", train_with("--arch", "vgg16")),
    Case("training options", train_with("--output", "w.pth")),
    Case("training labels", ["train", "--data", "badlabels/data.json"] + TRAIN[3:],
         labels_with("0 1000000000 0.5 0.5 0.1 0.2\n")),
    Case("training labels", ["train", "--data", "badlabels/data.json"] + TRAIN[3:], labels_with(b"\x89PNG\r\n\x1a\n")),
    Case("training labels", ["train", "--data", "badlabels/data.json"] + TRAIN[3:],
         labels_with("0 1 nan 0.5 0.1 0.2\n")),
    Case("converter input", ["convert", "coco", "bad.json", "--images", os.path.join(COCO, "images"), "--out",
                             "c1"], coco_with(lambda c: [{**c["annotations"][0], "bbox": ["a", "b", "c", "d"]}])),
    Case("converter input", ["convert", "coco", "bad.json", "--images", os.path.join(COCO, "images"), "--out",
                             "c2"], coco_with(lambda c: [{k: v for k, v in c["annotations"][0].items()
                                                          if k != "bbox"}])),
    Case("converter input", ["convert", "mot", "badgt/S1", "--out", "c3"],
         gt_with("1,1.5,10,10,20,40,1,1,1\n")),
    Case("converter input", ["convert", "mot", "badgt/S1", "--out", "c4"],
         gt_with("1,1,10,10,20,40,1,1,1\nthis is not a row\n")),
    Case("synth options", ["synth", "s0", "--frames", "0"]),
    Case("synth options", ["synth", "s0", "--width", "10"]),
    Case("export path", ["export", "--weights", "w.pth", "--output", "/proc/model.onnx"]),
    Case("export path", ["export", "--weights", "w.pth", "--output", "nofolder/model.onnx"]),
    Case("FIFO/device source", ["track", "camera.mp4", "--weights", "w.pth", "--output", "o"], fifo),
    Case("FIFO/device source", ["track", "/dev/zero", "--weights", "w.pth", "--output", "o"]),
    Case("weights_only refusal", ["track", "pets8", "--weights", "pickled.pth", "--output", "o"],
         checkpoint_with_pickled_object),
    Case("missing/odd paths", ["track", "nothing.mp4", "--weights", "w.pth", "--output", "o"]),
    Case("missing/odd paths", ["track", "notes.mp4", "--weights", "w.pth", "--output", "o"],
         text_file("notes.mp4")),
    Case("missing/odd paths", ["track", "pets8", "--weights", "notes.txt", "--output", "o"],
         text_file("notes.txt")),
    Case("missing/odd paths", ["eval", "nothing", "tracked"]),
    Case("missing/odd paths", ["detect", "notes.txt"], text_file("notes.txt")),
]


def prepare(work):
    """The user's files: 8 PETS frames, the same as a video (twice, in a/ and b/), a MOT sequence,
    a random checkpoint, its ONNX export, an earlier tracking result, run, dataset, demo."""
    import cv2

    def fairmot(*args):
        subprocess.run([sys.executable, "-m", "fairmot", *args], cwd=work, check=True, capture_output=True)

    os.makedirs(os.path.join(work, "pets8"))
    frames = [os.path.join(PETS, "img1", f"{i:06d}.jpg") for i in range(1, 9)]
    for f in frames:
        shutil.copy(f, os.path.join(work, "pets8"))
    height, width = cv2.imread(frames[0]).shape[:2]
    for name in ("clip.avi", "a/clip.avi", "b/clip.avi"):
        os.makedirs(os.path.dirname(os.path.join(work, name)), exist_ok=True)
        writer = cv2.VideoWriter(os.path.join(work, name), cv2.VideoWriter_fourcc(*"MJPG"), 10, (width, height))
        for f in frames:
            writer.write(cv2.imread(f))
        writer.release()
    seq = os.path.join(work, "mot", "PETS8")
    shutil.copytree(os.path.join(work, "pets8"), os.path.join(seq, "img1"))
    gt = np.loadtxt(os.path.join(PETS, "gt", "gt.txt"), delimiter=",")
    os.makedirs(os.path.join(seq, "gt"))
    np.savetxt(os.path.join(seq, "gt", "gt.txt"), gt[gt[:, 0] <= 8], fmt="%g", delimiter=",")
    write(os.path.join(seq, "seqinfo.ini"), "[Sequence]\nname=PETS8\nimDir=img1\nframeRate=10\nseqLength=8\n"
          f"imWidth={width}\nimHeight={height}\nimExt=.jpg\n")
    fairmot("random-model", "w.pth", "--arch", "resdcn_18")
    fairmot("export", "--weights", "w.pth", "--output", "model.onnx", "--input-size", "160x96")
    fairmot("track", "pets8", "--weights", "w.pth", "--output", "tracked", "--input-size", "160x96")
    fairmot("track", "a/clip.avi", "--weights", "w.pth", "--output", "clips", "--input-size", "160x96")
    fairmot("eval", "mot", "--weights", "w.pth", "--output", "evaluated", "--input-size", "160x96")
    fairmot("eval", "mot", "evaluated", "--json", "scores.json")
    fairmot("synth", "synth", "--sequences", "1", "--frames", "4", "--width", "128", "--height", "96")
    fairmot(*train_with("--output", "run"))
    fairmot("convert", "mot", PETS, "--out", "jde", "--name", "pets", "--train-frames", "1-5")
    write(os.path.join(work, "demo", "demo-01.txt"), "1,1,10,10,20,40,0.9,-1,-1,-1\n")


def tree(folder):
    """(path, size, mtime) of everything under ``folder``: what a case may not change."""
    found = set()
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = os.path.join(root, name)
            st = os.lstat(path)
            found.add((os.path.relpath(path, folder), st.st_size if not os.path.isdir(path) else 0,
                       st.st_mtime_ns if not os.path.isdir(path) else 0))
    return found


def stderr_lines(text):
    """What the user reads: warnings and progress bars aside."""
    return [line for line in text.replace("\r", "\n").splitlines()
            if line.strip() and ": warning: " not in line and "it/s" not in line and "%|" not in line
            and not line.startswith("Premature end of JPEG")]


def run_case(case, work):
    if case.setup:
        case.setup(work)
    before = tree(work)
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    try:
        proc = subprocess.run([sys.executable, "-m", "fairmot", *case.args], cwd=work, capture_output=True,
                              text=True, timeout=300, env=env)
    except subprocess.TimeoutExpired:
        return False, "hung (no answer in 300 s)"
    lines = stderr_lines(proc.stderr)
    changed = sorted({p for p, *_ in before ^ tree(work)})
    problems = []
    if proc.returncode != case.code:
        problems.append(f"exit {proc.returncode}, not {case.code}")
    if "Traceback" in proc.stderr:
        problems.append("traceback")
    if len(lines) != 1:
        problems.append(f"{len(lines)} lines on stderr")
    if changed:
        problems.append(f"changed: {', '.join(changed[:4])}")
    said = lines[-1] if lines else proc.stderr.strip()[-300:]
    return not problems, said + (f"   <-- {'; '.join(problems)}" if problems else "")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="run the cases whose kind or command holds this text")
    parser.add_argument("--markdown", action="store_true", help="print a markdown table")
    args = parser.parse_args()
    if not os.path.isdir(PETS):
        sys.exit(f"check_bad_input: shared data not found at {SHARED}")
    cases = [c for c in CASES if args.only in c.kind or args.only in " ".join(c.args)]
    failed = 0
    with tempfile.TemporaryDirectory(prefix="fairmot-bad-input-") as work:
        print(f"preparing the user's files in {work} ...", flush=True)
        prepare(work)
        if args.markdown:
            print("| case | command | exit, stderr |\n| --- | --- | --- |")
        for case in cases:
            ok, said = run_case(case, work)
            failed += not ok
            command = "fairmot " + " ".join(a.replace(SHARED, "$DATA") for a in case.args)
            if args.markdown:
                print(f"| {case.kind} | `{command}` | {case.code}: `{said}` |".replace(work, "."), flush=True)
            else:
                print(f"{'ok  ' if ok else 'FAIL'} [{case.kind}] {command}\n      {said.replace(work, '.')}",
                      flush=True)
    print(f"{len(cases) - failed} of {len(cases)} cases behave: one line, exit as expected, nothing changed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
