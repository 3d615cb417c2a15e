"""Helpers shared by the integration and browser tests."""

from __future__ import annotations

import shutil
from pathlib import Path

from comfyui import ComfyServer

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def copy_example(server: ComfyServer, name: str = "batch_demo_products.csv", as_name: str | None = None) -> str:
    target = server.input_dir / (as_name or name)
    shutil.copyfile(EXAMPLES / name, target)
    return target.name
