"""Starting a run's row stream, scheduled starts, and reloading runs after ComfyUI restarts."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .binding import plan_batch
from .engine import RunEngine
from .jobs import Job, JobStatus, RunState
from .ordering import order_jobs
from .problems import BatchValidationError, Problem, Severity
from .rows import JobSource, Row
from .run import Run, read_spec
from .run_options import Ordering, parse_options
from .schedule import seconds_until
from .snapshot import load_source_snapshot

if TYPE_CHECKING:
    from .service import Environment

logger = logging.getLogger(__name__)


def start_stream(run: Run) -> None:
    """Feed RUN from its source: lazily in file order, or sorted when grouping by model."""
    if run.options.ordering is Ordering.GROUP_MODELS:
        # NOTE: grouping sorts, so it keeps every row that still has to run in memory.
        remaining = [row for row in run.source if row.id not in run.checkpoint]
        run.start_stream(order_jobs(run.plan, remaining, run.options))
    else:
        run.start_stream()


async def restore_runs(engine: RunEngine, env: Environment, auto_resume: bool = False) -> list[Run]:
    """Reload every run from its folder after ComfyUI restarts.

    Finished runs come back as they ended, so their failed rows can be retried.
    Unfinished ones come back paused, or running when AUTO_RESUME is set.
    """
    restored = []
    if not env.output_dir.is_dir():
        return restored
    for spec_path in sorted(env.output_dir.glob("*/run.json")):
        run = await _restore(engine, env, spec_path.parent, auto_resume)
        if run is not None:
            restored.append(run)
    return restored


async def _restore(engine: RunEngine, env: Environment, run_dir: Path, auto_resume: bool) -> Run | None:
    spec = read_spec(run_dir)
    if spec is None or run_dir.name in engine.runs:
        return None
    state = RunState(spec.get("state", "done"))
    options, _ = parse_options(spec.get("options"))
    source, problems = _restore_source(run_dir, spec)
    columns = source.info.columns if source is not None else ()
    plan, plan_problems = plan_batch(spec["prompt"], columns, env.catalog, options, env.input_dir,
                                     source_file=spec.get("source"))
    problems += plan_problems

    run = Run(spec["name"], run_dir, plan, options, workflow=spec.get("workflow"),
              created_at=spec.get("created_at") or time.time(), started_at=spec.get("started_at"),
              finished_at=spec.get("finished_at"), source=source, snapshot=spec.get("snapshot") or {})
    run.open_files()
    _restore_failed_rows(run)
    if state.is_final or source is None:
        run.state = state if state.is_final else RunState.PAUSED
        run.note = spec.get("note") if state.is_final else "cannot resume: " + problems[0].describe()
        run.stream_done = True
        saved = spec.get("counts") or {}
        run.done_count = saved.get("done", 0)
        run.skipped = saved.get("skipped", len(run.checkpoint) - run.done_count)
        engine.runs[run.run_id] = run
        return run

    start_stream(run)
    errors = [p for p in problems if p.severity is Severity.ERROR]
    if errors:
        run.state = RunState.PAUSED
        run.note = "cannot resume: " + errors[0].describe()
    elif state is RunState.SCHEDULED:
        run.state = RunState.SCHEDULED
        apply_schedule(run)
    elif auto_resume and state in (RunState.RUNNING, RunState.CANCELLING):
        run.state = RunState.RUNNING
    else:
        run.state = RunState.PAUSED
        run.note = "ComfyUI restarted; resume to finish the remaining jobs" \
            if state is not RunState.PAUSED else spec.get("note")
    logger.info("Run %s: restored as %s, %d complete", run.run_id, run.state.value, len(run.checkpoint))
    await engine.start(run)
    return run


def _restore_source(run_dir: Path, spec: dict[str, Any]) -> tuple[JobSource | None, list[Problem]]:
    snapshot = spec.get("snapshot")
    if not snapshot:
        return None, [Problem("the run folder has no copy of its job source", file=str(run_dir))]
    try:
        return load_source_snapshot(run_dir, snapshot), []
    except (BatchValidationError, OSError, KeyError, TypeError) as error:
        logger.warning("Run %s: cannot read its job source copy: %s", run_dir.name, error)
        return None, [Problem(f"cannot read the run's copy of its job source: {error}", file=str(run_dir))]


def _restore_failed_rows(run: Run) -> None:
    """Rebuild counts and the failed and suspect rows from the manifest, so retry-failed still works."""
    for record in run.manifest.latest_records().values():
        if record.status in (JobStatus.FAILED.value, JobStatus.SUSPECT.value) \
                and record.row_id not in run.checkpoint:
            run.jobs[record.row_id] = Job(Row(record.row, record.row_id, record.values),
                                          status=JobStatus(record.status), attempts=record.attempts,
                                          error=record.error, seed=record.seed, files=record.files)


def apply_schedule(run: Run) -> None:
    """Mark RUN scheduled when its start time lies ahead."""
    if run.options.start_at and run.state in (RunState.RUNNING, RunState.SCHEDULED):
        delay = seconds_until(run.options.start_at)
        if delay > 0:
            run.state = RunState.SCHEDULED
            run.note = f"starts at {run.options.start_at}"
