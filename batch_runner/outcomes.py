"""Read a finished prompt's history entry: the files it saved, or why it failed."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .executor import PromptOutcome
from .quality import check_image_file
from .run_options import RunOptions

# The key under which the batch saver reports its files in its UI output.
SAVER_REPORT_KEY = "batch_runner"


def collect_output_files(outputs: dict[str, Any], run_dir: Path, row_id: str) -> tuple[list[str], str | None]:
    """Return the files a job saved, relative to RUN_DIR, and the prompt text the batch saver recorded.

    The batch saver's report is used when there is one. A graph without it
    (bound by column names to core nodes) is credited with every file its
    output nodes wrote, such as SaveImage's. Those files usually lie outside
    the run folder, so their paths start with "../".
    """
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
    if files:
        return files, prompt_text
    return _files_of_other_savers(outputs, run_dir), prompt_text


def _files_of_other_savers(outputs: dict[str, Any], run_dir: Path) -> list[str]:
    output_dir = run_dir.parent
    files = []
    for node_output in outputs.values():
        if not isinstance(node_output, dict):
            continue
        for entries in node_output.values():
            for entry in entries if isinstance(entries, list) else []:
                if isinstance(entry, dict) and entry.get("type") == "output" and entry.get("filename"):
                    path = output_dir / entry.get("subfolder", "") / entry["filename"]
                    files.append(Path(os.path.relpath(path, run_dir)).as_posix())
    return files


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


@dataclass
class OutputVerdict:
    """Whether a job's files are on disk (`saved`) and look like real images (`passed`)."""

    saved: bool
    passed: bool
    reasons: list[str] = field(default_factory=list)


def verify_outputs(run_dir: Path, files: list[str], options: RunOptions) -> OutputVerdict:
    """Check a finished job's files: present, and, when quality checks are on, plausible images.

    Runs on a worker thread because it reads and decodes every file.
    """
    if not files:
        return OutputVerdict(False, False, ["the job finished but saved no file: connect a Batch Save Image "
                                            "node, or another node that saves to the output folder"])
    missing = [name for name in files if not (run_dir / name).is_file()]
    if missing:
        return OutputVerdict(False, False, [f"output file missing on disk: {name}" for name in missing])
    if not options.quality_checks:
        return OutputVerdict(True, True)

    reasons = []
    for name in files:
        result = check_image_file(run_dir / name, min_bytes=options.min_bytes, max_bytes=options.max_bytes,
                                  uniform_threshold=options.uniform_threshold)
        reasons += [f"{name}: {reason}" for reason in result.reasons]
    return OutputVerdict(True, not reasons, reasons)
