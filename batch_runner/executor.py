"""The engine's view of ComfyUI's queue. The server adapter implements it in-process."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


class SubmitError(Exception):
    """ComfyUI rejected a prompt when it was queued; `details` is its error report."""

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.details = details


@dataclass
class PromptOutcome:
    """The record ComfyUI keeps of one finished prompt.

    Times are Unix seconds taken from the history's status messages.
    `error` has `node_id`, `node_type`, `message` and `exception_type`
    when a node raised.
    """

    prompt_id: str
    success: bool
    interrupted: bool = False
    outputs: dict[str, Any] = field(default_factory=dict)
    error: dict[str, Any] | None = None
    started_at: float | None = None
    finished_at: float | None = None
    cached_nodes: list[str] = field(default_factory=list)


class Executor(Protocol):
    async def submit(self, prompt: dict[str, Any], extra_data: dict[str, Any]) -> str:
        """Validate and queue PROMPT; return its prompt id or raise SubmitError."""

    def cancel_queued(self, prompt_id: str) -> bool:
        """Remove a prompt that has not started; False when it is not waiting in the queue."""

    def interrupt(self, prompt_id: str) -> bool:
        """Interrupt PROMPT_ID only if it is the prompt running now."""

    def running_prompt_ids(self) -> set[str]: ...

    def request_free(self, unload_models: bool, free_memory: bool) -> None: ...

    def forget(self, prompt_id: str) -> None:
        """Drop a recorded prompt from ComfyUI's in-memory history."""
