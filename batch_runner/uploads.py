"""Saving an uploaded job file into ComfyUI's input folder under a safe name."""

from __future__ import annotations

import os
import re
from pathlib import Path

from .sources import SUPPORTED_EXTENSIONS
from .storage.atomic import write_bytes_atomic

MAX_UPLOAD_BYTES = 200 * 1024 * 1024
UNSAFE_CHARACTERS = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')


class UploadError(ValueError):
    pass


def safe_upload_name(name: str) -> str:
    """Reduce NAME to a plain file name: no folders, no characters any OS rejects."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = UNSAFE_CHARACTERS.sub("_", base).strip(" .")
    stem, extension = os.path.splitext(base)
    if extension.lower() not in SUPPORTED_EXTENSIONS:
        raise UploadError(f"'{name}' is not a supported job file; use one of {', '.join(sorted(SUPPORTED_EXTENSIONS))}")
    return (stem or "jobs")[:200] + extension.lower()


def save_upload(input_dir: Path, name: str, content: bytes, overwrite: bool = False) -> str:
    """Write CONTENT into INPUT_DIR; an existing file of that name is kept and a numbered name used."""
    if len(content) > MAX_UPLOAD_BYTES:
        raise UploadError(f"the file is {len(content)} bytes; the limit is {MAX_UPLOAD_BYTES}")
    safe = safe_upload_name(name)
    stem, extension = os.path.splitext(safe)
    candidate = safe
    number = 1
    while (input_dir / candidate).exists() and not overwrite:
        if (input_dir / candidate).read_bytes() == content:
            return candidate
        number += 1
        candidate = f"{stem}_{number}{extension}"
    write_bytes_atomic(input_dir / candidate, content)
    return candidate
