"""fairmot demo: generate a synthetic clip, track it with the bundled model, score it."""
import time

from fairmot.models.zoo import DEMO_RESDCN18W32_SYNTH as DEMO_WEIGHTS


def add_parser(subparsers):
    p = subparsers.add_parser(
        "demo", help="track a generated clip with the bundled model and score it",
        description="Generate a synthetic clip, track it with the bundled model and score it; nothing "
                    "is downloaded. Writes into --output: clip/<name>/ (frames, ground truth), "
                    "<name>.txt (MOTChallenge results), <name>.avi (annotated video) and eval.json.")
    p.add_argument("--output", default="fairmot-demo", help="output folder (default ./fairmot-demo)")
    p.add_argument("--frames", type=int, default=150, help="clip length in frames (default 150)")
    p.add_argument("--seed", type=int, default=1, help="clip seed (default 1; the model was trained on seed 0)")
    p.add_argument("--weights", default=DEMO_WEIGHTS.path,
                   help=f"a FairMOT checkpoint (default: the bundled model, {DEMO_WEIGHTS.name})")
    p.add_argument("--input-size", default=None, help="network input WxH (default: the size the model was trained at)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    p.add_argument("--overwrite", action="store_true", help="replace an earlier demo in --output (default: refuse)")
    return p


def run(args):
    import os

    from fairmot.datasets.synthetic import SynthConfig, write_sequence
    from fairmot.errors import UserError
    from fairmot.evaluation.report import format_table, write_json
    from fairmot.evaluation.scoring import evaluate_folder
    from fairmot.inference.pipeline import prepare_output_dir, track_to_folder
    from fairmot.inference.sources import open_source
    from fairmot.inference.torch_detector import Detector
    from fairmot.models import recorded_input_size
    from fairmot.utils.parsing import parse_input_size

    if args.frames < 2:
        raise UserError("--frames must be at least 2")
    start = time.perf_counter()
    name = f"demo-{args.seed:02d}"
    clip_root = os.path.join(args.output, "clip")
    seq_dir = os.path.join(clip_root, name)
    json_path = os.path.join(args.output, "eval.json")
    earlier = [p for p in (seq_dir, os.path.join(args.output, name + ".txt"),
                           os.path.join(args.output, name + ".avi"), json_path) if os.path.exists(p)]
    if earlier and not args.overwrite:
        raise UserError(f"{earlier[0]} already exists: pass --overwrite to replace the earlier demo, "
                        "or another --output folder")
    prepare_output_dir(args.output)
    config = SynthConfig(frames=args.frames)
    people = write_sequence(seq_dir, config, seed=(args.seed, 0))
    print(f"generated {seq_dir}: {args.frames} frames of {config.width}x{config.height}, "
          f"{people} ground-truth boxes")

    input_size = (parse_input_size(args.input_size) if args.input_size
                  else recorded_input_size(args.weights, DEMO_WEIGHTS.input_size))
    detector = Detector(args.weights, input_size, args.device)
    summary = track_to_folder(open_source(seq_dir), detector, args.output, video_format="avi",
                              overwrite=args.overwrite)
    print(summary.format())

    scores = evaluate_folder(clip_root, args.output, sequences=[name])
    write_json(scores, json_path)
    print(format_table(scores))
    print(f"wrote {summary.result_path}, {summary.video_path}, {json_path} "
          f"in {time.perf_counter() - start:.1f} s")
    return 0
