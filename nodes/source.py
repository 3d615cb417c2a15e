"""Batch Source: one row of a job file, picked by the row widget or set by the batch route."""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import Any

import folder_paths

from ..batch_runner import node_ids
from ..batch_runner.sources import SourceOptions, load_source
from ..batch_runner.sources.listing import list_job_files
from .row_data import CATEGORY, MANUAL_RUN_NAME, row_from_payload

logger = logging.getLogger(__name__)

DELIMITER_CHOICES = ["auto", ",", ";", "tab", "|"]
ENCODING_CHOICES = ["auto", "utf-8", "utf-8-sig", "utf-16", "cp1252"]


def job_files() -> list[str]:
    return list_job_files(Path(folder_paths.get_input_directory()))


def _input_path(file: str) -> Path:
    root = os.path.realpath(folder_paths.get_input_directory())
    path = os.path.realpath(os.path.join(root, file))
    if os.path.commonpath([root, path]) != root:
        raise ValueError(f"job file '{file}' is outside ComfyUI's input folder")
    return Path(path)


class BatchSource:
    DESCRIPTION = ("Reads one row of a CSV, TSV, XLSX, JSON or JSONL job file from the input folder. "
                   "Queued by hand it uses the row picked here; the Batch panel sets the row for each job.")
    CATEGORY = CATEGORY
    RETURN_TYPES = (node_ids.ROW_TYPE, "STRING", "INT")
    RETURN_NAMES = ("row", "row_id", "row_number")
    FUNCTION = "load"

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        files = job_files()
        return {
            "required": {
                "file": (files or [""], {"tooltip": "A job file in ComfyUI's input folder."}),
                "row": ("INT", {"default": 1, "min": 1, "max": 10_000_000,
                                "tooltip": "The row used when you queue this graph by hand (1 = first data row)."}),
                "id_column": ("STRING", {"default": "id", "tooltip": "Column holding each row's unique ID."}),
            },
            "optional": {
                "delimiter": (DELIMITER_CHOICES, {"default": "auto"}),
                "encoding": (ENCODING_CHOICES, {"default": "auto"}),
                "sheet": ("STRING", {"default": "", "tooltip": "XLSX sheet name; empty means the first sheet."}),
                node_ids.ROW_INPUT: (node_ids.ROW_INPUT_TYPE, {"tooltip": "Set by the batch route; leave unconnected."}),
            },
        }

    @classmethod
    def IS_CHANGED(cls, file: str, row: int, id_column: str, batch_row: str | None = None, **_: Any) -> str:
        if batch_row:
            return hashlib.sha256(batch_row.encode()).hexdigest()
        try:
            stat = _input_path(file).stat()
        except (OSError, ValueError):
            return f"missing:{file}"
        return f"{file}:{stat.st_mtime_ns}:{stat.st_size}:{row}:{id_column}"

    def load(self, file: str, row: int, id_column: str, delimiter: str = "auto", encoding: str = "auto",
             sheet: str = "", batch_row: str | None = None) -> tuple[dict[str, Any], str, int]:
        if batch_row:
            data = row_from_payload(batch_row)
            return data, str(data["id"]), int(data["row"])

        options = SourceOptions(
            id_column=id_column or "id",
            delimiter=None if delimiter == "auto" else delimiter,
            encoding=None if encoding == "auto" else encoding,
            sheet=sheet or None,
        )
        source = load_source(_input_path(file), options)
        if not 1 <= row <= len(source):
            raise ValueError(f"{file} has {len(source)} rows; pick a row from 1 to {len(source)}")
        for picked in source:
            if picked.number == row:
                data = {"run": MANUAL_RUN_NAME, "id": picked.id, "row": picked.number, "seed": None,
                        "values": dict(picked.values)}
                return data, picked.id, picked.number
        raise ValueError(f"row {row} of {file} was not found")
