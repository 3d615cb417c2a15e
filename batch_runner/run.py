"""A run: one named batch, its jobs, and the files in its folder that let it resume.

Folder layout, inside ComfyUI's output directory:
    <run name>/run.json         spec and last known state (rewritten atomically)
    <run name>/source/          a copy of the job source as it was when the run started
    <run name>/checkpoint.txt   IDs of rows whose outputs are on disk
    <run name>/manifest.jsonl   one line per finished attempt
    <run name>/manifest.csv     the manifest for spreadsheets
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timezone
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from .binding import BatchPlan
from .jobs import Job, JobStatus, RateMeter, RunCounts, RunState
from .rows import JobSource, Row
from .run_options import RunOptions
from .storage.atomic import TEMP_FILE_PREFIX, write_json_atomic
from .storage.checkpoint import Checkpoint
from .storage.manifest import Manifest

logger = logging.getLogger(__name__)

SPEC_FILE = "run.json"


@dataclass
class Run:
    name: str
    run_dir: Path
    plan: BatchPlan
    options: RunOptions
    workflow: dict[str, Any] | None = None
    state: RunState = RunState.RUNNING
    created_at: float = field(default_factory=time.time)
    started_at: float | None = None
    finished_at: float | None = None
    note: str | None = None
    # Rows are pulled from `stream` as the window has room, so a run of a million
    # template combinations never keeps them all in memory. `jobs` keeps only the rows in
    # progress, waiting for a retry, failed or suspect; finished rows are counted.
    source: JobSource | None = None
    stream: Iterator[Row] | None = None
    stream_done: bool = False
    skipped_seen: int = 0
    done_count: int = 0
    snapshot: dict[str, Any] = field(default_factory=dict)
    jobs: dict[str, Job] = field(default_factory=dict)
    pending: deque[str] = field(default_factory=deque)
    in_flight: dict[str, str] = field(default_factory=dict)  # prompt id -> row id
    retry_timers: int = 0
    checks_in_progress: int = 0
    skipped: int = 0
    submitted_this_session: int = 0
    rate: RateMeter = field(default_factory=RateMeter)
    latest_outputs: list[dict[str, Any]] = field(default_factory=list)
    path_overrides: dict[str, dict[str, str]] = field(default_factory=dict)
    checkpoint: Checkpoint | None = None
    manifest: Manifest | None = None

    @property
    def run_id(self) -> str:
        return self.run_dir.name

    def counts(self) -> RunCounts:
        total = len(self.source) if self.source is not None else len(self.jobs) + self.skipped + self.done_count
        counts = RunCounts(total=total, skipped=self.skipped, done=self.done_count)
        for job in self.jobs.values():
            if job.status is JobStatus.FAILED:
                counts.failed += 1
            elif job.status is JobStatus.SUSPECT:
                counts.suspect += 1
            elif job.status is JobStatus.QUEUED:
                counts.queued += 1
        counts.pending = max(0, total - counts.skipped - counts.done - counts.failed - counts.suspect - counts.queued)
        return counts

    def start_stream(self, rows: Iterable[Row] | None = None) -> None:
        """Feed the run from ROWS (default: its source), skipping rows the checkpoint has.

        Until the stream is used up, `skipped` is the checkpoint's size, or the
        exact count when the source lists its IDs up front.
        """
        ids = getattr(self.source, "ids", None)
        if ids is not None:
            self.skipped = sum(1 for row_id in ids if row_id in self.checkpoint)
        else:
            self.skipped = len(self.checkpoint)
        self.skipped_seen = 0
        self.stream_done = False
        self.stream = iter(rows if rows is not None else self.source)

    def next_fresh_row(self) -> Row | None:
        """Return the next row that is neither complete nor already in progress, or None at the end."""
        if self.stream is None or self.stream_done:
            return None
        for row in self.stream:
            if row.id in self.checkpoint:
                self.skipped_seen += 1
                continue
            if row.id in self.jobs:
                continue
            return row
        self.stream_done = True
        self.skipped = self.skipped_seen
        return None

    def summary(self) -> dict[str, Any]:
        counts = self.counts()
        rate = self.rate.rate()
        left = counts.pending + counts.queued
        return {
            "run_id": self.run_id, "name": self.name, "state": self.state.value, "note": self.note,
            "counts": counts.to_dict(), "rate": rate,
            "eta_seconds": (left / rate) if rate and left else None,
            "created_at": self.created_at, "started_at": self.started_at, "finished_at": self.finished_at,
            "source": self.plan.source_file, "latest_outputs": self.latest_outputs[-8:],
            "folder": str(self.run_dir),
        }

    def payload_info(self, row_id: str) -> dict[str, Any]:
        """Run facts each job's row payload carries for the saver's naming tokens."""
        started = datetime.fromtimestamp(self.created_at, tz=timezone.utc)
        info: dict[str, Any] = {"run": self.name, "count": len(self.jobs) + self.skipped,
                                "started_at": started.isoformat()}
        if row_id in self.path_overrides:
            info["paths"] = self.path_overrides[row_id]
        return info

    def failed_jobs(self) -> list[Job]:
        return [job for job in self.jobs.values() if job.status in (JobStatus.FAILED, JobStatus.SUSPECT)]

    # Persistence

    def open_files(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        remove_stale_temp_files(self.run_dir)
        self.checkpoint = Checkpoint.open(self.run_dir)
        self.manifest = Manifest(self.run_dir)

    def close_files(self) -> None:
        if self.checkpoint:
            self.checkpoint.close()
        if self.manifest:
            self.manifest.close()

    def save_spec(self) -> None:
        write_json_atomic(self.run_dir / SPEC_FILE, {
            "format": 1, "name": self.name, "state": self.state.value, "note": self.note,
            "options": self.options.to_dict(), "prompt": self.plan.prompt, "workflow": self.workflow,
            "source": self.plan.source_file, "created_at": self.created_at, "started_at": self.started_at,
            "finished_at": self.finished_at, "counts": self.counts().to_dict(), "snapshot": self.snapshot,
        })



def read_spec(run_dir: Path) -> dict[str, Any] | None:
    try:
        return json.loads((run_dir / SPEC_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, json.JSONDecodeError) as error:
        logger.warning("Run folder %s: cannot read %s: %s", run_dir, SPEC_FILE, error)
        return None


def remove_stale_temp_files(run_dir: Path) -> None:
    """Delete half-written temporary files that a crash left in the run folder.

    Every file the run writes is first written as ".tmp-*" and then renamed, so
    no finished file matches that pattern.
    """
    for path in run_dir.rglob(f"{TEMP_FILE_PREFIX}*"):
        if path.is_file():
            logger.info("Run folder %s: removed unfinished temporary file %s", run_dir, path.name)
            path.unlink(missing_ok=True)
