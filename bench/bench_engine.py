"""Benchmark the run engine against the usual ways of batching ComfyUI, on a real server.

Run by hand (it takes about ten minutes):

    .runtime/venv/bin/python bench/bench_engine.py [--jobs 200] [--target-ms 150]

It starts its own ComfyUI on 127.0.0.1 and compares, side by side on one
fixed-cost model-free workflow:
  (a) post one job to /prompt and poll /history once a second,
  (b) post every job to /prompt at once,
  (c) this extension's engine.
For each it prints wall time over executor busy time and the median and
largest idle gap between jobs, taken from ComfyUI's own execution
timestamps. It then measures queuing 10,000 jobs, starting a template set of
1,000,000 combinations, the server's memory after 5,000 engine jobs, and
loading a checkpoint of 100,000 IDs.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO_ROOT), str(REPO_ROOT / "scripts")]

from comfyui import ComfyServer, provision  # noqa: E402

from batch_runner.client import BatchClient  # noqa: E402
from batch_runner.storage.checkpoint import Checkpoint  # noqa: E402


# ComfyUI 0.3.75's worker thread runs gc.collect() between two prompts when
# 10 s have passed since the last one (main.py, prompt_worker). That pause
# shows as a gap of a few hundred milliseconds however the prompts were queued,
# so gaps above this many seconds are counted separately.
LONG_GAP = 0.1


@dataclass
class Timing:
    label: str
    jobs: int
    wall: float
    busy: float
    gaps: list[float]

    @property
    def ratio(self) -> float:
        return self.wall / self.busy

    @property
    def long_gaps(self) -> list[float]:
        return [gap for gap in self.gaps if gap > LONG_GAP]

    @property
    def ratio_without_long_gaps(self) -> float:
        return (self.wall - sum(self.long_gaps)) / self.busy

    def row(self) -> str:
        median = statistics.median(self.gaps) * 1000 if self.gaps else 0.0
        largest = max(self.gaps) * 1000 if self.gaps else 0.0
        return (f"| {self.label} | {self.jobs} | {self.wall:.2f} | {self.busy:.2f} | {self.ratio:.3f} | "
                f"{median:.1f} | {largest:.1f} | {len(self.long_gaps)} ({sum(self.long_gaps):.2f} s) | "
                f"{self.ratio_without_long_gaps:.3f} |")


def plain_graph(size: int, radius: int, color: int, prefix: str) -> dict:
    """EmptyImage -> ImageBlur -> SaveImage; a distinct COLOR per job defeats ComfyUI's cache."""
    return {
        "1": {"class_type": "EmptyImage", "_meta": {"title": "Canvas"},
              "inputs": {"width": size, "height": size, "batch_size": 1, "color": color}},
        "2": {"class_type": "ImageBlur", "_meta": {"title": "Blur"},
              "inputs": {"image": ["1", 0], "blur_radius": radius, "sigma": 3.0}},
        "3": {"class_type": "SaveImage", "_meta": {"title": "Save"},
              "inputs": {"images": ["2", 0], "filename_prefix": prefix}},
    }


