"""The run engine: feeds each run's jobs into ComfyUI's queue a few at a time.

At most `window` prompts of a run wait in ComfyUI's queue, and when one
finishes the next is queued. The executor always has a job ready, while the
queue view stays short and the run can still pause or cancel.
Everything here runs on the server's event loop; the adapter hands
completions over from ComfyUI's worker thread.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Callable

from .executor import Executor, PromptOutcome, SubmitError
from .jobs import Job, JobStatus, RunState
from .outcomes import OutputVerdict, collect_output_files, describe_failure, is_out_of_memory, verify_outputs
from .review import write_contact_sheets
from .run import Run
from .run_options import SeedMode
from .schedule import seconds_until
from .seeds import derived_seed, parse_seed, random_seed
from .storage.manifest import ManifestRecord

logger = logging.getLogger(__name__)

EventListener = Callable[[str, Run, dict[str, Any]], None]
WATCHDOG_INTERVAL = 0.25  # seconds between checks of the running job's age
LOG_EVERY_JOBS = 50


class RunEngine:
    def __init__(self, executor: Executor, client_id: str) -> None:
        self.executor = executor
        self.client_id = client_id
        self.runs: dict[str, Run] = {}
        self.listeners: list[EventListener] = []
        self._owner: dict[str, Run] = {}  # prompt id -> run, for every prompt in flight
        self._pump_locks: dict[str, asyncio.Lock] = {}
        self._completed_since_free = 0
        self._watchdog: asyncio.Task | None = None

    # Events

    def emit(self, event: str, run: Run, **details: Any) -> None:
        for listener in self.listeners:
            try:
                listener(event, run, details)
            except Exception:  # a listener must never stop the run
                logger.exception("Run %s: event listener failed on %s", run.run_id, event)

    def owns(self, prompt_id: str) -> bool:
        return prompt_id in self._owner

    # Starting and controlling runs

    async def start(self, run: Run) -> None:
        """Register RUN and start feeding it, unless it is scheduled or paused."""
        self.runs[run.run_id] = run
        self._ensure_watchdog()
        if run.state is RunState.RUNNING:
            run.started_at = run.started_at or time.time()
            counts = run.counts()
            logger.info("Run %s: started, %d jobs to run, %d already complete",
                        run.run_id, counts.pending, counts.skipped)
            self.emit("started", run)
        elif run.state is RunState.SCHEDULED:
            self._arm_schedule(run)
        run.save_spec()
        await self._pump(run)
        self._finish_if_idle(run)

    def _arm_schedule(self, run: Run) -> None:
        delay = max(0.0, seconds_until(run.options.start_at)) if run.options.start_at else 0.0
        logger.info("Run %s: scheduled to start in %.0f s", run.run_id, delay)

        def start_now() -> None:
            if run.state is RunState.SCHEDULED:
                asyncio.ensure_future(self.resume(run))

        asyncio.get_running_loop().call_later(delay, start_now)

    async def resume(self, run: Run) -> None:
        if run.state not in (RunState.PAUSED, RunState.SCHEDULED):
            return
        if run.state is RunState.PAUSED:
            # Resuming after "test first N" runs the rest.
            run.options.limit = None
        run.state = RunState.RUNNING
        run.note = None
        run.submitted_this_session = 0
        run.started_at = run.started_at or time.time()
        logger.info("Run %s: resumed, %d jobs left", run.run_id, run.counts().pending)
        run.save_spec()
        self.emit("state", run)
        await self._pump(run)
        self._finish_if_idle(run)

    def pause(self, run: Run, note: str | None = None) -> None:
        if run.state not in (RunState.RUNNING, RunState.SCHEDULED):
            return
        run.state = RunState.PAUSED
        run.note = note
        logger.info("Run %s: paused%s", run.run_id, f" ({note})" if note else "")
        run.save_spec()
        self.emit("state", run)

    def cancel(self, run: Run, interrupt_running: bool = False) -> None:
        """Remove the run's queued prompts; interrupt its running one only when asked."""
        if run.state.is_final:
            return
        run.state = RunState.CANCELLING
        for prompt_id, row_id in list(run.in_flight.items()):
            if self.executor.cancel_queued(prompt_id):
                self._release(run, prompt_id)
                job = run.jobs[row_id]
                job.status = JobStatus.PENDING
                job.attempts = max(0, job.attempts - 1)
            elif interrupt_running:
                self.executor.interrupt(prompt_id)
        logger.info("Run %s: cancelling, %d prompt(s) still finishing", run.run_id, len(run.in_flight))
        self.emit("state", run)
        self._finish_if_idle(run)

    async def retry_failed(self, run: Run) -> int:
        """Queue the failed and suspect rows again; returns how many."""
        failed = run.failed_jobs()
        for job in failed:
            job.status = JobStatus.PENDING
            job.attempts = 0
            job.error = None
            run.pending.append(job.row_id)
        if failed:
            run.state = RunState.RUNNING
            run.finished_at = None
            run.note = None
            logger.info("Run %s: retrying %d failed row(s)", run.run_id, len(failed))
            run.save_spec()
            self.emit("state", run)
            await self._pump(run)
        return len(failed)

    # Feeding

    async def _pump(self, run: Run) -> None:
        lock = self._pump_locks.setdefault(run.run_id, asyncio.Lock())
        async with lock:
            while run.state is RunState.RUNNING and len(run.in_flight) < run.options.window:
                job = self._take_next_job(run)
                if job is None:
                    break
                await self._submit(run, job)

    def _take_next_job(self, run: Run) -> Job | None:
        """Return the next job to queue: a retry first, then a fresh row, or None."""
        if run.pending:
            return run.jobs[run.pending.popleft()]
        # "Test first N" counts rows, so retries of those rows still run.
        if run.options.limit is not None and run.submitted_this_session >= run.options.limit:
            return None
        row = run.next_fresh_row()
        if row is None:
            return None
        job = Job(row)
        run.jobs[row.id] = job
        return job

    async def _submit(self, run: Run, job: Job) -> None:
        job.seed = self._choose_seed(run, job)
        prompt = run.plan.build_prompt(job.row, job.seed, run.payload_info(job.row_id))
        extra_data: dict[str, Any] = {"client_id": self.client_id}
        if run.workflow is not None:
            extra_data["extra_pnginfo"] = {"workflow": run.workflow}

        if job.attempts == 0:
            run.submitted_this_session += 1
        job.attempts += 1
        try:
            prompt_id = await self.executor.submit(prompt, extra_data)
        except SubmitError as error:
            logger.warning("Run %s: row %s (%s) was rejected when queued: %s",
                           run.run_id, job.row.number, job.row_id, error)
            job.error = {"message": str(error), "details": error.details, "stage": "queue"}
            self._record_final(run, job, JobStatus.FAILED)
            return

        job.status = JobStatus.QUEUED
        job.prompt_id = prompt_id
        job.queued_at = time.time()
        job.started_at = None
        job.timed_out = False
        run.in_flight[prompt_id] = job.row_id
        self._owner[prompt_id] = run

    def _choose_seed(self, run: Run, job: Job) -> int | None:
        mode = run.options.seed_mode
        wants_new_seed = job.force_new_seed or run.options.retry_new_seed
        if job.attempts > 0 and wants_new_seed and mode is not SeedMode.WORKFLOW:
            return random_seed()
        if mode is SeedMode.RANDOM:
            return random_seed()
        if mode is SeedMode.DERIVED:
            return derived_seed(job.row_id)
        if mode is SeedMode.COLUMN and run.plan.has_seed_column:
            if job.seed is not None:
                return job.seed  # a random seed chosen for an earlier attempt is kept
            seed = parse_seed(job.row.values.get(run.options.seed_column, ""))
            return seed if seed is not None else random_seed()
        return None

    def _release(self, run: Run, prompt_id: str) -> None:
        run.in_flight.pop(prompt_id, None)
        self._owner.pop(prompt_id, None)

    # Completion

    def on_prompt_done(self, outcome: PromptOutcome) -> None:
        """Record a finished prompt of ours; called on the event loop by the adapter."""
        run = self._owner.get(outcome.prompt_id)
        if run is None:
            return
        row_id = run.in_flight.get(outcome.prompt_id)
        self._release(run, outcome.prompt_id)
        self.executor.forget(outcome.prompt_id)
        job = run.jobs[row_id]
        job.started_at = outcome.started_at or job.started_at
        job.finished_at = outcome.finished_at or time.time()

        if outcome.success:
            run.checks_in_progress += 1
            asyncio.ensure_future(self._verify_and_record(run, job, outcome))
        elif outcome.interrupted and run.state is RunState.CANCELLING and not job.timed_out:
            job.status = JobStatus.PENDING
            job.attempts = max(0, job.attempts - 1)
        else:
            self._on_failure(run, job, outcome)

        self._after_completion(run)

    async def _verify_and_record(self, run: Run, job: Job, outcome: PromptOutcome) -> None:
        """Check the saved files off the event loop, then record the row as done, suspect or failed."""
        try:
            files, prompt_text = collect_output_files(outcome.outputs, run.run_dir, job.row_id)
            loop = asyncio.get_running_loop()
            verdict = await loop.run_in_executor(None, verify_outputs, run.run_dir, files, run.options)
        except Exception as error:  # a broken check must not lose the row: it is recorded as failed
            logger.exception("Run %s: checking the outputs of row %s failed", run.run_id, job.row_id)
            verdict = OutputVerdict(False, False, [f"output check failed: {error}"])
            files, prompt_text = [], None
        finally:
            run.checks_in_progress -= 1

        job.files = files
        job.prompt_text = prompt_text
        if not verdict.saved:
            self._on_failure(run, job, PromptOutcome(outcome.prompt_id, False,
                                                     error={"message": "; ".join(verdict.reasons)}))
        elif not verdict.passed:
            self._on_suspect(run, job, verdict.reasons)
        else:
            job.error = None
            self._record_final(run, job, JobStatus.DONE)
            run.rate.record()
            run.latest_outputs.append({"row_id": job.row_id, "files": files})
            del run.latest_outputs[:-8]
        self.emit("progress", run)
        await self._pump_and_finish(run)

    def _on_suspect(self, run: Run, job: Job, reasons: list[str]) -> None:
        job.error = {"message": "; ".join(reasons), "type": "suspect"}
        if run.options.retry_suspects and job.attempts <= run.options.retries and run.state is RunState.RUNNING:
            logger.warning("Run %s: row %s (%s) looks broken (%s); retrying with a new seed",
                           run.run_id, job.row.number, job.row_id, job.error["message"])
            job.seed = None
            job.force_new_seed = True
            self._schedule_retry(run, job)
            return
        logger.warning("Run %s: row %s (%s) marked suspect: %s", run.run_id, job.row.number, job.row_id,
                       job.error["message"])
        self._record_final(run, job, JobStatus.SUSPECT)

    def _on_failure(self, run: Run, job: Job, outcome: PromptOutcome) -> None:
        if job.timed_out:
            job.error = {"message": f"timed out after {run.options.timeout:g} s", "type": "timeout"}
        else:
            job.error = describe_failure(outcome)

        if job.attempts <= run.options.retries and run.state is RunState.RUNNING:
            logger.warning("Run %s: row %s (%s) failed on attempt %d, retrying in %g s: %s",
                           run.run_id, job.row.number, job.row_id, job.attempts,
                           run.options.retry_delay, job.error.get("message"))
            if is_out_of_memory(job.error):
                self.executor.request_free(unload_models=True, free_memory=True)
            self._schedule_retry(run, job)
            return

        logger.error("Run %s: row %s (%s) failed after %d attempt(s): %s",
                     run.run_id, job.row.number, job.row_id, job.attempts, job.error.get("message"))
        self._record_final(run, job, JobStatus.FAILED)

    def _schedule_retry(self, run: Run, job: Job) -> None:
        job.status = JobStatus.PENDING
        run.retry_timers += 1
        self.emit("retry", run, row_id=job.row_id, attempt=job.attempts, error=job.error)

        def requeue() -> None:
            run.retry_timers -= 1
            if run.state in (RunState.RUNNING, RunState.PAUSED):
                run.pending.appendleft(job.row_id)
            asyncio.ensure_future(self._pump_and_finish(run))

        asyncio.get_running_loop().call_later(run.options.retry_delay, requeue)

    def _record_final(self, run: Run, job: Job, status: JobStatus) -> None:
        """Write the manifest line, then (for a success) the checkpoint entry.

        The manifest goes first: after a crash between the two writes the
        row is simply run again, and its later manifest line wins.
        """
        job.status = status
        duration = (job.finished_at - job.started_at) if job.finished_at and job.started_at else None
        run.manifest.append(ManifestRecord(
            row=job.row.number, row_id=job.row_id, status=status.value, attempts=job.attempts,
            prompt_id=job.prompt_id, seed=job.seed, files=job.files, prompt_text=job.prompt_text,
            values=run.plan.resolved_values(job.row, job.seed), started_at=job.started_at,
            finished_at=job.finished_at, seconds=duration, error=job.error,
        ))
        if status is JobStatus.DONE:
            run.checkpoint.mark_done(job.row_id)
            run.done_count += 1
            del run.jobs[job.row_id]
        self.emit("job", run, job=job.summary())

    def _after_completion(self, run: Run) -> None:
        self._completed_since_free += 1
        every = run.options.free_memory_every
        if every and self._completed_since_free >= every:
            self._completed_since_free = 0
            self.executor.request_free(unload_models=True, free_memory=True)

        counts = run.counts()
        finished = counts.done + counts.failed
        if finished and finished % LOG_EVERY_JOBS == 0:
            logger.info("Run %s: %d of %d done, %d failed", run.run_id, counts.done + counts.skipped,
                        counts.total, counts.failed)
        self.emit("progress", run)
        asyncio.ensure_future(self._pump_and_finish(run))

    async def _pump_and_finish(self, run: Run) -> None:
        await self._pump(run)
        self._finish_if_idle(run)

    def _finish_if_idle(self, run: Run) -> None:
        if run.in_flight or run.retry_timers or run.checks_in_progress:
            return
        if run.state is RunState.CANCELLING:
            self._finish(run, RunState.CANCELLED)
        elif run.state is RunState.RUNNING and not run.pending and run.stream_done:
            counts = run.counts()
            nothing_worked = counts.done == 0 and counts.skipped == 0 and (counts.failed + counts.suspect) > 0
            self._finish(run, RunState.FAILED if nothing_worked else RunState.DONE)
        elif run.state is RunState.RUNNING and not run.pending and run.options.limit is not None \
                and run.submitted_this_session >= run.options.limit:
            limit = run.options.limit
            jobs = "job" if limit == 1 else f"{limit} jobs"
            self.pause(run, f"paused after the first {jobs}; resume to run the rest")

    def _finish(self, run: Run, state: RunState) -> None:
        run.state = state
        run.finished_at = time.time()
        run.manifest.write_csv()
        run.save_spec()
        counts = run.counts()
        logger.info("Run %s: %s; %d done, %d failed, %d skipped as already complete, %d in all",
                    run.run_id, state.value, counts.done, counts.failed, counts.skipped, counts.total)
        self.emit("finished", run)
        if run.options.contact_sheets and state is not RunState.CANCELLED:
            asyncio.ensure_future(self._write_contact_sheets(run))

    async def _write_contact_sheets(self, run: Run) -> None:
        records = list(run.manifest.latest_records().values())
        try:
            await asyncio.get_running_loop().run_in_executor(None, write_contact_sheets, run.run_dir, records)
        except (OSError, ValueError):
            logger.exception("Run %s: writing the contact sheets failed", run.run_id)

    # Timeouts

    def _ensure_watchdog(self) -> None:
        if self._watchdog is None or self._watchdog.done():
            self._watchdog = asyncio.ensure_future(self._watch_running_jobs())

    async def _watch_running_jobs(self) -> None:
        while True:
            await asyncio.sleep(WATCHDOG_INTERVAL)
            try:
                self._check_running_jobs()
            except Exception:  # the watchdog must outlive any single bad check
                logger.exception("Batch runner watchdog check failed")

    def _check_running_jobs(self) -> None:
        now = time.time()
        for prompt_id in self.executor.running_prompt_ids():
            run = self._owner.get(prompt_id)
            if run is None:
                continue
            job = run.jobs[run.in_flight[prompt_id]]
            if job.started_at is None:
                job.started_at = now
            timeout = run.options.timeout
            if timeout and not job.timed_out and now - job.started_at > timeout:
                job.timed_out = True
                logger.warning("Run %s: row %s (%s) timed out after %g s; interrupting prompt %s",
                               run.run_id, job.row.number, job.row_id, timeout, prompt_id)
                self.executor.interrupt(prompt_id)


