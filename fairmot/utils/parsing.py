"""Parsing the values users type: network input sizes and frame ranges (one parser each)."""
from __future__ import annotations

from typing import Tuple, Union

from fairmot.errors import UserError

STRIDE = 32  # the network's total stride: input sizes are multiples of it
MAX_SIDE = 8192  # larger inputs need tens of GB for DLA-34's feature maps


def parse_input_size(value: Union[str, Tuple[int, int]]) -> Tuple[int, int]:
    """``"1088x608"`` or ``(1088, 608)`` -> (1088, 608); both positive multiples of 32."""
    if isinstance(value, str):
        try:
            width, height = (int(v) for v in value.lower().split("x"))
        except ValueError:
            raise UserError(f"input size {value!r} must look like WIDTHxHEIGHT, e.g. 1088x608") from None
    else:
        try:
            width, height = (int(v) for v in value)
        except (TypeError, ValueError):
            raise UserError(f"input size {value!r} must be (width, height)") from None
    if width <= 0 or height <= 0 or width % STRIDE or height % STRIDE:
        raise UserError(f"input size {width}x{height}: width and height must be positive multiples of {STRIDE}")
    if max(width, height) > MAX_SIDE:
        raise UserError(f"input size {width}x{height} is too large (at most {MAX_SIDE} a side): the network's "
                        "memory grows with it; 1088x608 is FairMOT's")
    return width, height


def format_input_size(size: Tuple[int, int]) -> str:
    return f"{size[0]}x{size[1]}"


def parse_frame_range(text: str) -> Tuple[int, int]:
    """``"A-B"`` -> (A, B): frames A to B inclusive, 1-based, 1 <= A <= B."""
    try:
        first, last = (int(v) for v in str(text).split("-"))
    except ValueError:
        raise UserError(f"frame range {text!r} must look like A-B, e.g. 1-400") from None
    if not 1 <= first <= last:
        raise UserError(f"frame range {text!r} must have 1 <= first <= last")
    return first, last
