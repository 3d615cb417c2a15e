"""Crash-safe file writes: whole-file rewrites by rename, appends flushed to disk."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterable

# Temporary files start with this; one left behind by a crash can be deleted.
TEMP_FILE_PREFIX = ".tmp-"


def write_file_atomically(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Create or replace PATH with what WRITE puts into a binary stream, all or nothing.

    The temporary file has a short random name, so it fits even when PATH's own
    name is at the length limit. It is created with the usual permissions (0666
    minus the umask), so the final file is readable like any other output.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temp_path, handle = _create_temp_file(path.parent, path.suffix)
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp_path, path)
    except BaseException:
        temp_path.unlink(missing_ok=True)
        raise
    _sync_folder(path.parent)


def _create_temp_file(folder: Path, suffix: str) -> tuple[Path, int]:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        temp_path = folder / f"{TEMP_FILE_PREFIX}{secrets.token_hex(6)}{suffix[:12]}"
        try:
            return temp_path, os.open(temp_path, flags, 0o666)
        except FileExistsError:
            continue
    raise FileExistsError(f"could not create a temporary file in {folder}: 100 random names were taken")


def _sync_folder(folder: Path) -> None:
    # POSIX needs the folder synced for the rename itself to survive a power cut.
    # Windows cannot open a folder this way, and NTFS journals the rename anyway.
    if os.name != "posix":
        return
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def write_text_atomic(path: Path, text: str | Iterable[str]) -> None:
    """Replace PATH with TEXT (a string or chunks of one) so a reader sees the old file or the new one."""
    chunks = [text] if isinstance(text, str) else text

    def write(stream: BinaryIO) -> None:
        for chunk in chunks:
            stream.write(chunk.encode("utf-8"))

    write_file_atomically(path, write)


def write_bytes_atomic(path: Path, content: bytes) -> None:
    write_file_atomically(path, lambda stream: stream.write(content))


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
