"""The headless command against a real ComfyUI, run as a user would from the repository root.

The command runs under `python -S`, without site-packages, as on a machine
that has only Python and this repository.
"""

from __future__ import annotations

import csv
import json
import queue
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest

from support import EXAMPLES

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO_ROWS = 12


def batch_runner(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-S", "-m", "batch_runner", *args], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=timeout)


def run_demo(server_url: str, name: str, *extra: str, source: Path = EXAMPLES / "batch_demo_products.csv"
             ) -> subprocess.CompletedProcess:
    return batch_runner("run", "--server", server_url, "--workflow", "examples/batch_demo_api.json",
                        "--source", str(source), "--name", name, "--interval", "0.2", *extra)


def demo_row_ids() -> list[str]:
    with open(EXAMPLES / "batch_demo_products.csv", newline="", encoding="utf-8") as source:
        return [row["id"] for row in csv.DictReader(source)]


def explain(completed: subprocess.CompletedProcess, server) -> str:
    return (f"exit {completed.returncode}\nstdout:\n{completed.stdout}\nstderr:\n{completed.stderr}\n"
            f"comfyui.log:\n{server.log_tail()}")


def test_demo_batch_runs_to_done(shared_server):
    completed = run_demo(shared_server.url, "cli-demo")

    assert completed.returncode == 0, explain(completed, shared_server)
    assert f"done {DEMO_ROWS}, failed 0" in completed.stdout
    run_dir = shared_server.output_dir / "cli-demo"
    for row_id in demo_row_ids():
        assert len(list(run_dir.glob(f"*/{row_id}.png"))) == 1, f"no image for row {row_id}"
    # Not a terminal, so progress comes as whole lines without carriage returns.
    assert "\r" not in completed.stderr


def test_rerun_same_name_is_already_complete(shared_server):
    first = run_demo(shared_server.url, "cli-rerun")
    assert first.returncode == 0, explain(first, shared_server)

    second = run_demo(shared_server.url, "cli-rerun")

    assert second.returncode == 0, explain(second, shared_server)
    assert "already complete" in second.stderr
    assert f"done 0, failed 0, skipped {DEMO_ROWS}" in second.stdout


def test_bad_csv_exits_two_naming_row_and_column(shared_server, tmp_path):
    lines = (EXAMPLES / "batch_demo_products.csv").read_text().splitlines()
    fields = lines[5].split(",")
    fields[-2] = "99"  # blur radius above ImageBlur's maximum of 31, on data row 5
    lines[5] = ",".join(fields)
    bad = tmp_path / "bad_blur.csv"
    bad.write_text("\n".join(lines) + "\n")

    completed = run_demo(shared_server.url, "cli-bad", source=bad)

    assert completed.returncode == 2, explain(completed, shared_server)
    assert "row 5" in completed.stderr
    assert "column 'blur'" in completed.stderr
    assert "(value: '99')" in completed.stderr
    assert not (shared_server.output_dir / "cli-bad").exists()


def test_source_with_other_name_replaces_node_file(shared_server, tmp_path):
    source = tmp_path / "renamed_products.csv"
    source.write_bytes((EXAMPLES / "batch_demo_products.csv").read_bytes())
    (shared_server.input_dir / "batch_demo_products.csv").unlink(missing_ok=True)

    completed = run_demo(shared_server.url, "cli-renamed", source=source)

    assert completed.returncode == 0, explain(completed, shared_server)
    assert f"done {DEMO_ROWS}, failed 0" in completed.stdout


@pytest.fixture
def webhook_receiver() -> Iterator[tuple[str, queue.Queue]]:
    """A webhook receiver on 127.0.0.1 that queues each posted JSON body."""
    bodies: queue.Queue = queue.Queue()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            bodies.put(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hooks/T000/SECRET", bodies
    server.shutdown()
    server.server_close()


def test_webhook_gets_start_and_finish(shared_server, webhook_receiver):
    url, bodies = webhook_receiver

    completed = run_demo(shared_server.url, "cli-webhook", "--webhook", url)
    assert completed.returncode == 0, explain(completed, shared_server)

    events = []
    while "done" not in events:
        body = bodies.get(timeout=10)
        assert body["text"] == body["content"]
        assert body["batch_runner"]["run"]["run_id"] == "cli-webhook"
        events.append(body["batch_runner"]["event"])
    assert events[0] == "started"
    assert events[-1] == "done"


def test_limit_pauses_then_resume_finishes(shared_server):
    limited = run_demo(shared_server.url, "cli-limit", "--limit", "3")

    assert limited.returncode == 3, explain(limited, shared_server)
    assert "done 3, failed 0" in limited.stdout
    assert "python -m batch_runner resume cli-limit" in limited.stdout

    resumed = batch_runner("resume", "cli-limit", "--server", shared_server.url, "--interval", "0.2")

    assert resumed.returncode == 0, explain(resumed, shared_server)
    assert f"done {DEMO_ROWS}, failed 0" in resumed.stdout


def test_status_json_reports_the_run(shared_server):
    completed = run_demo(shared_server.url, "cli-status", "--quiet")
    assert completed.returncode == 0, explain(completed, shared_server)

    status = batch_runner("status", "cli-status", "--json", "--server", shared_server.url)

    assert status.returncode == 0, explain(status, shared_server)
    run = json.loads(status.stdout)
    assert run["state"] == "done"
    assert run["counts"]["done"] == DEMO_ROWS
    assert run["failed_rows"] == []


def test_ui_workflow_is_rejected_before_any_request(shared_server, tmp_path):
    ui_workflow = tmp_path / "ui.json"
    ui_workflow.write_text(json.dumps({"nodes": [], "links": [], "version": 0.4}))

    completed = batch_runner("run", "--server", shared_server.url, "--workflow", str(ui_workflow),
                             "--name", "cli-ui")

    assert completed.returncode == 2
    assert "Export (API)" in completed.stderr
    assert not (shared_server.output_dir / "cli-ui").exists()


def test_unreachable_server_exits_four():
    completed = batch_runner("status", "--server", "http://127.0.0.1:9")

    assert completed.returncode == 4
    assert "cannot reach ComfyUI at http://127.0.0.1:9" in completed.stderr
