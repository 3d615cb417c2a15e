"""Output naming: patterns with row tokens, safe path components, confinement and collisions.

The modules follow the order of the work. `pattern` parses and checks a
pattern, and `tokens` expands each token for a row. `safe_names` turns the
text into names that every file system accepts, `paths` joins them under the
run folder, and `collisions` keeps the names of a whole batch distinct.
"""

from .collisions import UniqueNames, assign_unique_names, collision_key
from .paths import (
    DEFAULT_NAME_PATTERN,
    DEFAULT_SUBFOLDER_PATTERN,
    OutputPathError,
    ensure_inside,
    output_relative_path,
    resolve_output_path,
)
from .pattern import PatternError, check_pattern, pattern_fields
from .safe_names import MAX_COMPONENT_BYTES, MAX_FILE_NAME_BYTES, SIDECAR_SUFFIX, safe_component
from .tokens import BUILTIN_TOKENS, DATE_DIRECTIVES, NamingContext

__all__ = [
    "BUILTIN_TOKENS",
    "DATE_DIRECTIVES",
    "DEFAULT_NAME_PATTERN",
    "DEFAULT_SUBFOLDER_PATTERN",
    "MAX_COMPONENT_BYTES",
    "MAX_FILE_NAME_BYTES",
    "SIDECAR_SUFFIX",
    "NamingContext",
    "OutputPathError",
    "PatternError",
    "UniqueNames",
    "assign_unique_names",
    "check_pattern",
    "collision_key",
    "ensure_inside",
    "output_relative_path",
    "pattern_fields",
    "resolve_output_path",
    "safe_component",
]
