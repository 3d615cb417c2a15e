"""Crash-safe file writes: whole-file rewrites by rename, appends flushed to disk."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterable


def write_text_atomic(path: Path, text: str | Iterable[str]) -> None:
    """Replace PATH with TEXT (a string or chunks of one) so a reader sees the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as temp_file:
            if isinstance(text, str):
                temp_file.write(text)
            else:
                temp_file.writelines(text)
            temp_file.flush()
            os.fsync(temp_file.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def write_bytes_atomic(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as temp_file:
            temp_file.write(content)
            temp_file.flush()
            os.fsync(temp_file.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def write_json_atomic(path: Path, data: Any) -> None:
    write_text_atomic(path, json.dumps(data, ensure_ascii=False, indent=1) + "\n")


def write_lines_atomic(path: Path, lines: Iterable[str]) -> None:
    write_text_atomic(path, (line + "\n" for line in lines))


class AppendLog:
    """A line-per-record file whose every append reaches the disk before returning."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = None

    def append(self, line: str) -> None:
        if "\n" in line:
            raise ValueError("an appended record must be a single line")
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "a", encoding="utf-8", newline="")
        self._file.write(line + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
