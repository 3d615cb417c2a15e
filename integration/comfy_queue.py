"""The one adapter between the run engine and ComfyUI's in-process PromptQueue.

ComfyUI has no supported hook for "a prompt finished", so this module wraps
`PromptQueue.task_done` on the queue instance (everything is passed through
unchanged) and hands each finished prompt of ours to the event loop. The
rest follows the steps `POST /prompt` takes. Tested against a real server.
"""

from __future__ import annotations

import copy
import logging
import time
import uuid
from typing import Any, Callable

import execution
import nodes

from ..batch_runner.executor import PromptOutcome, SubmitError

logger = logging.getLogger(__name__)

# ComfyUI 0.3.75 and newer queue 6-tuples (the last item holds sensitive
# extra data); older releases queue 5-tuples.
QUEUE_ITEM_HAS_SENSITIVE = hasattr(execution, "SENSITIVE_EXTRA_DATA_KEYS")


class ComfyQueueAdapter:
    def __init__(self, server: Any) -> None:
        self.server = server
        self.queue = server.prompt_queue
        self._ours: set[str] = set()
        self._on_done: Callable[[PromptOutcome], None] | None = None
        self._original_task_done = None

    # Completion hook

    def install(self, on_done: Callable[[PromptOutcome], None]) -> None:
        """Wrap the queue's task_done once; ON_DONE runs on the event loop for our prompts only."""
        self._on_done = on_done
        if self._original_task_done is not None:
            return
        original = self.queue.task_done
        self._original_task_done = original

        def task_done(item_id, history_result, *args, **kwargs):
            prompt_id = self._running_prompt_id(item_id)
            result = original(item_id, history_result, *args, **kwargs)
            if prompt_id is not None and prompt_id in self._ours:
                self._hand_over(prompt_id)
            return result

        self.queue.task_done = task_done

    def _running_prompt_id(self, item_id: int) -> str | None:
        with self.queue.mutex:
            item = self.queue.currently_running.get(item_id)
        return item[1] if item is not None else None

    def _hand_over(self, prompt_id: str) -> None:
        """Pass a finished prompt to the event loop.

        This runs on ComfyUI's worker thread before it takes the next prompt, so
        it does nothing else: reading the history entry waits for the loop.
        """
        self.server.loop.call_soon_threadsafe(self._collect, prompt_id)

    def _collect(self, prompt_id: str) -> None:
        try:
            entry = self.queue.get_history(prompt_id=prompt_id).get(prompt_id, {})
            outcome = outcome_from_history(prompt_id, entry)
        except Exception:  # a bad entry must not stop the event loop's callback chain
            logger.exception("Prompt %s: could not read its history entry", prompt_id)
            outcome = PromptOutcome(prompt_id, False, error={"message": "history entry unreadable"})
        self._deliver(outcome)

    def _deliver(self, outcome: PromptOutcome) -> None:
        self._ours.discard(outcome.prompt_id)
        if self._on_done is not None:
            self._on_done(outcome)

    # Executor protocol

    async def submit(self, prompt: dict[str, Any], extra_data: dict[str, Any]) -> str:
        request = self.server.trigger_on_prompt({"prompt": prompt, "client_id": extra_data.get("client_id")})
        prompt = request.get("prompt", prompt)

        number = self.server.number
        self.server.number += 1
        replacements = getattr(self.server, "node_replace_manager", None)
        if replacements is not None and hasattr(replacements, "apply_replacements"):
            replacements.apply_replacements(prompt)

        prompt_id = str(uuid.uuid4())
        valid = await execution.validate_prompt(prompt_id, prompt, None)
        if not valid[0]:
            raise SubmitError(_validation_message(valid[1]), {"error": valid[1], "node_errors": valid[3]})

        extra = dict(extra_data)
        extra["create_time"] = int(time.time() * 1000)
        item = (number, prompt_id, prompt, extra, valid[2])
        if QUEUE_ITEM_HAS_SENSITIVE:
            item = item + ({},)
        self._ours.add(prompt_id)
        self.queue.put(item)
        return prompt_id

    def cancel_queued(self, prompt_id: str) -> bool:
        removed = self.queue.delete_queue_item(lambda item: item[1] == prompt_id)
        if removed:
            self._ours.discard(prompt_id)
        return removed

    def interrupt(self, prompt_id: str) -> bool:
        with self.queue.mutex:
            running = {item[1] for item in self.queue.currently_running.values()}
            if prompt_id not in running:
                return False
            nodes.interrupt_processing()
        return True

    def running_prompt_ids(self) -> set[str]:
        with self.queue.mutex:
            return {item[1] for item in self.queue.currently_running.values()}

    def request_free(self, unload_models: bool, free_memory: bool) -> None:
        if unload_models:
            self.queue.set_flag("unload_models", True)
        if free_memory:
            self.queue.set_flag("free_memory", True)

    def forget(self, prompt_id: str) -> None:
        self.queue.delete_history_item(prompt_id)


def outcome_from_history(prompt_id: str, entry: dict[str, Any]) -> PromptOutcome:
    """Build a PromptOutcome from a history entry: `{"outputs", "status": {"status_str", "messages"}}`."""
    status = entry.get("status") or {}
    messages = status.get("messages") or []
    outcome = PromptOutcome(prompt_id, success=status.get("status_str") == "success" and bool(status.get("completed")),
                            outputs=copy.deepcopy(entry.get("outputs") or {}))
    for kind, data in messages:
        stamp = data.get("timestamp") if isinstance(data, dict) else None
        if kind == "execution_start" and stamp:
            outcome.started_at = stamp / 1000
        elif kind in ("execution_success", "execution_error", "execution_interrupted") and stamp:
            outcome.finished_at = stamp / 1000
        if kind == "execution_cached" and isinstance(data, dict):
            outcome.cached_nodes = list(data.get("nodes") or [])
        if kind == "execution_interrupted":
            outcome.interrupted = True
        if kind == "execution_error" and isinstance(data, dict):
            outcome.error = {
                "node_id": data.get("node_id"), "node_type": data.get("node_type"),
                "message": str(data.get("exception_message", "")).strip(),
                "exception_type": data.get("exception_type"),
            }
    return outcome


def _validation_message(error: Any) -> str:
    if isinstance(error, dict):
        return f"{error.get('message', 'invalid prompt')}: {error.get('details', '')}".strip(": ")
    return str(error)

