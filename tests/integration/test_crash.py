"""SIGKILL ComfyUI at several points of a run, restart, resume: nothing lost, nothing repeated."""

from __future__ import annotations

import json
import os
import time
import urllib.request
from pathlib import Path
from typing import Callable

from PIL import Image

from batch_runner.client import BatchClient

from support import write_rows
from test_engine import demo_graph, demo_rows

ROWS = 14


def row_images(run_dir: Path) -> list[Path]:
    return [p for p in run_dir.rglob("*.png") if not p.name.startswith(("_contact_sheet", "."))]


def checkpoint_entries(run_dir: Path) -> list[str]:
    path = run_dir / "checkpoint.txt"
    if not path.exists():
        return []
    entries = []
    for line in path.read_bytes().splitlines():
        try:
            entries.append(json.loads(line))
        except (json.JSONDecodeError, UnicodeDecodeError):
            pass
    return entries


def wait_until(condition: Callable[[], bool], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the run did not reach the kill point"
        time.sleep(0.001)


def queue_running(url: str) -> bool:
    with urllib.request.urlopen(url + "/queue") as response:
        return bool(json.loads(response.read())["queue_running"])


def kill_right_after_a_save(server, run_dir: Path) -> None:
    count = len(row_images(run_dir))
    wait_until(lambda: len(row_images(run_dir)) > count)
    server.kill()


def kill_between_jobs(server, run_dir: Path) -> None:
    count = len(checkpoint_entries(run_dir))
    wait_until(lambda: len(checkpoint_entries(run_dir)) > count)
    server.kill()


def kill_while_a_job_runs(server, run_dir: Path) -> None:
    count = len(row_images(run_dir))
    wait_until(lambda: len(row_images(run_dir)) > count)
    time.sleep(0.05)
    wait_until(lambda: queue_running(server.url))
    server.kill()


def test_sigkill_at_any_point_loses_and_repeats_nothing(start_server, tmp_path):
    base = tmp_path / "crash"
    server = start_server(base)
    write_rows(server.input_dir / "crash.csv", demo_rows(ROWS, size=1024))
    run_dir = base / "output" / "crash"
    BatchClient(server.url).start_run(demo_graph("crash.csv"), "crash")

    for kill in (kill_while_a_job_runs, kill_right_after_a_save, kill_between_jobs):
        kill(server, run_dir)
        assert len(set(checkpoint_entries(run_dir))) < ROWS, "the run finished before the kill"

        server = start_server(base)
        client = BatchClient(server.url)
        restored = client.run("crash")
        assert restored["state"] == "paused"
        assert restored["counts"]["skipped"] == len(set(checkpoint_entries(run_dir)))
        client.control("crash", "resume")

    final = BatchClient(server.url).wait("crash", timeout=600)

    assert final["state"] == "done"
    assert final["counts"]["failed"] == 0
    entries = checkpoint_entries(run_dir)
    assert len(entries) == len(set(entries)) == ROWS
    images = row_images(run_dir)
    assert sorted(p.stem for p in images) == sorted(f"item-{i:03d}" for i in range(1, ROWS + 1))
    for path in images:
        with Image.open(path) as image:
            image.load()
    assert not [p for p in run_dir.rglob(".*") if p.is_file()], "temporary files were left behind"

    latest = {}
    for line in (run_dir / "manifest.jsonl").read_text().splitlines():
        record = json.loads(line)
        latest[record["row_id"]] = record
    assert {row_id for row_id, record in latest.items() if record["status"] == "done"} == set(entries)
    for record in latest.values():
        assert len(record["files"]) == 1
        assert (run_dir / record["files"][0]).is_file()


def test_auto_resume_continues_after_restart(start_server, tmp_path):
    base = tmp_path / "auto"
    server = start_server(base)
    write_rows(server.input_dir / "auto.csv", demo_rows(8, size=1024))
    run_dir = base / "output" / "auto"
    BatchClient(server.url).start_run(demo_graph("auto.csv"), "auto")
    kill_between_jobs(server, run_dir)

    server = start_server(base, extra_env={"BATCH_RUNNER_AUTO_RESUME": "1"})
    final = BatchClient(server.url).wait("auto", timeout=300)

    assert final["state"] == "done"
    entries = checkpoint_entries(run_dir)
    assert len(entries) == len(set(entries)) == 8
    assert os.path.exists(run_dir / "manifest.csv")
