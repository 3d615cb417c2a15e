"""Batch Prompt Template: fills {column} placeholders from the row."""

from __future__ import annotations

from typing import Any

from ..batch_runner import node_ids
from ..batch_runner.templates import Template
from .row_data import CATEGORY


class BatchTemplate:
    DESCRIPTION = ("Fills {column} placeholders with the row's values. Other braces, such as {red|blue}, and "
                   "weights such as (word:1.2) are kept as written; {{name}} writes a literal {name}.")
    CATEGORY = CATEGORY
    RETURN_TYPES = ("STRING",)
    RETURN_NAMES = ("text",)
    FUNCTION = "render"

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "row": (node_ids.ROW_TYPE,),
                "template": ("STRING", {"default": "a photo of {prompt}", "multiline": True}),
            }
        }

    def render(self, row: dict[str, Any], template: str) -> tuple[str]:
        compiled = Template(template)
        missing = compiled.unknown_placeholders(row["values"])
        if missing:
            raise ValueError(f"row {row.get('row')} (id {row.get('id')}) has no column "
                             f"{', '.join(repr(name) for name in missing)} used in the template")
        return (compiled.render(row["values"]),)
