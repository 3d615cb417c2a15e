"""Shared fixtures: the repository on sys.path, and real ComfyUI servers for integration tests.

Set COMFYUI_DIR (and optionally COMFYUI_PYTHON) to test against your own
ComfyUI checkout instead of the one `scripts/comfyui.py` provisions.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
for folder in (REPO_ROOT, REPO_ROOT / "scripts", REPO_ROOT / "tests"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
