"""The manifest: one JSON line per finished attempt of a row, and a CSV view of it.

The JSONL file is append-only, and for each row the last line wins. A row
that was retried or rerun after a crash therefore shows its final outcome.
The CSV is rebuilt from it (atomically) for spreadsheet users.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from datetime import datetime, timezone
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator

from .atomic import AppendLog, write_text_atomic

logger = logging.getLogger(__name__)

MANIFEST_JSONL = "manifest.jsonl"
MANIFEST_CSV = "manifest.csv"
CSV_COLUMNS = ["row", "row_id", "status", "attempts", "seed", "files", "prompt_text",
               "prompt_id", "started_at", "finished_at", "seconds", "error"]


@dataclass
class ManifestRecord:
    """The outcome of one row. Times are Unix seconds; `files` are relative to the run folder."""

    row: int
    row_id: str
    status: str
    attempts: int
    prompt_id: str | None = None
    seed: int | None = None
    files: list[str] = field(default_factory=list)
    prompt_text: str | None = None
    values: dict[str, str] = field(default_factory=dict)
    started_at: float | None = None
    finished_at: float | None = None
    seconds: float | None = None
    error: dict[str, Any] | None = None

    def to_json(self) -> str:
        data = asdict(self)
        # Seeds go up to 2**64-1; JSON readers that use doubles would round them.
        if self.seed is not None:
            data["seed"] = str(self.seed)
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ManifestRecord":
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        if known.get("seed") is not None:
            known["seed"] = int(known["seed"])
        return cls(**known)


class Manifest:
    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.jsonl_path = run_dir / MANIFEST_JSONL
        self.csv_path = run_dir / MANIFEST_CSV
        self._log = AppendLog(self.jsonl_path)

    def append(self, record: ManifestRecord) -> None:
        self._log.append(record.to_json())

    def close(self) -> None:
        self._log.close()

    def latest_records(self) -> dict[str, ManifestRecord]:
        """Return the last record of each row, skipping lines a crash cut short."""
        latest: dict[str, ManifestRecord] = {}
        for record in self._read_records():
            latest[record.row_id] = record
        return latest

    def _read_records(self) -> Iterator[ManifestRecord]:
        if not self.jsonl_path.exists():
            return
        with open(self.jsonl_path, "rb") as source:
            for number, line in enumerate(source, start=1):
                if not line.strip():
                    continue
                try:
                    yield ManifestRecord.from_dict(json.loads(line))
                except (UnicodeDecodeError, json.JSONDecodeError, TypeError, ValueError) as error:
                    logger.warning("Manifest %s: skipped damaged line %d: %s", self.jsonl_path, number, error)

    def write_csv(self) -> Path:
        """Rebuild manifest.csv from the JSONL file, ordered by row number."""
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        for record in sorted(self.latest_records().values(), key=lambda r: r.row):
            writer.writerow(_csv_row(record))
        write_text_atomic(self.csv_path, buffer.getvalue())
        return self.csv_path


def _csv_row(record: ManifestRecord) -> list[str]:
    error = ""
    if record.error:
        error = record.error.get("message", "")
        if record.error.get("node_type"):
            error = f"{record.error['node_type']} (node {record.error.get('node_id')}): {error}"
    return [
        str(record.row), record.row_id, record.status, str(record.attempts),
        "" if record.seed is None else str(record.seed),
        ";".join(record.files), record.prompt_text or "", record.prompt_id or "",
        _format_time(record.started_at), _format_time(record.finished_at),
        "" if record.seconds is None else f"{record.seconds:.3f}", error,
    ]


def _format_time(timestamp: float | None) -> str:
    if timestamp is None:
        return ""
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).isoformat(timespec="seconds")
