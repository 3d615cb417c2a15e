"""Node class descriptions for the binding layer, readable without importing ComfyUI.

The server adapter builds a catalog from ComfyUI's registered node classes;
tests build one from plain dictionaries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

PRIMITIVE_TYPES = {"INT", "FLOAT", "STRING", "BOOLEAN"}


@dataclass(frozen=True)
class InputSpec:
    """One declared input of a node class, as INPUT_TYPES describes it.

    `type` is a type name, or "COMBO" when `options` lists the allowed values.
    """

    name: str
    type: str
    options: tuple[Any, ...] | None = None
    min: float | int | None = None
    max: float | int | None = None
    is_image_upload: bool = False
    required: bool = True
    extra: dict[str, Any] = field(default_factory=dict, hash=False)

    def describe_allowed(self) -> str:
        if self.options is not None:
            listed = ", ".join(repr(option) for option in self.options[:20])
            more = f" and {len(self.options) - 20} more" if len(self.options) > 20 else ""
            return f"one of {listed}{more}" if self.options else "nothing is installed for this input"
        parts = [self.type]
        if self.min is not None:
            parts.append(f">= {self.min}")
        if self.max is not None:
            parts.append(f"<= {self.max}")
        return " ".join(parts)


@dataclass(frozen=True)
class NodeSpec:
    class_type: str
    inputs: dict[str, InputSpec]
    output_types: tuple[str, ...]
    has_custom_validation: bool = False


class NodeCatalog(Protocol):
    def node_spec(self, class_type: str) -> NodeSpec | None: ...


def input_spec_from_declaration(name: str, declaration: Any, required: bool) -> InputSpec:
    """Turn one INPUT_TYPES entry such as `("INT", {"min": 0})` or `(["a", "b"], {})` into an InputSpec."""
    if not isinstance(declaration, (tuple, list)) or not declaration:
        return InputSpec(name, "*", required=required)
    kind = declaration[0]
    extra = declaration[1] if len(declaration) > 1 and isinstance(declaration[1], dict) else {}
    if isinstance(kind, (list, tuple)):
        return InputSpec(name, "COMBO", options=tuple(kind), required=required,
                         is_image_upload=bool(extra.get("image_upload")), extra=extra)
    if kind == "COMBO" and isinstance(extra.get("options"), (list, tuple)):
        return InputSpec(name, "COMBO", options=tuple(extra["options"]), required=required,
                         is_image_upload=bool(extra.get("image_upload")), extra=extra)
    return InputSpec(name, str(kind), min=extra.get("min"), max=extra.get("max"),
                     required=required, extra=extra)


def node_spec_from_input_types(class_type: str, input_types: dict[str, Any],
                               output_types: tuple[str, ...] = (),
                               has_custom_validation: bool = False) -> NodeSpec:
    inputs: dict[str, InputSpec] = {}
    for section, required in (("required", True), ("optional", False)):
        for name, declaration in (input_types.get(section) or {}).items():
            inputs[name] = input_spec_from_declaration(name, declaration, required)
    return NodeSpec(class_type, inputs, tuple(str(t) for t in output_types), has_custom_validation)
