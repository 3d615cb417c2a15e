"""`make demo`: a real batch on the bundled example in a real ComfyUI.

Starts ComfyUI with the extension on a free port, runs the model-free demo
workflow over examples/batch_demo_products.csv, prints what happened and
where the files are, and stops the server. The base folder persists in
.runtime/demo, so a second run finds every row complete and queues nothing.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from comfyui import REPO_ROOT, RUNTIME_DIR, ComfyServer, provision  # noqa: E402

from batch_runner.client import BatchClient  # noqa: E402

RUN_NAME = "product-mockups"
SOURCE = "batch_demo_products.csv"


def main() -> int:
    installation = provision()
    base_dir = RUNTIME_DIR / "demo"
    examples = REPO_ROOT / "examples"
    prompt = json.loads((examples / "batch_demo_api.json").read_text())
    workflow = json.loads((REPO_ROOT / "example_workflows" / "batch_demo.json").read_text())

    with ComfyServer(installation, base_dir) as server:
        print(f"ComfyUI is up at {server.url} (log: {server.log_path})")
        shutil.copyfile(examples / SOURCE, server.input_dir / SOURCE)
        client = BatchClient(server.url)

        started = client.start_run(prompt, RUN_NAME, workflow=workflow)
        counts = started["counts"]
        print(f"Run '{RUN_NAME}': {counts['total']} rows, {counts['skipped']} already complete, "
              f"{counts['total'] - counts['skipped']} queued")
        if started.get("message"):
            print(started["message"])

        final = _follow(client, started["run_id"])
        counts = final["counts"]
        run_dir = Path(final["folder"])
        print(f"\nState: {final['state']}; {counts['done']} rows run now, {counts['skipped']} already complete "
              f"from an earlier run, {counts['failed']} failed, {counts['total']} in all")
        print(f"Images:     {run_dir}/<style>/<id>.png")
        print(f"Checkpoint: {run_dir / 'checkpoint.txt'}")
        print(f"Manifest:   {run_dir / 'manifest.csv'}")
        print(f"Overview:   {run_dir / '_contact_sheet.png'}")
        images = [path for path in sorted(run_dir.glob("*/*.png")) if not path.name.startswith("_")]
        for path in images[:3]:
            print(f"  e.g. {path.relative_to(run_dir)}")
    return 0 if final["state"] == "done" and counts["failed"] == 0 else 1


def _follow(client: BatchClient, run_id: str) -> dict:
    last = None
    while True:
        state = client.run(run_id)
        counts = state["counts"]
        line = f"  {state['state']}: {counts['done'] + counts['skipped']}/{counts['total']} complete, " \
               f"{counts['failed']} failed"
        if line != last:
            print(line, flush=True)
            last = line
        if state["state"] in ("done", "failed", "cancelled", "paused"):
            return state
        time.sleep(0.3)


if __name__ == "__main__":
    sys.exit(main())
