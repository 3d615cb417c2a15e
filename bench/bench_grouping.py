"""Benchmark `ordering: group_models` against file order on a real ComfyUI with two SD 1.5 checkpoints.

Run by hand from the repository root. It took 7 minutes on 2 CPU cores, and
about 2 minutes more on the first run, which writes the checkpoints:

    .runtime/venv/bin/python bench/bench_grouping.py [--rows 20] [--steps 1] [--size 64] [--repeat 3] [--threads 1]

It writes two SD 1.5 checkpoints with random weights (A and B, about 2.1 GB
each, kept in bench/.cache/checkpoints/ for the next run), then runs one job
file whose rows alternate A, B, A, B... through the SD 1.5 example graph with
  (1) `ordering: file`, the file's order, and
  (2) `ordering: group_models`, rows sharing a checkpoint back to back,
each on a fresh ComfyUI so every run starts with an empty cache. The two
alternate REPEAT times. ComfyUI's classic cache keeps only the previous
prompt's outputs, so file order should load a checkpoint for every job and
grouping once per checkpoint.

A checkpoint load is counted as one "model weight dtype" line in the server's
log: ComfyUI 0.3.75 logs it when it builds the UNet (BaseModel.__init__ in
comfy/model_base.py), which CheckpointLoaderSimple does once per load. The
"Requested to load BaseModel" lines are counted too, as a cross-check. Wall
time runs from the POST that starts the run until the run reports done.
Server CPU is the ComfyUI process's user plus system time over the same
span. Other work on the CPUs disturbs it less than wall time, but not
entirely, and the 1-minute load average printed after each run shows how
busy the machine was. Job durations come from each run's manifest.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO_ROOT), str(REPO_ROOT / "scripts"), str(REPO_ROOT / "bench")]

from comfyui import ComfyServer, Installation, provision  # noqa: E402
from synthetic_checkpoint import ensure_checkpoint  # noqa: E402

from batch_runner.client import BatchClient  # noqa: E402

EXAMPLE_GRAPH = REPO_ROOT / "examples" / "batch_txt2img_sd15_api.json"
DEFAULT_CACHE_DIR = REPO_ROOT / "bench" / ".cache" / "checkpoints"
CHECKPOINT_COLUMN = "Load Checkpoint.ckpt_name"
JOB_FILE_NAME = "bench_grouping.csv"

# Lines that ComfyUI 0.3.75 logs, explained in the module docstring.
LOAD_MARKER = "model weight dtype"
REQUEST_MARKER = "Requested to load BaseModel"

# File name in models/checkpoints and the seed of its random weights.
CHECKPOINTS = {"bench-sd15-a.safetensors": 1, "bench-sd15-b.safetensors": 2}
SUBJECTS = ["a ceramic mug", "a leather bag", "a brass lamp", "a canvas tote", "a glass vase"]
STYLES = ["studio", "lifestyle"]


@dataclass
class ModeResult:
    """One run of the job file with one ordering, on its own fresh ComfyUI."""

    ordering: str
    jobs: int
    wall: float
    server_cpu: float
    loads: int
    load_requests: int
    # Job durations from the manifest, split by whether the job's checkpoint
    # differs from the previous job's, i.e. whether the job had to load it.
    switch_seconds: list[float]
    reuse_seconds: list[float]
    load_average: float

    @property
    def checkpoint_changes(self) -> int:
        return len(self.switch_seconds)


def write_job_file(path: Path, rows: int) -> None:
    """Write ROWS rows whose checkpoint alternates A, B, A, B..."""
    names = list(CHECKPOINTS)
    with open(path, "w", newline="") as target:
        writer = csv.writer(target)
        writer.writerow(["id", "prompt", "negative", "style", "seed", CHECKPOINT_COLUMN])
        for index in range(rows):
            writer.writerow([f"job-{index + 1:03d}", SUBJECTS[index % len(SUBJECTS)], "blurry, low quality",
                             STYLES[index % len(STYLES)], 1000 + index, names[index % len(names)]])


def bench_graph(size: int, steps: int) -> dict:
    """Load the SD 1.5 example graph and make it cheap on a CPU: a SIZE x SIZE image in STEPS steps."""
    graph = json.loads(EXAMPLE_GRAPH.read_text())
    graph["1"]["inputs"]["file"] = JOB_FILE_NAME
    graph["2"]["inputs"]["ckpt_name"] = next(iter(CHECKPOINTS))
    graph["7"]["inputs"].update(width=size, height=size)
    graph["9"]["inputs"]["steps"] = steps
    return graph


def count_lines(log_path: Path, marker: str) -> int:
    return sum(marker in line for line in log_path.read_text(errors="replace").splitlines())


def job_seconds_by_switch(run_dir: Path) -> tuple[list[float], list[float]]:
    """Split job durations into jobs that switch checkpoint and jobs that reuse the previous one.

    Jobs are taken in the order they started. The first job counts as a switch.
    """
    records = [json.loads(line) for line in (run_dir / "manifest.jsonl").read_text().splitlines()]
    records.sort(key=lambda record: record["started_at"])

    switch_seconds, reuse_seconds = [], []
    previous = None
    for record in records:
        name = record["values"].get(CHECKPOINT_COLUMN)
        target = reuse_seconds if name == previous else switch_seconds
        target.append(record["finished_at"] - record["started_at"])
        previous = name
    return switch_seconds, reuse_seconds


def process_cpu_seconds(pid: int) -> float:
    """User plus system CPU time of process PID and all its threads, from /proc (Linux only)."""
    # The command name in field 2 may contain spaces, so split after its closing bracket.
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    user_ticks, system_ticks = int(fields[11]), int(fields[12])
    return (user_ticks + system_ticks) / os.sysconf("SC_CLK_TCK")


def link_checkpoints(base_dir: Path, checkpoint_paths: dict[str, Path]) -> None:
    folder = base_dir / "models" / "checkpoints"
    folder.mkdir(parents=True, exist_ok=True)
    for name, path in checkpoint_paths.items():
        (folder / name).symlink_to(path.resolve())


def run_mode(installation: Installation, checkpoint_paths: dict[str, Path], ordering: str,
             args: argparse.Namespace) -> ModeResult:
    """Run the job file once with ORDERING on a fresh ComfyUI and measure it."""
    run_name = f"grouping-{ordering}"
    options = {"ordering": ordering, "quality_checks": False, "contact_sheets": False}

    with tempfile.TemporaryDirectory(prefix="bench-grouping-") as base:
        base_dir = Path(base)
        link_checkpoints(base_dir, checkpoint_paths)
        # See --threads in main() for why the thread count is pinned.
        thread_env = {"OMP_NUM_THREADS": str(args.threads)}
        with ComfyServer(installation, base_dir, extra_env=thread_env) as server:
            write_job_file(server.input_dir / JOB_FILE_NAME, args.rows)
            client = BatchClient(server.url)

            cpu_before = process_cpu_seconds(server.process.pid)
            started = time.monotonic()
            client.start_run(bench_graph(args.size, args.steps), run_name, options)
            final = client.wait(run_name, timeout=args.rows * 120, interval=0.2)
            wall = time.monotonic() - started
            server_cpu = process_cpu_seconds(server.process.pid) - cpu_before

        # The base folder and its log are deleted on return, so a failure shows the log's end.
        if final["counts"]["done"] != args.rows:
            raise RuntimeError(f"Run {run_name} ended {final['state']} with {final['counts']}. "
                               f"End of the ComfyUI log:\n{server.log_tail()}")
        switch_seconds, reuse_seconds = job_seconds_by_switch(server.output_dir / run_name)
        return ModeResult(
            ordering=ordering, jobs=args.rows, wall=wall, server_cpu=server_cpu,
            loads=count_lines(server.log_path, LOAD_MARKER),
            load_requests=count_lines(server.log_path, REQUEST_MARKER),
            switch_seconds=switch_seconds, reuse_seconds=reuse_seconds,
            load_average=os.getloadavg()[0],
        )


def print_table(results: list[ModeResult], orderings: tuple[str, ...]) -> None:
    """Print one row per ordering with the medians over its repetitions, then the ratio row."""
    rows = {}
    print("\n| ordering | jobs | checkpoint loads | checkpoint changes in run order "
          "| wall s | server CPU s | wall s per job |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for ordering in orderings:
        runs = [result for result in results if result.ordering == ordering]
        loads = sorted({result.loads for result in runs})
        changes = sorted({result.checkpoint_changes for result in runs})
        wall = statistics.median(result.wall for result in runs)
        cpu = statistics.median(result.server_cpu for result in runs)
        rows[ordering] = (loads[-1], changes[-1], wall, cpu)
        print(f"| {ordering} | {runs[0].jobs} | {'/'.join(map(str, loads))} | {'/'.join(map(str, changes))} "
              f"| {wall:.1f} | {cpu:.1f} | {wall / runs[0].jobs:.2f} |")

    first, second = (rows[ordering] for ordering in orderings)
    print(f"| ratio {orderings[0]} / {orderings[1]} | | {first[0] / second[0]:.1f}x | {first[1] / second[1]:.1f}x "
          f"| {first[2] / second[2]:.2f}x | {first[3] / second[3]:.2f}x | |")
    print(f"\nWall and CPU times are medians of {len(results) // len(orderings)} run(s) per ordering; "
          "loads and changes list every distinct value seen.")
    print_job_times(results, orderings)

    for result in results:
        if result.load_requests != result.loads:
            print(f"NOTE: {result.ordering}: {result.loads} '{LOAD_MARKER}' lines but "
                  f"{result.load_requests} '{REQUEST_MARKER}' lines in the log.")


def print_job_times(results: list[ModeResult], orderings: tuple[str, ...]) -> None:
    """Print median job durations with and without a checkpoint switch, over all runs."""
    print("\n| ordering | jobs that switch checkpoint | median s | jobs that reuse it | median s |")
    print("| --- | --- | --- | --- | --- |")
    for ordering in orderings:
        switch = [seconds for result in results if result.ordering == ordering for seconds in result.switch_seconds]
        reuse = [seconds for result in results if result.ordering == ordering for seconds in result.reuse_seconds]
        print(f"| {ordering} | {len(switch)} | {_median_text(switch)} | {len(reuse)} | {_median_text(reuse)} |")

    every_switch = [seconds for result in results for seconds in result.switch_seconds]
    every_reuse = [seconds for result in results for seconds in result.reuse_seconds]
    if every_switch and every_reuse:
        extra = statistics.median(every_switch) - statistics.median(every_reuse)
        print(f"\nEstimated cost of one checkpoint load (median switch job minus median reuse job, "
              f"all runs): {extra:.2f} s")


def _median_text(values: list[float]) -> str:
    return f"{statistics.median(values):.2f}" if values else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20, help="jobs in the job file (default 20)")
    parser.add_argument("--steps", type=int, default=1, help="KSampler steps per job (default 1)")
    parser.add_argument("--size", type=int, default=64, help="image width and height in pixels (default 64)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per ordering, each on a fresh server (default 3)")
    # Measured on 2 cores shared with other jobs: with torch's default of two
    # threads, a 6-job run took 3 to 4 times longer than with one, and so did
    # its CPU time. Probably each thread spins at a barrier while the other
    # is preempted.
    parser.add_argument("--threads", type=int, default=1,
                        help="OMP_NUM_THREADS for ComfyUI, the torch threads per operation (default 1)")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE_DIR,
                        help="folder for the generated checkpoints (default bench/.cache/checkpoints)")
    args = parser.parse_args()

    benchmark_started = time.monotonic()
    print(f"1-minute load average before the benchmark: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    installation = provision()
    checkpoint_paths = {
        name: ensure_checkpoint(args.cache_dir / name, seed, installation.python, installation.comfyui_dir)
        for name, seed in CHECKPOINTS.items()
    }
    print(f"Job: SD 1.5 example graph, EmptyLatentImage {args.size}x{args.size}, KSampler {args.steps} step(s), "
          f"{args.rows} rows alternating {' / '.join(CHECKPOINTS)}, {args.threads} torch thread(s)", flush=True)

    # The orderings alternate, so a slow spell on a shared machine is less
    # likely to fall on one ordering only.
    orderings = ("file", "group_models")
    results = []
    for repetition in range(1, args.repeat + 1):
        for ordering in orderings:
            result = run_mode(installation, checkpoint_paths, ordering, args)
            results.append(result)
            print(f"run {repetition}, ordering {ordering}: wall {result.wall:.1f} s, server CPU "
                  f"{result.server_cpu:.1f} s, {result.loads} checkpoint loads, "
                  f"1-minute load average {result.load_average:.2f}", flush=True)

    print_table(results, orderings)
    print(f"\nBenchmark total: {time.monotonic() - benchmark_started:.0f} s")


if __name__ == "__main__":
    main()
