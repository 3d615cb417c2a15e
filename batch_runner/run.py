"""A run: one named batch, its jobs, and the files in its folder that let it resume.

Folder layout, inside ComfyUI's output directory:
    <run name>/run.json         spec and last known state (rewritten atomically)
    <run name>/jobs.jsonl       the rows as they were when the run started
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
from .image_files import TEMP_FILE_PREFIX as IMAGE_TEMP_PREFIX
from .jobs import Job, JobStatus, RateMeter, RunCounts, RunState
from .rows import Row
from .run_options import RunOptions
from .storage.atomic import write_json_atomic, write_lines_atomic
from .storage.checkpoint import Checkpoint
from .storage.manifest import Manifest

logger = logging.getLogger(__name__)

SPEC_FILE = "run.json"
JOBS_FILE = "jobs.jsonl"


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
        counts = RunCounts(total=len(self.jobs) + self.skipped, skipped=self.skipped)
        for job in self.jobs.values():
            if job.status is JobStatus.DONE:
                counts.done += 1
            elif job.status is JobStatus.FAILED:
                counts.failed += 1
            elif job.status is JobStatus.SUSPECT:
                counts.suspect += 1
            elif job.status is JobStatus.QUEUED:
                counts.queued += 1
            else:
                counts.pending += 1
        return counts

    def remaining(self) -> int:
        return len(self.pending) + len(self.in_flight) + self.retry_timers

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
            "finished_at": self.finished_at, "counts": self.counts().to_dict(),
        })

    def save_job_snapshot(self, rows: Iterable[Row]) -> None:
        """Record the rows as they are now, so editing the source mid-run changes nothing."""
        lines = (json.dumps({"row": row.number, "id": row.id, "values": row.values}, ensure_ascii=False)
                 for row in rows)
        write_lines_atomic(self.run_dir / JOBS_FILE, lines)


def read_spec(run_dir: Path) -> dict[str, Any] | None:
    try:
        return json.loads((run_dir / SPEC_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, json.JSONDecodeError) as error:
        logger.warning("Run folder %s: cannot read %s: %s", run_dir, SPEC_FILE, error)
        return None


def read_job_snapshot(run_dir: Path) -> Iterator[Row]:
    with open(run_dir / JOBS_FILE, "rb") as source:
        for number, line in enumerate(source, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError:
                logger.warning("Run folder %s: skipped damaged line %d of %s", run_dir, number, JOBS_FILE)
                continue
            yield Row(data["row"], data["id"], data["values"])


def remove_stale_temp_files(run_dir: Path) -> None:
    """Delete half-written temporary files that a crash left in the run folder.

    Images and sidecars are written as ".tmp-*" and state files as ".<name>.*.tmp",
    then renamed, so no finished file ever matches these patterns.
    """
    for pattern in (f"{IMAGE_TEMP_PREFIX}*", ".*.tmp"):
        for path in run_dir.rglob(pattern):
            if path.is_file():
                logger.info("Run folder %s: removed unfinished temporary file %s", run_dir, path.name)
                path.unlink(missing_ok=True)
