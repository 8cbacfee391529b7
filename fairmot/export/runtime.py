"""Running exported models without torch: their interface names, metadata checks and loaders.

What :class:`~fairmot.inference.onnx_detector.OnnxDetector` and
:class:`~fairmot.inference.openvino_detector.OpenVinoDetector` need, kept apart from the exporters
(which need torch) so that tracking with an exported model never imports torch.
"""
import json
import os

from fairmot.errors import UserError

INPUT_NAME = "images"
OUTPUT_NAMES = ("scores", "boxes", "embeddings")
CLASS_OUTPUT = "classes"   # (N, K) int64, in exports of networks with more than one class
OPENVINO_RT_INFO_KEY = "fairmot"


def import_onnx_packages(*names):
    """The ``onnx``/``onnxruntime`` modules, or a UserError saying how to install them."""
    import importlib
    modules = []
    for name in names:
        try:
            modules.append(importlib.import_module(name))
        except ImportError:
            raise UserError(f"{name} is not installed: pip install 'fairmot[onnx]'") from None
    return modules[0] if len(modules) == 1 else modules



def read_metadata(session):
    """metadata_props of an onnxruntime InferenceSession as a dict, with input_size as (width, height),
    heads as a dict and topk as an int; UserError for a model whose metadata or interface is not
    that of ``fairmot export`` (malformed values, other inputs or outputs)."""
    return parse_metadata(dict(session.get_modelmeta().custom_metadata_map),
                          [i.name for i in session.get_inputs()], [o.name for o in session.get_outputs()], "ONNX")



def parse_metadata(meta, inputs, outputs, kind):
    """The metadata of an exported ``kind`` ("ONNX", "OpenVINO") model as :func:`read_metadata`
    returns it, checked, with its ``inputs`` / ``outputs`` names."""
    if "input_size" not in meta or "stride" not in meta:
        raise UserError(f"this {kind} model was not exported by 'fairmot export' (no input_size/stride metadata)")
    try:
        width, height = (int(v) for v in meta["input_size"].split("x"))
        heads = json.loads(meta.get("heads", "{}"))
        topk = int(meta.get("topk", "500"))
        heads_ok = isinstance(heads, dict) and all(isinstance(c, int) and c > 0 for c in heads.values())
        if not (heads_ok and width > 0 and height > 0 and topk > 0 and int(meta["stride"]) > 0):
            raise ValueError
    except (ValueError, TypeError):
        raise UserError(f"this {kind} model's fairmot metadata is malformed (input_size "
                        f"{meta.get('input_size')!r}, heads {meta.get('heads')!r}, topk {meta.get('topk')!r}): "
                        "export it again with 'fairmot export'") from None
    if list(inputs) != [INPUT_NAME] or not set(OUTPUT_NAMES) <= set(outputs):
        raise UserError(f"this {kind} model takes {list(inputs)} and returns {list(outputs)}; a 'fairmot export' model "
                        f"takes [{INPUT_NAME!r}] and returns {list(OUTPUT_NAMES)}: export it again")
    from fairmot.datasets.classes import ClassTable
    try:
        record = json.loads(meta["classes"]) if "classes" in meta else None
        meta["class_table"] = ClassTable.from_record(record, heads.get("hm", 1))
    except (ValueError, UserError) as err:
        raise UserError(f"this {kind} model's class metadata is malformed ({err}): export it again") from None
    if heads.get("hm", 1) > 1 and CLASS_OUTPUT not in outputs:
        raise UserError(f"this {kind} model has {heads['hm']} classes but no {CLASS_OUTPUT!r} output: export it again")
    meta.update(input_size=(width, height), heads=heads, topk=str(topk))
    return meta



def ort_session(path, providers=None, threads=None):
    """An onnxruntime InferenceSession of ``path``.

    providers: onnxruntime execution providers; default CUDA where this onnxruntime build has it,
    else CPU. threads: intra-op threads (default: onnxruntime's, one per physical core).
    """
    ort = import_onnx_packages("onnxruntime")
    if not os.path.isfile(path):
        raise UserError(f"ONNX model {str(path)!r} not found")
    if providers is None:
        available = ort.get_available_providers()
        providers = [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in available]
    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = int(threads)
    try:
        return ort.InferenceSession(str(path), options, providers=list(providers))
    except Exception as err:  # onnxruntime raises its own exception types for unreadable models
        first_line = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise UserError(f"onnxruntime cannot load {str(path)!r}: {first_line[:200]}") from None




def check_exported_size(path, exported, wanted, export_flags=""):
    """UserError unless ``wanted`` (None, "WxH" or (w, h)) is the size ``path`` was exported for."""
    from fairmot.utils.parsing import format_input_size, parse_input_size
    if wanted is None:
        return
    wanted = parse_input_size(wanted)
    if wanted != exported:
        raise UserError(f"{path} was exported for input size {format_input_size(exported)}, "
                        f"not {format_input_size(wanted)}: export it again at that size "
                        f"(fairmot export {export_flags}--input-size {format_input_size(wanted)})")


def import_openvino():
    """The ``openvino`` module, or a UserError saying how to install it."""
    try:
        import openvino
    except ImportError:
        raise UserError("openvino is not installed: pip install 'fairmot[openvino]'") from None
    return openvino


def openvino_bin_path(xml_path: str) -> str:
    """The weights file that goes with an OpenVINO ``NAME.xml``."""
    return os.path.splitext(xml_path)[0] + ".bin"


def read_openvino_metadata(ov_model) -> dict:
    """The rt_info metadata of an exported OpenVINO model, parsed and checked as :func:`read_metadata`."""
    meta = {}
    if ov_model.has_rt_info([OPENVINO_RT_INFO_KEY]):
        for key in ov_model.get_rt_info()[OPENVINO_RT_INFO_KEY]:
            meta[key] = ov_model.get_rt_info([OPENVINO_RT_INFO_KEY, key]).astype(str)
    inputs = [sorted(i.get_names())[0] if i.get_names() else "" for i in ov_model.inputs]
    outputs = [name for o in ov_model.outputs for name in o.get_names()]
    return parse_metadata(meta, inputs, outputs, "OpenVINO")
