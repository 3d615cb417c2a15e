"""Finding job files in ComfyUI's input folder."""

from __future__ import annotations

import os
from pathlib import Path

from .load import SUPPORTED_EXTENSIONS


def list_job_files(root: Path) -> list[str]:
    """Return the job files under ROOT and its subfolders, as sorted names relative to ROOT.

    Hidden folders are skipped.
    """
    found = []
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
        for file_name in sorted(files):
            if Path(file_name).suffix.lower() in SUPPORTED_EXTENSIONS:
                found.append(Path(folder, file_name).relative_to(root).as_posix())
    return found
