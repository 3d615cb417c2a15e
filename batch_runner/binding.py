"""Bind a source's rows to a workflow graph, check every row, and build each job's prompt.

A row reaches the graph three ways:
- the source node's hidden `batch_row` input carries the whole row, read by
  field and template nodes;
- a column named "<node title or id>.<input name>" sets that input directly;
- the seed, chosen per job, replaces the seed column or the graph's seed widgets.
"""

from __future__ import annotations

import copy
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import node_ids
from .catalog import InputSpec, NodeCatalog
from .conversion import ConversionError, convert_for_input
from .graph import Consumer, Prompt, consumers_of, describe_node, find_nodes_by_reference, is_link, nodes_of_class
from .problems import Problem, Severity
from .rows import Row
from .run_options import RunOptions, SeedMode
from .seeds import parse_seed
from .templates import Template

logger = logging.getLogger(__name__)

SEED_INPUT_NAMES = ("seed", "noise_seed")


@dataclass(frozen=True)
class ColumnBinding:
    column: str
    node_id: str
    spec: InputSpec


@dataclass(frozen=True)
class FieldTarget:
    """An input fed by one of a field node's typed outputs."""

    consumer: Consumer
    output_type: str
    spec: InputSpec | None


@dataclass
class FieldUse:
    node_id: str
    column: str
    default: str
    targets: list[FieldTarget]


@dataclass
class TemplateUse:
    node_id: str
    template: Template


@dataclass
class BatchPlan:
    """The bindings from row columns to one graph's inputs, built once and applied to every job."""

    prompt: Prompt
    columns: tuple[str, ...]
    options: RunOptions
    input_dir: Path | None
    source_node_id: str | None = None
    column_bindings: list[ColumnBinding] = field(default_factory=list)
    fields: list[FieldUse] = field(default_factory=list)
    templates: list[TemplateUse] = field(default_factory=list)
    seed_targets: list[tuple[str, str]] = field(default_factory=list)
    source_file: str | None = None

    @property
    def has_seed_column(self) -> bool:
        return self.options.seed_column in self.columns

    def check_row(self, row: Row) -> list[Problem]:
        """Return every problem this row would cause, without building its prompt."""
        problems: list[Problem] = []
        context = {"file": self.source_file, "row": row.number, "row_id": row.id}

        for binding in self.column_bindings:
            text = row.values.get(binding.column, "")
            try:
                convert_for_input(text, binding.spec, self.input_dir)
            except ConversionError as error:
                problems.append(Problem(f"{error} for input '{binding.spec.name}' of "
                                        f"{describe_node(self.prompt, binding.node_id)}",
                                        column=binding.column, value=text, allowed=error.allowed, **context))

        for use in self.fields:
            text = row.values.get(use.column, "") or use.default
            for target in use.targets:
                problem = _check_field_target(self.prompt, use, target, text, self.input_dir)
                if problem:
                    problems.append(Problem(problem[0], column=use.column, value=text, allowed=problem[1], **context))

        for use in self.templates:
            missing = use.template.unknown_placeholders(row.values)
            for name in missing:
                problems.append(Problem(f"template of {describe_node(self.prompt, use.node_id)} uses "
                                        f"'{{{name}}}', but this row has no column '{name}'",
                                        column=name, allowed="write {{" + name + "}} for a literal '{" + name + "}'",
                                        **context))

        if self.options.seed_mode is SeedMode.COLUMN and self.has_seed_column:
            text = row.values.get(self.options.seed_column, "")
            try:
                parse_seed(text)
            except ValueError as error:
                problems.append(Problem(f"invalid seed: {error}", column=self.options.seed_column, value=text,
                                        allowed="a whole number from 0 to 18446744073709551615, or -1 or "
                                                "an empty cell for a random seed", **context))
        return problems

    def resolved_values(self, row: Row, seed: int | None) -> dict[str, str]:
        values = dict(row.values)
        if seed is not None and self.has_seed_column:
            values[self.options.seed_column] = str(seed)
        return values

    def build_prompt(self, row: Row, seed: int | None, run_info: dict[str, Any]) -> Prompt:
        """Return a new prompt for ROW; the plan's graph is never changed.

        RUN_INFO goes into the row payload for the saver: `run` (name), `count`
        (jobs in the run), `started_at` (ISO time) and optional `paths`
        (saver node id -> output path without extension, set for renamed collisions).
        """
        prompt = copy.deepcopy(self.prompt)
        values = self.resolved_values(row, seed)

        if self.source_node_id is not None:
            payload = {**run_info, "id": row.id, "row": row.number, "seed": seed, "values": values}
            prompt[self.source_node_id]["inputs"][node_ids.ROW_INPUT] = json.dumps(payload, ensure_ascii=False)

        for binding in self.column_bindings:
            text = values.get(binding.column, "")
            prompt[binding.node_id]["inputs"][binding.spec.name] = convert_for_input(text, binding.spec, self.input_dir)

        if seed is not None and not self.has_seed_column:
            for node_id, input_name in self.seed_targets:
                prompt[node_id]["inputs"][input_name] = seed
        return prompt


