"""Job order: the file's order, or grouped so each model loads once.

ComfyUI's classic cache keeps only the previous prompt's node outputs, so
two jobs that use the same checkpoint reuse the loaded model only when they
run back to back.
"""

from __future__ import annotations

from .binding import BatchPlan
from .rows import Row
from .run_options import Ordering, RunOptions

LOADER_HINTS = ("loader",)


def grouping_columns(plan: BatchPlan, options: RunOptions) -> list[str]:
    """Columns that feed loader inputs, or the inputs the user named as "<node title>.<input>"."""
    named = set(options.group_inputs)
    columns: list[str] = []

    for binding in plan.column_bindings:
        class_type = plan.prompt[binding.node_id].get("class_type", "")
        if binding.column in named or _is_loader(class_type):
            columns.append(binding.column)

    for use in plan.fields:
        for target in use.targets:
            title = plan.prompt[target.consumer.node_id].get("_meta", {}).get("title", "")
            reference = f"{title}.{target.consumer.input_name}"
            if _is_loader(target.consumer.class_type) or reference in named:
                columns.append(use.column)

    for name in named:
        if name in plan.columns:
            columns.append(name)
    return list(dict.fromkeys(columns))


def _is_loader(class_type: str) -> bool:
    return any(hint in class_type.lower() for hint in LOADER_HINTS)


def order_jobs(plan: BatchPlan, rows: list[Row], options: RunOptions) -> list[Row]:
    """Return ROWS in run order; grouping keeps file order inside each group and between first uses."""
    if options.ordering is not Ordering.GROUP_MODELS:
        return rows
    columns = grouping_columns(plan, options)
    if not columns:
        return rows

    first_seen: dict[tuple[str, ...], int] = {}
    for index, row in enumerate(rows):
        first_seen.setdefault(tuple(row.values.get(c, "") for c in columns), index)
    return sorted(rows, key=lambda row: first_seen[tuple(row.values.get(c, "") for c in columns)])
