"""fairmot export: write the network and its decoding as an ONNX model or an OpenVINO IR, then check it.

The check is part of the command: the runtime's outputs on a test input are compared with
PyTorch's (float32 exports; onnx.checker validates ONNX files); an export that differs is an error
and leaves no file. ``--int8`` quantizes on frames of ``--calibration``: with NNCF for OpenVINO,
with onnxruntime's static QDQ quantization for ONNX (the float32 export is checked first).
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
        "export", help="export a checkpoint to ONNX or OpenVINO (network + peak extraction + top-K in the graph)",
        description="Export a FairMOT checkpoint to ONNX or OpenVINO IR. The model takes 'images' (N, 3, H, W), "
                    "RGB / 255 letterboxed, and returns 'scores' (N, K) best first, 'boxes' (N, K, 4) x1, y1, x2, y2 "
                    "in input pixels and 'embeddings' (N, K, D) L2-normalised: keep rows with "
                    "score > threshold. Input size, stride and heads are stored in the model's metadata. "
                    "Run with: fairmot track --weights FILE (the backend follows the file: .onnx onnxruntime, "
                    ".xml OpenVINO), or fairmot.inference.OnnxDetector / OpenVinoDetector in Python.")
    parser.add_argument("--weights", required=True, metavar="W", help="FairMOT checkpoint (.pth)")
    parser.add_argument("--output", required=True, metavar="FILE",
                        help="file to write: NAME.onnx, or NAME.xml for OpenVINO (its weights go to NAME.bin)")
    parser.add_argument("--format", choices=("onnx", "openvino"), default=None,
                        help="default: from --output (.xml openvino, else onnx)")
    parser.add_argument("--int8", action="store_true",
                        help="quantize to int8 (needs --calibration): NNCF for OpenVINO, onnxruntime's static QDQ "
                             "for ONNX; the heads' outputs and the decoding stay float32")
    parser.add_argument("--calibration", metavar="SOURCE",
                        help="frames to calibrate int8 on: a video, an image folder or a MOT sequence")
    parser.add_argument("--calibration-frames", type=int, default=100, metavar="N",
                        help="frames taken from --calibration, spread evenly (default 100)")
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

    from fairmot.export.calibration import calibration_blobs, calibration_frames
    from fairmot.export.onnx import export_onnx, import_onnx_packages, verify_onnx
    from fairmot.export.onnx_int8 import quantize_onnx_int8
    from fairmot.inference.outputs import staging_path
    from fairmot.models import model_from_checkpoint
    from fairmot.utils.parsing import parse_input_size

    export_format = args.format or ("openvino" if args.output.lower().endswith(".xml") else "onnx")
    if export_format == "openvino":
        return run_openvino(args)
    check_int8_options(args)
    import_onnx_packages("onnx", "onnxruntime")  # fail before the slow part if they are missing
    input_size = parse_input_size(args.input_size)
    if args.opset < MIN_OPSET:
        raise UserError(f"--opset {args.opset} is too old: the deformable convolution needs GridSample "
                        f"(opset {MIN_OPSET} or later)")
    if args.topk < 1:
        raise UserError(f"--topk must be at least 1, got {args.topk}")
    check_output(args, [args.output])
    frames = calibration_frames(args.calibration, args.calibration_frames) if args.int8 else None
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
        if args.int8:
            print(f"quantizing to int8 on {len(frames)} frames of {args.calibration} ...", flush=True)
            t0 = time.perf_counter()
            quantize_onnx_int8(staged, args.output, calibration_blobs(frames, input_size))
            print(f"quantized in {time.perf_counter() - t0:.1f} s")
        else:
            os.replace(staged, args.output)
    finally:
        if os.path.exists(staged):
            os.remove(staged)
    print(f"wrote {args.output}")
    return 0


def check_int8_options(args):
    if args.int8 != bool(args.calibration):
        raise UserError("--int8 needs --calibration SOURCE (frames to calibrate on), and --calibration needs --int8")
    if args.int8 and args.dynamic_batch:
        raise UserError("--int8 is calibrated for one frame at a time: leave out --dynamic-batch")


def check_output(args, paths):
    """UserError unless ``args.output``'s folder takes files and ``paths`` (what the export writes)
    are new or may be replaced (--overwrite)."""
    from fairmot.utils.atomic import cannot_create_in
    folder = os.path.dirname(os.path.abspath(args.output))
    if not os.path.isdir(folder):
        raise UserError(f"folder {folder!r} of --output does not exist")
    reason = "it is a folder" if os.path.isdir(args.output) else cannot_create_in(folder)
    if reason:
        raise UserError(f"cannot write {args.output}: {reason}")
    for path in paths:
        if os.path.exists(path) and not args.overwrite:
            raise UserError(f"{path} already exists: pass --overwrite to replace it")


def run_openvino(args):
    """--format openvino: convert, check against PyTorch (float32), quantize (--int8), save."""
    import torch

    from fairmot.export import openvino as ovx
    from fairmot.export.calibration import calibration_blobs, calibration_frames
    from fairmot.export.onnx import ExportableDetector, compare_outputs, format_diffs, output_names, within_tolerance
    from fairmot.inference.openvino_detector import compile_config
    from fairmot.models import model_from_checkpoint
    from fairmot.utils.parsing import parse_input_size

    ov = ovx.import_openvino()
    input_size = parse_input_size(args.input_size)
    if args.topk < 1:
        raise UserError(f"--topk must be at least 1, got {args.topk}")
    if args.dynamic_batch:
        raise UserError("--dynamic-batch is for ONNX; an OpenVINO model from fairmot export takes one frame")
    check_int8_options(args)
    if not args.output.lower().endswith(".xml"):
        raise UserError(f"--output {args.output!r}: an OpenVINO model is NAME.xml (its weights go to NAME.bin)")
    check_output(args, [args.output, ovx.bin_path(args.output)])
    frames = calibration_frames(args.calibration, args.calibration_frames) if args.int8 else None
    model = model_from_checkpoint(args.weights)
    print(f"converting {model.arch} at {args.input_size} with OpenVINO {ov.__version__} ...", flush=True)
    t0 = time.perf_counter()
    ov_model = ovx.convert_to_openvino(model, input_size, K=args.topk)
    width, height = input_size
    images = torch.rand(1, 3, height, width, generator=torch.Generator().manual_seed(0))
    compiled = ov.Core().compile_model(ov_model, "CPU", compile_config())
    results = compiled(images.numpy())
    got = [results[compiled.output(name)] for name in output_names(model)]
    with torch.no_grad():
        reference = [t.numpy() for t in ExportableDetector(model.eval(), K=got[0].shape[1])(images)]
    diffs = compare_outputs(reference, got)
    print(f"converted in {time.perf_counter() - t0:.1f} s; OpenVINO vs PyTorch on a random input, max |diff|: "
          + format_diffs(diffs))
    if not within_tolerance(diffs):
        raise UserError("OpenVINO's results differ from PyTorch's; nothing written. "
                        "Please report this with the command line used")
    if args.int8:
        print(f"quantizing to int8 on {len(frames)} frames of {args.calibration} ...", flush=True)
        t0 = time.perf_counter()
        ov_model = ovx.quantize_int8(ov_model, calibration_blobs(frames, input_size))
        print(f"quantized in {time.perf_counter() - t0:.1f} s")
        ov_model.set_rt_info("int8", ["fairmot", "precision"])
    else:
        ov_model.set_rt_info("float32", ["fairmot", "precision"])
    try:
        ovx.save_openvino(ov_model, args.output)
    except OSError as err:
        raise UserError(f"cannot write {args.output}: {err.strerror or err}") from None
    print(f"wrote {args.output} and {ovx.bin_path(args.output)}")
    return 0
