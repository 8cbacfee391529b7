"""``fairmot demo``: generate a synthetic clip, track it with the bundled model, score it.

Nothing is downloaded: the clip comes from the project's synthetic generator and the model
(``fairmot/weights/demo_resdcn18w32_synth.pth``, trained by ``fairmot train`` on synthetic data,
see the README) ships with the package. Writes into DIR: ``clip/<name>/`` (frames, ground
truth), ``<name>.txt`` (MOTChallenge results), ``<name>.avi`` (annotated video) and
``eval.json`` (as ``fairmot eval --json``).
"""
import os
import time

DEMO_WEIGHTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "weights",
                            "demo_resdcn18w32_synth.pth")


def add_parser(subparsers):
    p = subparsers.add_parser("demo", help="track a generated clip with the bundled model and score it",
                              description=__doc__.splitlines()[0])
    p.add_argument("--output", default="fairmot-demo", help="output folder (default ./fairmot-demo)")
    p.add_argument("--frames", type=int, default=150, help="clip length in frames (default 150)")
    p.add_argument("--seed", type=int, default=1, help="clip seed (default 1; the model was trained on seed 0)")
    p.add_argument("--weights", default=DEMO_WEIGHTS, help="a FairMOT checkpoint (default: the bundled model)")
    p.add_argument("--input-size", default=None, help="network input WxH (default: the size the model was trained at)")
    p.add_argument("--device", default="auto")
    return p


def run(args):
    from fairmot.datasets.synthetic import SynthConfig, write_sequence
    from fairmot.detector import Detector, parse_input_size, training_input_size
    from fairmot.errors import UserError
    from fairmot.evaluation import evaluate_folder, format_table, write_json
    from fairmot.pipeline import prepare_output_dir, track_to_folder
    from fairmot.sources import open_source

    if args.frames < 2:
        raise UserError("--frames must be at least 2")
    start = time.perf_counter()
    prepare_output_dir(args.output)
    name = f"demo-{args.seed:02d}"
    clip_root = os.path.join(args.output, "clip")
    seq_dir = os.path.join(clip_root, name)
    config = SynthConfig(frames=args.frames)
    people = write_sequence(seq_dir, config, seed=(args.seed, 0))
    print(f"generated {seq_dir}: {args.frames} frames of {config.width}x{config.height}, "
          f"{people} ground-truth boxes")

    input_size = parse_input_size(args.input_size) if args.input_size else training_input_size(args.weights)
    detector = Detector(args.weights, input_size, args.device)
    summary = track_to_folder(open_source(seq_dir), detector, args.output, video_format="avi")
    print(summary.format())

    scores = evaluate_folder(clip_root, args.output, sequences=[name])
    json_path = os.path.join(args.output, "eval.json")
    write_json(scores, json_path)
    print(format_table(scores))
    print(f"wrote {summary.result_path}, {summary.video_path}, {json_path} "
          f"in {time.perf_counter() - start:.1f} s")
    return 0
