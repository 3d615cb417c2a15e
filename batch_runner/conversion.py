"""Convert a cell's text to the value a node input expects, checked like ComfyUI checks it."""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Any

from .catalog import InputSpec
from .values import parse_bool, parse_float, parse_int


class ConversionError(ValueError):
    """Raised for a value the target input would reject; `allowed` describes what it accepts."""

    def __init__(self, message: str, allowed: str) -> None:
        super().__init__(message)
        self.allowed = allowed


def convert_for_input(text: str, spec: InputSpec, input_dir: Path | None = None) -> Any:
    """Return TEXT converted to SPEC's type, or raise ConversionError."""
    if spec.is_image_upload and input_dir is not None:
        return _check_input_file(text, input_dir)
    if spec.options is not None:
        return _check_option(text, spec)

    try:
        if spec.type == "INT":
            value: Any = parse_int(text)
        elif spec.type == "FLOAT":
            value = parse_float(text)
        elif spec.type == "BOOLEAN":
            value = parse_bool(text)
        else:
            return text
    except ValueError as error:
        raise ConversionError(f"not a valid {spec.type} value: {error}", spec.describe_allowed()) from None

    if spec.min is not None and value < spec.min:
        raise ConversionError(f"below the minimum {spec.min}", spec.describe_allowed())
    if spec.max is not None and value > spec.max:
        raise ConversionError(f"above the maximum {spec.max}", spec.describe_allowed())
    return value


def _check_option(text: str, spec: InputSpec) -> Any:
    for option in spec.options or ():
        if str(option) == text:
            return option

    close = difflib.get_close_matches(text, [str(option) for option in spec.options or ()], n=3)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    raise ConversionError(f"not an allowed value for '{spec.name}'{hint}", spec.describe_allowed())


def _check_input_file(text: str, input_dir: Path) -> str:
    """Accept a file name relative to ComfyUI's input folder that exists and stays inside it."""
    allowed = f"a file inside ComfyUI's input folder ({input_dir}), named relative to it"
    if not text.strip():
        raise ConversionError("no input file named", allowed)

    # ComfyUI's annotated names ("x.png [input]") are accepted as written.
    name = text[:-len(" [input]")] if text.endswith(" [input]") else text
    root = os.path.realpath(input_dir)
    target = os.path.realpath(os.path.join(root, name))
    if os.path.commonpath([root, target]) != root:
        raise ConversionError("the path leads outside ComfyUI's input folder", allowed)
    if not os.path.isfile(target):
        raise ConversionError("input file not found", allowed)
    return text
