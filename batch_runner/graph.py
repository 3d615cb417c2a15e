"""Read-only helpers over an API-format prompt: `{node_id: {"class_type", "inputs", "_meta"}}`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

Prompt = dict[str, dict[str, Any]]


def is_link(value: Any) -> bool:
    """True for `[node_id, output_index]`, the way an API prompt writes a connection."""
    return (isinstance(value, list) and len(value) == 2
            and isinstance(value[0], str) and isinstance(value[1], int))


def node_title(prompt: Prompt, node_id: str) -> str:
    node = prompt[node_id]
    return (node.get("_meta") or {}).get("title") or node.get("class_type", "?")


def describe_node(prompt: Prompt, node_id: str) -> str:
    return f"'{node_title(prompt, node_id)}' (node {node_id}, {prompt[node_id].get('class_type')})"


def nodes_of_class(prompt: Prompt, class_type: str) -> list[str]:
    return sorted((node_id for node_id, node in prompt.items() if node.get("class_type") == class_type),
                  key=_id_sort_key)


def _id_sort_key(node_id: str) -> tuple[int, str]:
    return (int(node_id), "") if node_id.isdigit() else (1 << 62, node_id)


@dataclass(frozen=True)
class Consumer:
    """One input that reads a node's output."""

    node_id: str
    class_type: str
    input_name: str
    output_index: int


def consumers_of(prompt: Prompt, producer_id: str) -> Iterator[Consumer]:
    for node_id, node in prompt.items():
        for input_name, value in node.get("inputs", {}).items():
            if is_link(value) and value[0] == producer_id:
                yield Consumer(node_id, node.get("class_type", ""), input_name, value[1])


def find_nodes_by_reference(prompt: Prompt, reference: str) -> list[str]:
    """Find nodes a column name refers to: by exact title first, then by node id."""
    by_title = [node_id for node_id in prompt if node_title(prompt, node_id) == reference]
    if by_title:
        return sorted(by_title, key=_id_sort_key)
    return [reference] if reference in prompt else []
