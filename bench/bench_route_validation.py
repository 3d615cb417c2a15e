"""Benchmark checking a 100,000-row CSV through the preview route of a real ComfyUI.

Run by hand:

    .runtime/venv/bin/python bench/bench_route_validation.py

The preview does everything a run does before queuing: it parses and types
the file, checks every row's values against the inputs they feed, plans
every row's output name to predict collisions, and has ComfyUI validate the
first job. It queues nothing.
"""

from __future__ import annotations

import csv
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO_ROOT), str(REPO_ROOT / "scripts")]

from comfyui import ComfyServer, provision  # noqa: E402

from batch_runner.client import BatchClient  # noqa: E402

ROWS = 100_000
STYLES = ("studio", "lifestyle", "flatlay")


def write_rows(path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as target:
        writer = csv.writer(target)
        writer.writerow(["id", "prompt", "negative", "style", "color", "accent", "width", "height", "blur", "seed"])
        for index in range(ROWS):
            writer.writerow([f"item-{index:06d}", f'product {index}, "quoted", soft light', "blurry, text",
                             STYLES[index % 3], "#112233", "#445566", 256, 256, 3, 2**64 - 1 - index])


def main() -> None:
    with tempfile.TemporaryDirectory() as base, ComfyServer(provision(), Path(base)) as server:
        write_rows(server.input_dir / "rows_100k.csv")
        prompt = json.loads((REPO_ROOT / "examples" / "batch_demo_api.json").read_text())
        prompt["1"]["inputs"]["file"] = "rows_100k.csv"
        client = BatchClient(server.url, timeout=300)

        seconds = []
        for _ in range(3):
            started = time.perf_counter()
            preview = client.preview(prompt, limit=1)
            seconds.append(time.perf_counter() - started)
            assert preview["count"] == ROWS, preview["count"]
            assert preview["error_count"] == 0, preview["problems"][:3]

    print(f"Preview of {ROWS:,} rows through the route: median {statistics.median(seconds):.2f} s "
          f"(runs: {', '.join(f'{s:.2f}' for s in seconds)})")


if __name__ == "__main__":
    main()
