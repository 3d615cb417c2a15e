"""The run's own copy of its job source, so editing the original mid-run changes nothing.

The source file, and a template set's rows file, are copied into
`<run>/source/` when the run starts. After a restart the rows are read back
from that copy with the same options, so they come back with the same IDs.
Copying a file is fast and its size does not grow with the number of
combinations a template set expands to. A rows file outside the template
set's folder cannot be copied beside it; the rows are then written out one
per line instead.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from dataclasses import asdict
from pathlib import Path
from typing import Any, Iterator

from .rows import JobSource, Row, SourceInfo
from .sources import CombinationSource, SourceOptions, load_source
from .storage.atomic import write_lines_atomic

logger = logging.getLogger(__name__)

SNAPSHOT_DIR = "source"
ROWS_FILE = "jobs.jsonl"


def save_source_snapshot(run_dir: Path, source: JobSource, options: SourceOptions) -> dict[str, Any]:
    """Keep a copy of SOURCE in RUN_DIR; returns the record run.json stores to reload it."""
    folder = run_dir / SNAPSHOT_DIR
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    original = Path(source.info.path)
    record: dict[str, Any] = {"options": asdict(options), "count": len(source)}

    extra = _rows_file_beside(source, original)
    if original.is_file() and extra is not False:
        shutil.copy2(original, folder / original.name)
        if extra is not None:
            (folder / extra).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(original.parent / extra, folder / extra)
        return {**record, "kind": "copy", "file": original.name}

    lines = (json.dumps({"row": row.number, "id": row.id, "values": row.values}, ensure_ascii=False)
             for row in source)
    write_lines_atomic(folder / ROWS_FILE, lines)
    return {**record, "kind": "rows", "file": ROWS_FILE, "columns": list(source.info.columns)}


def _rows_file_beside(source: JobSource, original: Path) -> str | None | bool:
    """Return a template set's rows file relative to the set's folder, None without one, False when outside."""
    rows = getattr(source, "rows", None) if isinstance(source, CombinationSource) else None
    if rows is None:
        return None
    relative = os.path.relpath(rows.info.path, original.parent)
    if relative.startswith(".."):
        return False
    return relative


def load_source_snapshot(run_dir: Path, record: dict[str, Any]) -> JobSource:
    """Read a run's rows back from its snapshot."""
    folder = run_dir / SNAPSHOT_DIR
    if record.get("kind") == "copy":
        return load_source(folder / record["file"], SourceOptions(**record.get("options", {})))
    return SnapshotRows(folder / record["file"], record.get("count", 0), tuple(record.get("columns", ())))


class SnapshotRows:
    """Rows written one JSON object per line, read lazily."""

    def __init__(self, path: Path, count: int, columns: tuple[str, ...]) -> None:
        self.path = path
        self.count = count
        self.info = SourceInfo(path=str(path), format="jsonl", columns=columns)

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[Row]:
        yield from read_rows_file(self.path)


def read_rows_file(path: Path) -> Iterator[Row]:
    with open(path, "rb") as source:
        for number, line in enumerate(source, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError:
                logger.warning("Snapshot %s: skipped damaged line %d", path, number)
                continue
            yield Row(data["row"], data["id"], data["values"])
