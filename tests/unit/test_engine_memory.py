"""The engine frees ComfyUI's memory every N jobs and before retrying an out-of-memory failure.

ComfyUI's /free flags are consumed by its worker and leave no trace a test can
read, so these tests drive the engine with an in-memory executor that records
the requests.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from batch_runner.binding import BatchPlan
from batch_runner.engine import RunEngine
from batch_runner.executor import PromptOutcome
from batch_runner.rows import Row, SourceInfo
from batch_runner.run import Run
from batch_runner.run_options import RunOptions

from support import run_async


class RecordingExecutor:
    """Completes each prompt on the next loop turn; fails the first attempt of rows listed in `fail_first`."""

    def __init__(self, run_dir: Path, fail_first: set[str] | None = None) -> None:
        self.run_dir = run_dir
        self.fail_first = fail_first or set()
        self.free_requests: list[tuple[bool, bool]] = []
        self.engine: RunEngine | None = None

    async def submit(self, prompt, extra_data):
        prompt_id = str(uuid.uuid4())
        row_id = prompt["row_id"]
        asyncio.get_running_loop().call_soon(self._finish, prompt_id, row_id)
        return prompt_id

    def _finish(self, prompt_id: str, row_id: str) -> None:
        if row_id in self.fail_first:
            self.fail_first.discard(row_id)
            outcome = PromptOutcome(prompt_id, False, error={"message": "CUDA out of memory. Tried to allocate 2 GiB",
                                                             "exception_type": "torch.OutOfMemoryError"})
        else:
            (self.run_dir / f"{row_id}.png").write_bytes(b"x" * 100)
            report = {"row_id": row_id, "files": [f"{row_id}.png"]}
            outcome = PromptOutcome(prompt_id, True, outputs={"9": {"batch_runner": [report]}})
        self.engine.on_prompt_done(outcome)

    def cancel_queued(self, prompt_id):
        return False

    def interrupt(self, prompt_id):
        return False

    def running_prompt_ids(self):
        return set()

    def request_free(self, unload_models, free_memory):
        self.free_requests.append((unload_models, free_memory))

    def forget(self, prompt_id):
        pass


class RowIdPlan(BatchPlan):
    """A plan whose prompt just names the row, enough for the recording executor."""

    def build_prompt(self, row, seed, run_info):
        return {"row_id": row.id}


class ListSource:
    def __init__(self, rows):
        self.rows = rows
        self.info = SourceInfo(path="rows", format="test", columns=("id",))

    def __len__(self):
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)


def run_batch(tmp_path: Path, options: RunOptions, fail_first: set[str] | None = None) -> RecordingExecutor:
    executor = RecordingExecutor(tmp_path, fail_first)

    async def main() -> None:
        engine = RunEngine(executor, "test-client")
        executor.engine = engine
        rows = [Row(i, f"r{i}", {"id": f"r{i}"}) for i in range(1, 7)]
        plan = RowIdPlan({}, ("id",), options, None)
        run = Run("memory", tmp_path, plan, options, source=ListSource(rows))
        run.open_files()
        run.start_stream()
        await engine.start(run)
        for _ in range(200):
            if run.state.is_final:
                break
            await asyncio.sleep(0.01)
        assert run.state.value == "done"
        assert run.counts().done == 6

    run_async(main)
    return executor


def test_free_memory_every_n_jobs(tmp_path):
    options = RunOptions(free_memory_every=2, quality_checks=False, contact_sheets=False)

    executor = run_batch(tmp_path, options)

    assert executor.free_requests == [(True, True)] * 3


def test_out_of_memory_failure_frees_before_retry(tmp_path):
    options = RunOptions(retry_delay=0.0, quality_checks=False, contact_sheets=False)

    executor = run_batch(tmp_path, options, fail_first={"r3"})

    assert executor.free_requests == [(True, True)]
