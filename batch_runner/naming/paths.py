"""Output paths: a row's naming patterns expanded into a safe path inside the run folder."""

from __future__ import annotations

import functools
import logging
import os
import re
from pathlib import Path, PurePosixPath

from ..problems import Severity
from .pattern import ParsedPattern, PatternError, Segment, check_pattern, parse_pattern
from .safe_names import fit_component, fit_file_name, safe_component
from .tokens import NamingContext, expand_token

logger = logging.getLogger(__name__)

DEFAULT_SUBFOLDER_PATTERN = ""
DEFAULT_NAME_PATTERN = "{index}_{id}"

# An image index is appended as "_NNN" when a row makes several images and the
# patterns have no {image} token, so the images do not overwrite each other.
IMAGE_SUFFIX_WIDTH = 3

_EXTENSION = re.compile(r"[A-Za-z0-9]{1,16}")


class OutputPathError(Exception):
    """Raised when an output path would leave the run folder, for example through a symlink."""


def resolve_output_path(
    run_dir: Path,
    subfolder_pattern: str,
    name_pattern: str,
    context: NamingContext,
    extension: str,
    image_index: int | None = None,
) -> Path:
    """Return the path of one output file of CONTEXT's row, guaranteed to be inside RUN_DIR.

    Pass IMAGE_INDEX (1-based) when the row makes several images, and None when
    it makes one. Nothing is created on disk.

    Raises PatternError if a pattern has errors (see `check_pattern`), ValueError
    for an invalid extension or image index, and OutputPathError if the path,
    with symlinks resolved, is not inside RUN_DIR.
    """
    relative = output_relative_path(subfolder_pattern, name_pattern, context, extension, image_index)
    path = Path(run_dir).joinpath(*relative.parts)
    ensure_inside(run_dir, path)
    return path


def output_relative_path(
    subfolder_pattern: str,
    name_pattern: str,
    context: NamingContext,
    extension: str,
    image_index: int | None = None,
) -> PurePosixPath:
    """Return the output path relative to the run folder, without touching the disk.

    Every component is made by `safe_component`, so none is empty, "." or "..",
    and none contains a separator. The file name is at most MAX_FILE_NAME_BYTES
    and each folder name at most MAX_COMPONENT_BYTES of UTF-8.
    """
    extension = _check_extension(extension)
    if image_index is not None and image_index < 1:
        raise ValueError(f"image index must be 1 or more, got {image_index}")

    columns = list(context.row.values)
    subfolder = _parse_checked(subfolder_pattern, columns, is_subfolder=True)
    name = _parse_checked(name_pattern, columns, is_subfolder=False)

    folders = [_expand_component(component, context, image_index) for component in subfolder.components]
    folders += [_expand_component(component, context, image_index) for component in name.components[:-1]]
    folders = [fit_component(folder) for folder in folders]

    stem = _expand_component(name.components[-1], context, image_index)
    uses_image_token = any(token.name == "image" for token in [*subfolder.tokens(), *name.tokens()])
    suffix = "" if image_index is None or uses_image_token else f"_{image_index:0{IMAGE_SUFFIX_WIDTH}d}"
    file_name = fit_file_name(stem, extension, suffix)

    return PurePosixPath(*folders, file_name)


def ensure_inside(run_dir: Path, path: Path) -> None:
    """Raise OutputPathError unless PATH, with every symlink resolved, is inside RUN_DIR.

    A folder or file on the way that is a symlink to somewhere outside RUN_DIR
    makes the check fail. Parts of PATH that do not exist yet are taken as written.
    """
    # NOTE: this checks the disk as it is now. A symlink created between this
    # check and the write is not caught; the run folder must not be writable by
    # anyone who is not trusted.
    root = os.path.realpath(run_dir)
    resolved = os.path.realpath(path)
    try:
        inside = os.path.commonpath([root, resolved]) == root and resolved != root
    except ValueError:  # different drives on Windows
        inside = False

    if not inside:
        logger.warning("Rejected output path %s: it resolves to %s, outside the run folder %s",
                       path, resolved, root)
        raise OutputPathError(
            f"output path {str(path)!r} resolves to {resolved!r}, which is outside the run folder {root!r}; "
            "remove the symlink that leads out of the run folder"
        )


def _parse_checked(pattern: str, columns: list[str], *, is_subfolder: bool) -> ParsedPattern:
    return _parse_checked_cached(pattern, tuple(columns), is_subfolder)


# A batch names every row with the same two patterns and columns, so each
# pattern is parsed and checked once rather than once per row.
@functools.lru_cache(maxsize=256)
def _parse_checked_cached(pattern: str, columns: tuple[str, ...], is_subfolder: bool) -> ParsedPattern:
    errors = [problem for problem in check_pattern(pattern, columns, is_subfolder=is_subfolder)
              if problem.severity is Severity.ERROR]
    if errors:
        raise PatternError(errors)
    parsed, _ = parse_pattern(pattern, is_subfolder=is_subfolder)
    return parsed


def _expand_component(component: tuple[Segment, ...], context: NamingContext, image_index: int | None) -> str:
    parts = [
        segment if isinstance(segment, str) else expand_token(segment.name, segment.spec, context, image_index)
        for segment in component
    ]
    return safe_component("".join(parts))


def _check_extension(extension: str) -> str:
    bare = extension[1:] if extension.startswith(".") else extension
    if not _EXTENSION.fullmatch(bare):
        raise ValueError(f"invalid file extension {extension!r}; expected 1 to 16 ASCII letters or digits")
    return bare.lower()
