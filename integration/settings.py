"""Server-side settings, read from the environment of the ComfyUI process."""

import os

AUTO_RESUME_VARIABLE = "BATCH_RUNNER_AUTO_RESUME"


def auto_resume_enabled() -> bool:
    """True when unfinished runs should continue on their own after ComfyUI restarts."""
    return os.environ.get(AUTO_RESUME_VARIABLE, "").strip().lower() in ("1", "true", "yes", "on")
