"""Read a finished prompt's history entry: the files it saved, or why it failed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .executor import PromptOutcome

# The key under which the batch saver reports its files in its UI output.
SAVER_REPORT_KEY = "batch_runner"


def collect_output_files(outputs: dict[str, Any], run_dir: Path, row_id: str) -> tuple[list[str], str | None]:
    """Return the files (relative to RUN_DIR) that the batch saver reported for ROW_ID, and its prompt text."""
    files: list[str] = []
    prompt_text = None
    for node_output in outputs.values():
        if not isinstance(node_output, dict):
            continue
        for report in node_output.get(SAVER_REPORT_KEY) or []:
            if not isinstance(report, dict) or report.get("row_id") != row_id:
                continue
            files.extend(str(name) for name in report.get("files", []))
            prompt_text = report.get("prompt_text") or prompt_text
    return files, prompt_text


def describe_failure(outcome: PromptOutcome) -> dict[str, Any]:
    if outcome.error:
        return dict(outcome.error)
    if outcome.interrupted:
        return {"message": "the job was interrupted", "type": "interrupted"}
    return {"message": "the job failed without an error message"}


def is_out_of_memory(error: dict[str, Any] | None) -> bool:
    if not error:
        return False
    text = f"{error.get('exception_type', '')} {error.get('message', '')}".lower()
    return "outofmemory" in text.replace(" ", "") or "out of memory" in text
