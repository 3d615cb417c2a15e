"""Batch Field: one column of the row as text, whole number, decimal number or boolean."""

from __future__ import annotations

from typing import Any

from ..batch_runner import node_ids
from ..batch_runner.values import parse_bool, parse_float, parse_int
from .row_data import CATEGORY, linked_outputs

PARSERS = (str, parse_int, parse_float, parse_bool)


class BatchField:
    DESCRIPTION = "Outputs one column of the batch row. Connect the output of the type the target input needs."
    CATEGORY = CATEGORY
    RETURN_TYPES = node_ids.FIELD_OUTPUTS
    RETURN_NAMES = ("text", "integer", "number", "boolean")
    FUNCTION = "read"

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "row": (node_ids.ROW_TYPE,),
                "column": ("STRING", {"default": "prompt"}),
            },
            "optional": {
                "default": ("STRING", {"default": "", "tooltip": "Used when the cell is empty."}),
            },
            "hidden": {"prompt": "PROMPT", "unique_id": "UNIQUE_ID"},
        }

    def read(self, row: dict[str, Any], column: str, default: str = "", prompt: dict | None = None,
             unique_id: str | None = None) -> tuple[Any, ...]:
        values = row["values"]
        if column not in values:
            raise ValueError(f"row {row.get('row')} (id {row.get('id')}) has no column '{column}'; "
                             f"columns: {', '.join(values)}")
        text = values[column] or default

        # Only outputs that are connected are converted, so a text column can feed
        # a STRING input without failing the unused INT conversion.
        used = linked_outputs(prompt, unique_id)
        results = []
        for index, parse in enumerate(PARSERS):
            if used is not None and index not in used:
                results.append(None)
                continue
            try:
                results.append(parse(text))
            except ValueError as error:
                raise ValueError(f"row {row.get('row')} (id {row.get('id')}), column '{column}': "
                                 f"{error}") from None
        return tuple(results)