def _check_field_target(prompt: Prompt, use: FieldUse, target: FieldTarget, text: str,
                        input_dir: Path | None) -> tuple[str, str] | None:
    where = f"field node {describe_node(prompt, use.node_id)} feeding input '{target.consumer.input_name}' " \
            f"of {describe_node(prompt, target.consumer.node_id)}"
    spec = target.spec or InputSpec(target.consumer.input_name, target.output_type)
    if target.output_type != spec.type and spec.options is None:
        spec = InputSpec(spec.name, target.output_type, min=spec.min, max=spec.max)
    try:
        convert_for_input(text, spec, input_dir)
    except ConversionError as error:
        return f"{where}: {error}", error.allowed
    return None


def plan_batch(prompt: Prompt, columns: tuple[str, ...], catalog: NodeCatalog, options: RunOptions,
               input_dir: Path | None = None, source_file: str | None = None) -> tuple[BatchPlan, list[Problem]]:
    """Work out how PROMPT reads rows with COLUMNS; returns the plan and every problem found."""
    plan = BatchPlan(prompt, tuple(columns), options, input_dir, source_file=source_file)
    problems: list[Problem] = []

    sources = nodes_of_class(prompt, node_ids.SOURCE)
    if len(sources) > 1:
        problems.append(Problem(f"the graph has {len(sources)} batch source nodes; keep one",
                                value=", ".join(sources)))
    plan.source_node_id = sources[0] if sources else None

    problems += _plan_column_bindings(plan, catalog)
    problems += _plan_fields(plan, catalog)
    problems += _plan_templates(plan)
    _plan_seed_targets(plan, catalog)
    return plan, problems


def _plan_column_bindings(plan: BatchPlan, catalog: NodeCatalog) -> list[Problem]:
    problems = []
    for column in plan.columns:
        if "." not in column:
            continue
        reference, input_name = column.rsplit(".", 1)
        node_ids_found = find_nodes_by_reference(plan.prompt, reference)
        if not node_ids_found:
            problems.append(Problem(f"column looks like '<node title>.<input>', but no node is titled or "
                                    f"numbered '{reference}'; it is kept as plain data",
                                    column=column, severity=Severity.WARNING))
            continue
        if len(node_ids_found) > 1:
            problems.append(Problem(f"{len(node_ids_found)} nodes are titled '{reference}'; give them distinct "
                                    f"titles or use the node id", column=column, value=", ".join(node_ids_found)))
            continue

        node_id = node_ids_found[0]
        spec = catalog.node_spec(plan.prompt[node_id].get("class_type", ""))
        input_spec = spec.inputs.get(input_name) if spec else None
        if input_spec is None:
            known = ", ".join(spec.inputs) if spec else "unknown node class"
            problems.append(Problem(f"{describe_node(plan.prompt, node_id)} has no input '{input_name}'",
                                    column=column, allowed=known))
            continue
        if is_link(plan.prompt[node_id].get("inputs", {}).get(input_name)):
            problems.append(Problem(f"input '{input_name}' of {describe_node(plan.prompt, node_id)} is connected "
                                    f"to another node; the column replaces that connection",
                                    column=column, severity=Severity.WARNING))
        plan.column_bindings.append(ColumnBinding(column, node_id, input_spec))
    return problems


def _plan_fields(plan: BatchPlan, catalog: NodeCatalog) -> list[Problem]:
    problems = []
    for node_id in nodes_of_class(plan.prompt, node_ids.FIELD):
        inputs = plan.prompt[node_id].get("inputs", {})
        column = inputs.get("column")
        if not isinstance(column, str):
            continue
        if column not in plan.columns:
            problems.append(Problem(f"field node {describe_node(plan.prompt, node_id)} reads column '{column}', "
                                    f"which the source does not have", column=column,
                                    allowed=", ".join(plan.columns)))
            continue
        targets = []
        for consumer in consumers_of(plan.prompt, node_id):
            output_type = node_ids.FIELD_OUTPUTS[consumer.output_index] \
                if consumer.output_index < len(node_ids.FIELD_OUTPUTS) else "STRING"
            spec = catalog.node_spec(consumer.class_type)
            targets.append(FieldTarget(consumer, output_type, spec.inputs.get(consumer.input_name) if spec else None))
        default = inputs.get("default") if isinstance(inputs.get("default"), str) else ""
        plan.fields.append(FieldUse(node_id, column, default, targets))
    return problems


def _plan_templates(plan: BatchPlan) -> list[Problem]:
    for node_id in nodes_of_class(plan.prompt, node_ids.TEMPLATE):
        text = plan.prompt[node_id].get("inputs", {}).get("template")
        if isinstance(text, str):
            plan.templates.append(TemplateUse(node_id, Template(text)))
    return []


def _plan_seed_targets(plan: BatchPlan, catalog: NodeCatalog) -> None:
    """Collect unconnected seed widgets, set per job when the source has no seed column."""
    for node_id, node in plan.prompt.items():
        spec = catalog.node_spec(node.get("class_type", ""))
        for input_name in SEED_INPUT_NAMES:
            value = node.get("inputs", {}).get(input_name)
            if spec and input_name in spec.inputs and value is not None and not is_link(value):
                plan.seed_targets.append((node_id, input_name))
