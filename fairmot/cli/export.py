"""fairmot export: write the network and its decoding as an ONNX model, then check it.

The check is part of the command: onnx.checker validates the file, and onnxruntime's outputs on a
test input are compared with PyTorch's; an export that differs is an error and leaves no file.
"""
import os
import time

from fairmot.errors import UserError

# as fairmot.export.onnx (which loads torch; tests check they agree), here for a fast --help
MIN_OPSET = 16
DEFAULT_OPSET = 17


ON_INTERRUPT = "nothing was written"


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "export", help="export a checkpoint to ONNX (network + peak extraction + top-K in the graph)",
        description="Export a FairMOT checkpoint to ONNX. The model takes 'images' (N, 3, H, W), RGB / 255 "
                    "letterboxed, and returns 'scores' (N, K) best first, 'boxes' (N, K, 4) x1, y1, x2, y2 "
                    "in input pixels and 'embeddings' (N, K, D) L2-normalised: keep rows with "
                    "score > threshold. Input size, stride and heads are stored in the model's metadata. "
                    "Run with: fairmot track --backend onnxruntime, or fairmot.inference.OnnxDetector in Python.")
    parser.add_argument("--weights", required=True, metavar="W", help="FairMOT checkpoint (.pth)")
    parser.add_argument("--output", required=True, metavar="FILE", help="ONNX file to write, e.g. fairmot.onnx")
    parser.add_argument("--input-size", default="1088x608", metavar="WxH",
                        help="network input size, multiples of 32 (default 1088x608)")
    parser.add_argument("--opset", type=int, default=DEFAULT_OPSET,
                        help=f"ONNX opset, >= {MIN_OPSET} (default {DEFAULT_OPSET})")
    parser.add_argument("--topk", type=int, default=500, metavar="K",
                        help="heatmap peaks output per image (default 500)")
    parser.add_argument("--overwrite", action="store_true", help="replace FILE if it exists (default: refuse)")
    parser.add_argument("--dynamic-batch", action="store_true", help="let the batch size vary (default: fixed 1)")
    return parser


def run(args):
    import torch

    from fairmot.export.onnx import export_onnx, import_onnx_packages, verify_onnx
    from fairmot.inference.outputs import staging_path
    from fairmot.models import model_from_checkpoint
    from fairmot.utils.atomic import cannot_create_in
    from fairmot.utils.parsing import parse_input_size

    import_onnx_packages("onnx", "onnxruntime")  # fail before the slow part if they are missing
    input_size = parse_input_size(args.input_size)
    if args.opset < MIN_OPSET:
        raise UserError(f"--opset {args.opset} is too old: the deformable convolution needs GridSample "
                        f"(opset {MIN_OPSET} or later)")
    if args.topk < 1:
        raise UserError(f"--topk must be at least 1, got {args.topk}")
    folder = os.path.dirname(os.path.abspath(args.output))
    if not os.path.isdir(folder):
        raise UserError(f"folder {folder!r} of --output does not exist")
    reason = "it is a folder" if os.path.isdir(args.output) else cannot_create_in(folder)
    if reason:
        raise UserError(f"cannot write {args.output}: {reason}")
    if os.path.exists(args.output) and not args.overwrite:
        raise UserError(f"{args.output} already exists: pass --overwrite to replace it")
    model = model_from_checkpoint(args.weights)
    print(f"exporting {model.arch} at {args.input_size} ...", flush=True)
    t0 = time.perf_counter()
    staged = staging_path(args.output)  # checked before it takes the name (an earlier file stays till then)
    try:
        try:
            metadata = export_onnx(model, staged, input_size, opset=args.opset, K=args.topk,
                                   dynamic_batch=args.dynamic_batch)
        except OSError as err:
            raise UserError(f"cannot write {args.output}: {err.strerror or err}") from None
        boxes = "ltrb" if metadata["ltrb"] == "1" else "wh"
        print(f"exported in {time.perf_counter() - t0:.1f} s: opset {args.opset}, top {metadata['topk']}, "
              f"{boxes} boxes; onnx.checker passed")
        width, height = input_size
        batch = 2 if args.dynamic_batch else 1
        images = torch.rand(batch, 3, height, width, generator=torch.Generator().manual_seed(0))
        print("comparing onnxruntime with PyTorch ...", flush=True)
        result = verify_onnx(staged, model, images)
        print(f"check on a random batch of {batch}: " + result.summary())
        if not result.ok:
            raise UserError("onnxruntime's results differ from PyTorch's; nothing written. "
                            "Please report this with the command line used")
        os.replace(staged, args.output)
    finally:
        if os.path.exists(staged):
            os.remove(staged)
    print(f"wrote {args.output}")
    return 0
