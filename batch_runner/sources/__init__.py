"""Job sources: CSV, TSV, XLSX, JSON and JSONL files, and template sets, read as rows of text."""

from .combinations import PROMPT_COLUMN, CombinationSource, Variable, combination_id
from .load import SUPPORTED_EXTENSIONS, load_source
from .options import SourceOptions
from .table import TableSource
from .template_set import build_template_set

__all__ = [
    "PROMPT_COLUMN",
    "SUPPORTED_EXTENSIONS",
    "CombinationSource",
    "SourceOptions",
    "TableSource",
    "Variable",
    "build_template_set",
    "combination_id",
    "load_source",
]
