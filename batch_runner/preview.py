"""The values a job will set, listed input by input, for the preview route and the panel."""

from __future__ import annotations

from typing import Any

from .binding import BatchPlan
from .catalog import InputSpec
from .conversion import ConversionError, convert_for_input
from .graph import node_title
from .rows import Row
from .seeds import derived_seed, parse_seed
from .values import parse_bool, parse_float, parse_int


def resolved_inputs(plan: BatchPlan, row: Row) -> list[dict[str, Any]]:
    """List each (node, input, value) this row sets; seeds chosen at queue time read 'random'."""
    seed = _preview_seed(plan, row)
    values = plan.resolved_values(row, seed if isinstance(seed, int) else None)
    entries: list[dict[str, Any]] = []

    for binding in plan.column_bindings:
        entries.append(_entry(plan, binding.node_id, binding.spec.name,
                              _converted(values.get(binding.column, ""), binding.spec, plan), binding.column))

    for use in plan.fields:
        text = values.get(use.column, "") or use.default
        for target in use.targets:
            entries.append(_entry(plan, target.consumer.node_id, target.consumer.input_name,
                                  _field_value(text, target.output_type), use.column))

    for use in plan.templates:
        rendered = None if use.template.unknown_placeholders(values) else use.template.render(values)
        entries.append(_entry(plan, use.node_id, "template", rendered, None))

    if not plan.has_seed_column and seed is not None:
        for node_id, input_name in plan.seed_targets:
            entries.append(_entry(plan, node_id, input_name, seed, None))
    return entries


def _preview_seed(plan: BatchPlan, row: Row) -> int | str | None:
    mode = plan.options.seed_mode.value
    if mode == "random":
        return "random"
    if mode == "derived":
        return derived_seed(row.id)
    if mode == "column" and plan.has_seed_column:
        try:
            seed = parse_seed(row.values.get(plan.options.seed_column, ""))
        except ValueError:
            return None
        return "random" if seed is None else seed
    return None


def _converted(text: str, spec: InputSpec, plan: BatchPlan) -> Any:
    try:
        return convert_for_input(text, spec, plan.input_dir)
    except ConversionError:
        return text


def _field_value(text: str, output_type: str) -> Any:
    parsers = {"INT": parse_int, "FLOAT": parse_float, "BOOLEAN": parse_bool}
    try:
        return parsers[output_type](text) if output_type in parsers else text
    except ValueError:
        return text


def _entry(plan: BatchPlan, node_id: str, input_name: str, value: Any, column: str | None) -> dict[str, Any]:
    # Integers above 2**53 lose digits in JavaScript, so large ones travel as text.
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53:
        value = str(value)
    return {"node_id": node_id, "node": node_title(plan.prompt, node_id), "input": input_name,
            "value": value, "column": column}
