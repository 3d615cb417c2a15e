"""The BATCH_ROW value that flows between the batch nodes: a plain dict.

Keys: `run` (run name), `id` (row ID), `row` (1-based row number), `seed`
(the job's seed or None) and `values` (column -> text).
"""

from __future__ import annotations

import json
from typing import Any

CATEGORY = "batch_runner"
MANUAL_RUN_NAME = "manual"


def row_from_payload(payload: str) -> dict[str, Any]:
    data = json.loads(payload)
    if not isinstance(data, dict) or not isinstance(data.get("values"), dict):
        raise ValueError("batch_row must be a JSON object with 'values'")
    return data


def linked_outputs(prompt: dict[str, Any] | None, node_id: str | None) -> set[int] | None:
    """Indexes of NODE_ID's outputs that some input reads, or None when the prompt is unknown."""
    if not prompt or node_id is None:
        return None
    used = set()
    for node in prompt.values():
        for value in (node.get("inputs") or {}).values():
            if isinstance(value, list) and len(value) == 2 and str(value[0]) == str(node_id):
                used.add(value[1])
    return used