def http_json(url: str, body: dict | None = None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def post_prompt(server: ComfyServer, prompt: dict) -> str:
    return http_json(server.url + "/prompt", {"prompt": prompt, "client_id": uuid.uuid4().hex})["prompt_id"]


def execution_span(entry: dict) -> tuple[float, float]:
    stamps = {kind: data.get("timestamp") for kind, data in entry["status"]["messages"]}
    return stamps["execution_start"] / 1000, stamps["execution_success"] / 1000


def timing_from_spans(label: str, spans: list[tuple[float, float]]) -> Timing:
    spans.sort()
    busy = sum(end - start for start, end in spans)
    wall = spans[-1][1] - spans[0][0]
    gaps = [max(0.0, spans[i + 1][0] - spans[i][1]) for i in range(len(spans) - 1)]
    return Timing(label, len(spans), wall, busy, gaps)


def history_spans(server: ComfyServer, prompt_ids: list[str]) -> list[tuple[float, float]]:
    history = http_json(server.url + "/history?max_items=100000")
    return [execution_span(history[prompt_id]) for prompt_id in prompt_ids]


def wait_for_history(server: ComfyServer, prompt_id: str, poll: float) -> None:
    while prompt_id not in http_json(f"{server.url}/history/{prompt_id}"):
        time.sleep(poll)


def calibrate(server: ComfyServer, target_ms: float) -> tuple[int, int]:
    """Pick an image size whose blur takes about TARGET_MS per job on this machine."""
    size, radius = 512, 12
    for attempt in range(4):
        prompt_id = post_prompt(server, plain_graph(size, radius, 1000 + attempt, "calibrate"))
        wait_for_history(server, prompt_id, 0.05)
        start, end = history_spans(server, [prompt_id])[0]
        measured = (end - start) * 1000
        size = max(64, int(size * (target_ms / measured) ** 0.5))
    return size, radius


def run_polling(server: ComfyServer, jobs: int, size: int, radius: int) -> Timing:
    prompt_ids = []
    for index in range(jobs):
        prompt_id = post_prompt(server, plain_graph(size, radius, 100_000 + index, "bench_poll"))
        wait_for_history(server, prompt_id, poll=1.0)
        prompt_ids.append(prompt_id)
    return timing_from_spans("(a) post one, poll /history every 1 s", history_spans(server, prompt_ids))


def run_all_at_once(server: ComfyServer, jobs: int, size: int, radius: int) -> Timing:
    prompt_ids = [post_prompt(server, plain_graph(size, radius, 200_000 + index, "bench_all"))
                  for index in range(jobs)]
    wait_for_history(server, prompt_ids[-1], poll=0.2)
    return timing_from_spans("(b) post all to /prompt at once", history_spans(server, prompt_ids))


def write_color_rows(path: Path, jobs: int, first_color: int) -> None:
    with open(path, "w", newline="") as target:
        writer = csv.writer(target)
        writer.writerow(["id", "Canvas.color"])
        for index in range(jobs):
            writer.writerow([f"job-{index:06d}", first_color + index])


def manifest_spans(run_dir: Path) -> list[tuple[float, float]]:
    spans = []
    for line in (run_dir / "manifest.jsonl").read_text().splitlines():
        record = json.loads(line)
        if record["status"] == "done":
            spans.append((record["started_at"], record["finished_at"]))
    return spans


def run_engine(server: ComfyServer, jobs: int, size: int, radius: int) -> Timing:
    write_color_rows(server.input_dir / "bench_engine.csv", jobs, 300_000)
    client = BatchClient(server.url)
    client.start_run(plain_graph(size, radius, 0, "bench_engine/img"), "bench-engine",
                     {"source": "bench_engine.csv", "quality_checks": False, "contact_sheets": False})
    final = client.wait("bench-engine", timeout=jobs * 10, interval=0.5)
    assert final["counts"]["done"] == jobs, final
    return timing_from_spans("(c) this engine (window 2)", manifest_spans(server.output_dir / "bench-engine"))


def measure_queue_10k(server: ComfyServer) -> tuple[float, float]:
    """Return the seconds until POST /batch-runner/runs responds and until the first job starts, for 10,000 rows."""
    write_color_rows(server.input_dir / "bench_10k.csv", 10_000, 400_000)
    client = BatchClient(server.url, timeout=120)
    started = time.time()
    client.start_run(plain_graph(64, 1, 0, "bench_10k/img"), "bench-10k",
                     {"source": "bench_10k.csv", "quality_checks": False, "contact_sheets": False})
    answered = time.time() - started
    run_dir = server.output_dir / "bench-10k"
    while not (run_dir / "manifest.jsonl").exists() or not manifest_spans(run_dir):
        time.sleep(0.05)
    client.control("bench-10k", "cancel", {"interrupt": True})
    first_start = min(start for start, _ in manifest_spans(run_dir))
    return answered, first_start - started


def measure_million_combinations(server: ComfyServer) -> tuple[float, float, float, float]:
    """Start a template set of 1,000,000 combinations and measure it.

    Returns the seconds until the route responds and until the first job starts,
    and the server's memory before and after, in MB.
    """
    values = [str(100_000 + index) for index in range(100)]
    (server.input_dir / "bench_million.json").write_text(json.dumps({
        "template": "{color} {shade} {tone}",
        "variables": {"color": values, "shade": values, "tone": values},
        "combinations": "all",
    }))
    graph = {
        "1": {"class_type": "BatchRunnerSource", "inputs": {"file": "bench_million.json", "row": 1, "id_column": "id"}},
        "2": {"class_type": "BatchRunnerField", "inputs": {"row": ["1", 0], "column": "color"}},
        "3": {"class_type": "EmptyImage", "inputs": {"width": 32, "height": 32, "batch_size": 1, "color": ["2", 1]}},
        "4": {"class_type": "BatchRunnerSave", "inputs": {"images": ["3", 0], "row": ["1", 0], "subfolder": "",
                                                          "name": "{id}", "format": "png", "quality": 90}},
    }
    client = BatchClient(server.url, timeout=120)
    before = server_rss_mb(server)
    started = time.time()
    client.start_run(graph, "bench-million", {"max_jobs": 1_000_000, "quality_checks": False,
                                              "contact_sheets": False})
    answered = time.time() - started
    run_dir = server.output_dir / "bench-million"
    while not (run_dir / "manifest.jsonl").exists() or not manifest_spans(run_dir):
        time.sleep(0.02)
    first_start = min(start for start, _ in manifest_spans(run_dir)) - started
    time.sleep(5)
    after = server_rss_mb(server)
    client.control("bench-million", "cancel", {"interrupt": True})
    return answered, first_start, before, after


def server_rss_mb(server: ComfyServer) -> float:
    for line in Path(f"/proc/{server.process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("VmRSS not found")


def measure_memory(server: ComfyServer, jobs: int) -> tuple[float, float]:
    write_color_rows(server.input_dir / "bench_memory.csv", jobs, 600_000)
    client = BatchClient(server.url)
    before = server_rss_mb(server)
    client.start_run(plain_graph(64, 1, 0, "bench_memory/img"), "bench-memory",
                     {"source": "bench_memory.csv", "quality_checks": False, "contact_sheets": False})
    final = client.wait("bench-memory", timeout=jobs * 2, interval=1.0)
    assert final["counts"]["done"] == jobs, final
    time.sleep(2)
    return before, server_rss_mb(server)


def measure_checkpoint_load(entries: int) -> float:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "checkpoint.txt"
        path.write_text("".join(json.dumps(f"row-{index:07d}") + "\n" for index in range(entries)))
        started = time.perf_counter()
        checkpoint = Checkpoint.open(Path(folder))
        elapsed = time.perf_counter() - started
        assert len(checkpoint) == entries
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=200, help="jobs per approach (default 200)")
    parser.add_argument("--target-ms", type=float, default=150, help="cost of one job in milliseconds")
    parser.add_argument("--memory-jobs", type=int, default=5000, help="engine jobs for the memory check")
    args = parser.parse_args()

    installation = provision()
    with tempfile.TemporaryDirectory() as base, ComfyServer(installation, Path(base)) as server:
        size, radius = calibrate(server, args.target_ms)
        print(f"Job: EmptyImage {size}x{size} -> ImageBlur radius {radius} -> SaveImage", flush=True)
        timings = [run_polling(server, args.jobs, size, radius),
                   run_all_at_once(server, args.jobs, size, radius),
                   run_engine(server, args.jobs, size, radius)]
        answered, first_job = measure_queue_10k(server)
        million = measure_million_combinations(server)
        before, after = measure_memory(server, args.memory_jobs)
    checkpoint_seconds = measure_checkpoint_load(100_000)

    print("\n| approach | jobs | wall s | busy s | wall / busy | median gap ms | largest gap ms "
          "| gaps over 100 ms | wall / busy without them |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for timing in timings:
        print(timing.row())
    engine = timings[2]
    print(f"\nEngine targets: wall/busy {engine.ratio:.3f} (at most 1.01), "
          f"median gap {statistics.median(engine.gaps) * 1000:.1f} ms (at most 5 ms)")
    print(f"Queue 10,000 jobs: route answered in {answered:.2f} s, first job started after {first_job:.2f} s "
          f"(target at most 1 s)")
    print(f"Template set of 1,000,000 combinations: route answered in {million[0]:.2f} s, first job started "
          f"after {million[1]:.2f} s (target under 1 s); server memory {million[2]:.0f} MB before, "
          f"{million[3]:.0f} MB five seconds into the run")
    print(f"Memory: {before:.0f} MB before, {after:.0f} MB after {args.memory_jobs} engine jobs, "
          f"{after - before:+.0f} MB (target at most +100 MB)")
    print(f"Checkpoint of 100,000 IDs loaded in {checkpoint_seconds:.3f} s (target at most 0.2 s)")


if __name__ == "__main__":
    main()
