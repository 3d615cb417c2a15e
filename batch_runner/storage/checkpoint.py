"""The checkpoint: IDs of rows whose outputs are on disk, one JSON string per line.

JSON strings (not bare text) because an ID may contain any character,
line breaks included, and because a line cut off by a crash is then never a
valid entry. A row's ID is appended only after its files are written, so a
row missing from the checkpoint is run again and one present never is.
"""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from .atomic import AppendLog, write_lines_atomic

logger = logging.getLogger(__name__)

CHECKPOINT_FILE = "checkpoint.txt"
# A JSON string of printable ASCII with no escapes: its text is what lies between the quotes.
_PLAIN_ENTRY = re.compile(rb'"[\x20\x21\x23-\x5b\x5d-\x7e]*"')


@dataclass
class CheckpointDamage:
    """A stretch of the checkpoint that was not a complete entry."""

    line: int
    byte_offset: int
    text: str


@dataclass
class Checkpoint:
    path: Path
    completed: set[str] = field(default_factory=set)
    damage: list[CheckpointDamage] = field(default_factory=list)
    _log: AppendLog | None = field(default=None, repr=False)

    @classmethod
    def open(cls, run_dir: Path) -> "Checkpoint":
        """Load the checkpoint in RUN_DIR, setting aside any damaged part.

        A damaged file is kept beside the repaired one as
        `checkpoint.txt.damaged-<unix time>` so nothing is thrown away.
        """
        checkpoint = cls(run_dir / CHECKPOINT_FILE)
        if checkpoint.path.exists():
            checkpoint._load()
        return checkpoint

    def _load(self) -> None:
        raw = self.path.read_bytes()
        offset = 0
        for number, line in enumerate(raw.split(b"\n"), start=1):
            start = offset
            offset += len(line) + 1
            if not line.strip():
                continue
            entry = _parse_entry(line)
            if entry is None:
                self.damage.append(CheckpointDamage(number, start, line[:80].decode("utf-8", "replace")))
            else:
                self.completed.add(entry)

        ends_cleanly = raw.endswith(b"\n") or not raw
        if self.damage or not ends_cleanly:
            self._repair(raw)

    def _repair(self, raw: bytes) -> None:
        for damage in self.damage:
            logger.warning("Checkpoint %s: ignored a damaged entry at line %d (byte %d): %r",
                           self.path, damage.line, damage.byte_offset, damage.text)
        backup = self.path.with_name(f"{self.path.name}.damaged-{int(time.time())}")
        backup.write_bytes(raw)
        write_lines_atomic(self.path, sorted(json.dumps(entry, ensure_ascii=False) for entry in self.completed))
        logger.warning("Checkpoint %s: kept %d complete entries; the damaged file is saved as %s",
                       self.path, len(self.completed), backup)

    def __contains__(self, row_id: str) -> bool:
        return row_id in self.completed

    def __len__(self) -> int:
        return len(self.completed)

    def mark_done(self, row_id: str) -> None:
        """Record ROW_ID as complete; durable on disk when this returns."""
        if row_id in self.completed:
            return
        if self._log is None:
            self._log = AppendLog(self.path)
        self._log.append(json.dumps(row_id, ensure_ascii=False))
        self.completed.add(row_id)

    def close(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


def _parse_entry(line: bytes) -> str | None:
    # Most IDs need no JSON escapes; slicing them is several times faster than
    # json.loads, which matters for checkpoints of 100,000 entries.
    if _PLAIN_ENTRY.fullmatch(line):
        return line[1:-1].decode("ascii")
    try:
        value = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return value if isinstance(value, str) else None
