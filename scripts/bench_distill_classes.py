"""Two one-class teachers into one two-class student, against training on the union of their data.

The situation centerX's multi-teacher distillation is for: dataset P labels people only, dataset C
cars only, and each has the other class in its images, unlabelled. Here both are synthetic
street scenes with people and cars (``fairmot synth --classes person,car``): the first half of
the sequences keeps only its people's labels (P), the second half only its cars' (C).

- teacher P: trained on P (one class, person); teacher C: on C (one class, car);
- distilled: a two-class student taught by both (``--teacher P:person --teacher C:car``) on the
  frames of P and C, with no label at all;
- union: a two-class network trained on P and C together (``fairmot train --classes person,car``):
  P's unlabelled cars teach its car channel "no car here", and C's people its person channel;

all scored per class (AP50, MOTA, IDF1) on held-out two-class clips (``fairmot eval --per-class``).
Every stage is a ``fairmot`` command, printed before it runs; a stage whose output exists is
skipped (an interrupted training resumes), so the script can be run again to finish.

    python scripts/bench_distill_classes.py --work /tmp/multiteacher [--epochs 16] [--json out.json]
        [--load-model fairmot/models/weights/demo_resdcn18w32_synth.pth] [--kd-heatmap kl]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_stages import evaluate, fairmot, train_stage  # noqa: E402

CLASSES = ("person", "car")


def one_class_dataset(scenes, sequences, keep, out):
    """A JDE dataset of ``sequences`` of ``scenes`` whose labels keep class ``keep`` only
    (images linked, labels rewritten with that class as class 0)."""
    if os.path.exists(os.path.join(out, "data.json")):
        return os.path.join(out, "data.json")
    keep_index = CLASSES.index(keep)
    lines = []
    for seq in sequences:
        src_images = os.path.join(scenes, "images", seq, "img1")
        dst_images = os.path.join(out, "images", seq, "img1")
        dst_labels = os.path.join(out, "labels_with_ids", seq, "img1")
        os.makedirs(dst_images, exist_ok=True)
        os.makedirs(dst_labels, exist_ok=True)
        for name in sorted(os.listdir(src_images)):
            link = os.path.join(dst_images, name)
            if not os.path.exists(link):
                os.symlink(os.path.abspath(os.path.join(src_images, name)), link)
            label = os.path.join(scenes, "labels_with_ids", seq, "img1", os.path.splitext(name)[0] + ".txt")
            rows = []
            if os.path.exists(label):
                for row in open(label).read().split("\n"):
                    parts = row.split()
                    if parts and int(parts[0]) == keep_index:
                        rows.append(" ".join(["0", *parts[1:]]))
            with open(os.path.join(dst_labels, os.path.splitext(name)[0] + ".txt"), "w") as f:
                f.write("\n".join(rows) + ("\n" if rows else ""))
            lines.append(f"images/{seq}/img1/{name}")
    name = f"only_{keep}"
    with open(os.path.join(out, f"{name}.train"), "w") as f:
        f.write("\n".join(lines) + "\n")
    number = {"person": 1, "car": 3}[keep]
    config = {"root": ".", "train": {name: f"{name}.train"},
              "classes": {name: {"names": [keep], "numbers": [number]}}}
    with open(os.path.join(out, "data.json"), "w") as f:
        json.dump(config, f, indent=2)
    return os.path.join(out, "data.json")


def union_dataset(work, parts):
    """data.json naming both one-class datasets (each keeps its own root via absolute lists)."""
    out = os.path.join(work, "union")
    os.makedirs(out, exist_ok=True)
    train, classes = {}, {}
    for data in parts:
        config = json.load(open(data))
        root = os.path.dirname(os.path.abspath(data))
        for name, list_file in config["train"].items():
            listed = [os.path.join(root, line.strip()) for line in open(os.path.join(root, list_file)) if line.strip()]
            with open(os.path.join(out, f"{name}.train"), "w") as f:
                f.write("\n".join(listed) + "\n")
            train[name] = f"{name}.train"
            classes[name] = config["classes"][name]
    path = os.path.join(out, "data.json")
    with open(path, "w") as f:
        json.dump({"root": "/", "train": train, "classes": classes}, f, indent=2)
    return path


def per_class_scores(heldout, weights, out):
    summary = evaluate(heldout, weights, out, "--per-class")["summary"]
    return {name.split(" (")[0]: {k: summary[name][k] for k in ("AP50", "MOTA", "IDF1")}
            for name in summary if name != "AVERAGE"}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", default="/tmp/fairmot_multiteacher", help="folder for data, runs and scores")
    parser.add_argument("--epochs", type=int, default=16)
    parser.add_argument("--sequences", type=int, default=24, help="synthetic training sequences (half P, half C)")
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument("--arch", default="resdcn_18_w32")
    parser.add_argument("--load-model", help="initial weights of all four networks (e.g. the bundled demo "
                        "model: its backbone, and its person channel where a network has a person class)")
    parser.add_argument("--kd-heatmap", choices=("mse", "kl"), default="mse",
                        help="the student's heatmap distillation loss (kl: its run is runs/distilled_kl)")
    parser.add_argument("--json", help="write the table as JSON")
    args = parser.parse_args()
    work = os.path.abspath(args.work)
    os.makedirs(work, exist_ok=True)
    scenes, heldout = os.path.join(work, "scenes"), os.path.join(work, "heldout")
    if not os.path.exists(os.path.join(scenes, "data.json")):
        shutil.rmtree(scenes, ignore_errors=True)
        fairmot("synth", scenes, "--classes", "person,car", "--sequences", args.sequences, "--frames", args.frames,
                "--seed", 0, "--val-sequences", 0)
    if not os.path.exists(os.path.join(heldout, "data.json")):
        shutil.rmtree(heldout, ignore_errors=True)
        fairmot("synth", heldout, "--classes", "person,car", "--sequences", 2, "--frames", 150, "--seed", 7,
                "--val-sequences", 0, "--name", "heldout")
    sequences = sorted(d for d in os.listdir(os.path.join(scenes, "images")))
    half = len(sequences) // 2
    data_p = one_class_dataset(scenes, sequences[:half], "person", os.path.join(work, "P"))
    data_c = one_class_dataset(scenes, sequences[half:], "car", os.path.join(work, "C"))
    data_union = union_dataset(work, [data_p, data_c])
    epochs = args.epochs
    schedule = ["--arch", args.arch, "--head-conv", 64, "--input-size", "384x224", "--batch-size", 8,
                "--epochs", epochs, "--lr", "1e-3", "--lr-step", max(epochs * 3 // 4, 1), "--num-workers", 1]
    if args.load_model:
        schedule += ["--load-model", os.path.abspath(args.load_model)]
    runs = {k: os.path.join(work, "runs", k) for k in ("teacher_P", "teacher_C", "distilled", "union")}
    if args.kd_heatmap != "mse":   # the teachers and the union are the same runs whatever the student's loss
        runs["distilled"] += f"_{args.kd_heatmap}"
    os.makedirs(os.path.join(work, "runs"), exist_ok=True)
    times = {}
    train_stage("train", runs["teacher_P"], epochs, ["--data", data_p, *schedule], times, "teacher_P")
    train_stage("train", runs["teacher_C"], epochs, ["--data", data_c, *schedule], times, "teacher_C")
    frames = [os.path.join(scenes, s) for s in sequences]
    unlabeled = [a for s in frames for a in ("--unlabeled", s)]
    train_stage("distill", runs["distilled"], epochs,
                ["--teacher", os.path.join(runs["teacher_P"], "model_last.pth") + ":person",
                 "--teacher", os.path.join(runs["teacher_C"], "model_last.pth") + ":car",
                 *unlabeled, "--classes", "person,car", "--kd-heatmap", args.kd_heatmap, *schedule], times, "distilled")
    train_stage("train", runs["union"], epochs, ["--data", data_union, "--classes", "person,car", *schedule],
                times, "union")
    scores = {}
    for key in ("distilled", "union"):
        scores[key] = per_class_scores(heldout, os.path.join(runs[key], "model_last.pth"),
                                       os.path.join(work, f"eval_{os.path.basename(runs[key])}.json"))
    for key, klass in (("teacher_P", "person"), ("teacher_C", "car")):
        try:   # a one-class model scored on its class's rows
            one = per_class_scores(heldout, os.path.join(runs[key], "model_last.pth"),
                                   os.path.join(work, f"eval_{key}.json"))
            scores[key] = {klass: one[klass]} if klass in one else {}
        except subprocess.CalledProcessError:
            scores[key] = {}
    print(f"\n{'model':<12} {'person AP50 / MOTA / IDF1':>27} {'car AP50 / MOTA / IDF1':>25}  training")
    for key in ("teacher_P", "teacher_C", "distilled", "union"):
        cells = []
        for klass in CLASSES:
            s = scores[key].get(klass)
            cells.append(" / ".join("-" if s.get(k) is None else f"{s[k]:.1%}" for k in ("AP50", "MOTA", "IDF1"))
                         if s else "-")
        took = f"{times[key]:.0f} min" if key in times else "(earlier run)"
        print(f"{key:<12} {cells[0]:>27} {cells[1]:>25}  {took}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"scores": scores, "minutes": times}, f, indent=2)


if __name__ == "__main__":
    main()
