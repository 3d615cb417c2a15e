"""Node class descriptions read from ComfyUI's registered nodes."""

from __future__ import annotations

import logging
from typing import Any

import nodes

from ..batch_runner.binding import BatchPlan
from ..batch_runner.catalog import NodeSpec, node_spec_from_input_types
from ..batch_runner.problems import Problem

logger = logging.getLogger(__name__)


class ComfyNodeCatalog:
    """Reads INPUT_TYPES once per class; make a new catalog per request, since option lists
    (installed checkpoints, input files) change while ComfyUI runs."""

    def __init__(self) -> None:
        self._specs: dict[str, NodeSpec | None] = {}

    def node_spec(self, class_type: str) -> NodeSpec | None:
        if class_type not in self._specs:
            self._specs[class_type] = self._read(class_type)
        return self._specs[class_type]

    def _read(self, class_type: str) -> NodeSpec | None:
        node_class = nodes.NODE_CLASS_MAPPINGS.get(class_type)
        if node_class is None:
            return None
        try:
            input_types = node_class.INPUT_TYPES()
        except Exception:  # a broken third-party node must not break every batch
            logger.exception("Node class %s: INPUT_TYPES() failed", class_type)
            return None
        validate = getattr(node_class, "VALIDATE_INPUTS", None)
        return node_spec_from_input_types(class_type, input_types, tuple(getattr(node_class, "RETURN_TYPES", ())),
                                          has_custom_validation=validate is not None)


def needs_full_validation(catalog: ComfyNodeCatalog, plan: BatchPlan) -> bool:
    """True when a node whose inputs are set per row checks them with its own VALIDATE_INPUTS."""
    bound_nodes = {binding.node_id for binding in plan.column_bindings}
    for use in plan.fields:
        bound_nodes.update(target.consumer.node_id for target in use.targets)
    for node_id in bound_nodes:
        spec = catalog.node_spec(plan.prompt[node_id].get("class_type", ""))
        if spec is not None and spec.has_custom_validation:
            return True
    return False


def problems_from_validation(error: Any, node_errors: dict[str, Any], prompt: dict[str, Any]) -> list[Problem]:
    """Translate ComfyUI's validate_prompt report into Problems naming node and input."""
    problems = []
    for node_id, report in (node_errors or {}).items():
        title = (prompt.get(node_id, {}).get("_meta") or {}).get("title") or report.get("class_type", "?")
        for item in report.get("errors", []):
            extra = item.get("extra_info") or {}
            received = extra.get("received_value")
            problems.append(Problem(
                f"ComfyUI rejected node '{title}' (node {node_id}, {report.get('class_type')}): "
                f"{item.get('message', '')}: {item.get('details', '')}".rstrip(": "),
                column=f"{title}.{extra['input_name']}" if extra.get("input_name") else None,
                value=None if received is None else str(received),
            ))
    if not problems and error:
        message = error.get("message") if isinstance(error, dict) else str(error)
        details = error.get("details") if isinstance(error, dict) else ""
        problems.append(Problem(f"ComfyUI rejected the workflow: {message} {details}".strip()))
    return problems
