"""States of runs and jobs, and the counts a run reports."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from .rows import Row


class RunState(str, Enum):
    SCHEDULED = "scheduled"
    RUNNING = "running"
    PAUSED = "paused"
    CANCELLING = "cancelling"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        return self in (RunState.DONE, RunState.FAILED, RunState.CANCELLED)


class JobStatus(str, Enum):
    PENDING = "pending"
    QUEUED = "queued"
    DONE = "done"
    FAILED = "failed"
    SUSPECT = "suspect"


@dataclass
class Job:
    """One row's progress through a run. `attempts` counts prompts queued for it."""

    row: Row
    status: JobStatus = JobStatus.PENDING
    attempts: int = 0
    seed: int | None = None
    prompt_id: str | None = None
    queued_at: float | None = None
    started_at: float | None = None
    finished_at: float | None = None
    timed_out: bool = False
    force_new_seed: bool = False
    error: dict[str, Any] | None = None
    files: list[str] = field(default_factory=list)
    prompt_text: str | None = None

    @property
    def row_id(self) -> str:
        return self.row.id

    def summary(self) -> dict[str, Any]:
        return {"row": self.row.number, "row_id": self.row.id, "status": self.status.value,
                "attempts": self.attempts, "seed": None if self.seed is None else str(self.seed),
                "error": self.error, "files": self.files}


@dataclass
class RunCounts:
    total: int = 0
    done: int = 0
    failed: int = 0
    skipped: int = 0
    queued: int = 0
    pending: int = 0
    suspect: int = 0

    def to_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class RateMeter:
    """Jobs per second over the last `window` completions, for progress and ETA."""

    window: int = 20
    stamps: list[float] = field(default_factory=list)

    def record(self, when: float | None = None) -> None:
        self.stamps.append(when if when is not None else time.time())
        del self.stamps[:-self.window]

    def rate(self) -> float | None:
        if len(self.stamps) < 2:
            return None
        span = self.stamps[-1] - self.stamps[0]
        return (len(self.stamps) - 1) / span if span > 0 else None
