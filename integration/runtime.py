"""The extension's state inside ComfyUI: one engine, one service, created when the pack loads."""

from __future__ import annotations

import asyncio
import copy
import logging
import time
import uuid
from pathlib import Path
from typing import Any

import execution
import folder_paths

from ..batch_runner.engine import RunEngine
from ..batch_runner.problems import Problem
from ..batch_runner.run import Run
from ..batch_runner.service import BatchService, Environment
from ..batch_runner.webhooks import WebhookNotifier
from .catalog import ComfyNodeCatalog, needs_full_validation, problems_from_validation
from .comfy_queue import ComfyQueueAdapter

logger = logging.getLogger(__name__)

EVENT_PREFIX = "batch-runner."
PROGRESS_INTERVAL = 0.25  # seconds; at most four progress messages a second per run


class RefreshingCatalog(ComfyNodeCatalog):
    """A catalog whose cached INPUT_TYPES are dropped at the start of each request."""

    def refresh(self) -> None:
        self._specs.clear()


class BatchRuntime:
    def __init__(self, server: Any) -> None:
        self.server = server
        self.catalog = RefreshingCatalog()
        self.adapter = ComfyQueueAdapter(server)
        # Our own client id: the browser paints `executed` messages for its own
        # client id onto open nodes, which batch jobs must not do.
        self.engine = RunEngine(self.adapter, client_id=f"batch-runner-{uuid.uuid4().hex[:12]}")
        self.adapter.install(self.engine.on_prompt_done)
        self.engine.listeners.append(self._broadcast)
        self.notifier = WebhookNotifier()
        self.engine.listeners.append(self.notifier)
        self.service = BatchService(self.engine, Environment(
            input_dir=Path(folder_paths.get_input_directory()),
            output_dir=Path(folder_paths.get_output_directory()),
            catalog=self.catalog,
            validate_prompt=self._validate_prompt,
            needs_full_validation=lambda plan: needs_full_validation(self.catalog, plan),
        ))
        self._last_progress: dict[str, float] = {}

    def prepare_request(self) -> None:
        """Read folders and node option lists afresh: files and models change while ComfyUI runs."""
        self.catalog.refresh()
        self.service.env.input_dir = Path(folder_paths.get_input_directory())
        self.service.env.output_dir = Path(folder_paths.get_output_directory())

    async def restore(self, auto_resume: bool = False) -> None:
        self.prepare_request()
        runs = await self.service.restore_runs(auto_resume=auto_resume)
        unfinished = [run for run in runs if not run.state.is_final]
        if unfinished:
            logger.info("Batch runner: %d unfinished run(s) found: %s", len(unfinished),
                        ", ".join(run.run_id for run in unfinished))

    async def _validate_prompt(self, prompt: dict[str, Any]) -> list[Problem]:
        # validate_prompt converts values in place, so it gets a copy.
        prompt = copy.deepcopy(prompt)
        valid = await execution.validate_prompt(str(uuid.uuid4()), prompt, None)
        if valid[0]:
            return []
        return problems_from_validation(valid[1], valid[3], prompt)

    def _broadcast(self, event: str, run: Run, details: dict[str, Any]) -> None:
        now = time.monotonic()
        if event == "progress":
            if now - self._last_progress.get(run.run_id, 0.0) < PROGRESS_INTERVAL:
                return
            self._last_progress[run.run_id] = now
        payload = {"event": event, "run": run.summary(), **details}
        self.server.send_sync(EVENT_PREFIX + ("progress" if event == "progress" else "update"), payload, None)


def start_when_server_starts(runtime: BatchRuntime, auto_resume: bool) -> None:
    """Restore runs once aiohttp starts, after every node pack has loaded."""

    async def on_startup(app: Any) -> None:
        asyncio.ensure_future(runtime.restore(auto_resume=auto_resume))

    async def on_cleanup(app: Any) -> None:
        runtime.notifier.close()

    runtime.server.app.on_startup.append(on_startup)
    runtime.server.app.on_cleanup.append(on_cleanup)
