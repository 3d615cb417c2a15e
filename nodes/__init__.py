"""Node classes. Each one is thin: it reads its inputs and calls the core package."""

from ..batch_runner import node_ids
from .field import BatchField
from .save import BatchSave
from .source import BatchSource
from .template import BatchTemplate

NODE_CLASS_MAPPINGS = {
    node_ids.SOURCE: BatchSource,
    node_ids.FIELD: BatchField,
    node_ids.TEMPLATE: BatchTemplate,
    node_ids.SAVE: BatchSave,
}

NODE_DISPLAY_NAME_MAPPINGS = {
    node_ids.SOURCE: "Batch Source (CSV, XLSX, JSON)",
    node_ids.FIELD: "Batch Field",
    node_ids.TEMPLATE: "Batch Prompt Template",
    node_ids.SAVE: "Batch Save Image",
}
