"""Hand-run benchmark of job sources: a 100,000-row CSV and a 1,000,000-combination template set.

Run from the repository root:

    .runtime/venv/bin/python bench/bench_sources.py

Each CSV step is timed several times without tracemalloc, then run once more
under tracemalloc for peak Python allocations. RSS figures come from psutil
when it is installed. The input files are generated in a temporary folder and
deleted.
"""

from __future__ import annotations

import argparse
import csv
import gc
import json
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas  # noqa: E402

from batch_runner.rows import JobSource  # noqa: E402
from batch_runner.seeds import SEED_MAX  # noqa: E402
from batch_runner.sources import SourceOptions, load_source  # noqa: E402
from batch_runner.templates import Template  # noqa: E402

try:
    import psutil
except ImportError:
    psutil = None

MIB = 1024 * 1024
ROWS = 100_000
SUBJECTS = ["a ceramic mug", "a leather bag", 'a sign that says "OPEN"', "a cat's toy", "a brass lamp"]
PLACES = ["on a walnut table, soft light", "on slate", "in a sunlit kitchen", "on concrete, (rim light:1.2)"]
STYLES = ["studio", "cinematic", "film grain", "product shot"]


@dataclass
class Measurement:
    name: str
    first_seconds: float
    median_seconds: float
    peak_mib: float
    rss_mib: float | None
    target: str


def write_csv(path: Path, rows: int, seed: int = 1) -> None:
    """Write a realistic job CSV: quoted prompts with commas and quotes, 64-bit seeds, floats and ints."""
    generator = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "prompt", "negative", "style", "seed", "cfg", "width"])
        for number in range(rows):
            prompt = f"{generator.choice(SUBJECTS)} {generator.choice(PLACES)}, detailed, 85mm, item {number}"
            writer.writerow(
                [
                    f"job_{number:06d}",
                    prompt,
                    "blurry, low quality, watermark",
                    generator.choice(STYLES),
                    generator.randint(0, SEED_MAX),
                    f"{generator.uniform(3, 9):.1f}",
                    generator.choice([512, 768, 1024]),
                ]
            )


def write_template_set(path: Path) -> None:
    """Write a template set of 100 × 100 × 100 = 1,000,000 combinations."""
    spec = {
        "template": "professional photo of {product} on {background}, {lighting}",
        "variables": {
            "product": [f"product {index}" for index in range(100)],
            "background": [f"background {index}" for index in range(100)],
            "lighting": [f"lighting {index}" for index in range(100)],
        },
        "combinations": "all",
    }
    path.write_text(json.dumps(spec), encoding="utf-8")


def rss_mib() -> float | None:
    if psutil is None:
        return None
    return psutil.Process().memory_info().rss / MIB


def load_csv(path: Path) -> JobSource:
    """Parse the CSV, infer column types and validate ids: all of it happens inside load_source."""
    return load_source(path, SourceOptions(max_jobs=ROWS))


def render_every_row(source: JobSource) -> int:
    template = Template("{prompt}, {style} style, seed {seed}")
    return sum(len(template.render(row.values)) for row in source)


@dataclass
class CombinationRun:
    first_row_seconds: float
    total_seconds: float
    count: int
    traced_after_first_mib: float
    traced_after_all_mib: float
    traced_peak_mib: float
    rss_growth_mib: float | None


def consume_combinations(path: Path, traced: bool) -> CombinationRun:
    """Time the first Row and the whole iteration; with `traced`, record Python allocations throughout."""
    gc.collect()
    rss_before = rss_mib()
    if traced:
        tracemalloc.start()
    start = time.perf_counter()

    source = load_source(path, SourceOptions(max_jobs=1_000_000))
    rows = iter(source)
    next(rows)
    first_row_seconds = time.perf_counter() - start
    after_first, _ = tracemalloc.get_traced_memory()

    count = 1 + sum(1 for _ in rows)
    total_seconds = time.perf_counter() - start
    after_all, peak = tracemalloc.get_traced_memory()
    if traced:
        tracemalloc.stop()
    rss_after = rss_mib()

    rss_growth = rss_after - rss_before if rss_after is not None and rss_before is not None else None
    return CombinationRun(
        first_row_seconds, total_seconds, count, after_first / MIB, after_all / MIB, peak / MIB, rss_growth
    )


def measure(name: str, target: str, step: Callable[[], object], repeats: int) -> Measurement:
    """Time `step` `repeats` times untraced (RSS growth from the first run), then once under tracemalloc."""
    gc.collect()
    rss_before = rss_mib()
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        timings.append(time.perf_counter() - start)
        if len(timings) == 1:
            rss_after = rss_mib()

    gc.collect()
    tracemalloc.start()
    step()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    rss_delta = rss_after - rss_before if rss_after is not None and rss_before is not None else None
    return Measurement(name, timings[0], statistics.median(timings), peak / MIB, rss_delta, target)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=ROWS, help="rows in the generated CSV (default 100000)")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per CSV step (default 5)")
    arguments = parser.parse_args()
    repeats = max(1, arguments.repeats)

    with tempfile.TemporaryDirectory(prefix="batch-runner-bench-") as folder:
        csv_path = Path(folder) / "jobs.csv"
        write_csv(csv_path, arguments.rows)
        set_path = Path(folder) / "set.json"
        write_template_set(set_path)
        csv_mib = csv_path.stat().st_size / MIB

        # The first load runs first, so its RSS growth is not hidden by memory a previous step kept.
        results = [
            measure("load_source: parse, types, ids", "<= 3 s, <= 200 MiB", lambda: load_csv(csv_path), repeats)
        ]
        loaded = load_csv(csv_path)
        results += [
            measure("render a template for every row", "", lambda: render_every_row(loaded), repeats),
            measure(
                "load_source + render, together",
                "<= 3 s, <= 200 MiB",
                lambda: render_every_row(load_csv(csv_path)),
                repeats,
            ),
        ]
        del loaded
        untraced = consume_combinations(set_path, traced=False)
        combinations = consume_combinations(set_path, traced=True)

    print(f"Python {sys.version.split()[0]}, pandas {pandas.__version__}, psutil {'yes' if psutil else 'no'}")
    print(f"CSV: {arguments.rows:,} rows, {csv_mib:.1f} MiB")
    print(f"{'step':<34} {'first s':>8} {'median s':>9} {'traced peak MiB':>16} {'RSS growth MiB':>15}  target")
    for result in results:
        rss = f"{result.rss_mib:15.1f}" if result.rss_mib is not None else f"{'n/a':>15}"
        print(
            f"{result.name:<34} {result.first_seconds:8.2f} {result.median_seconds:9.2f}"
            f" {result.peak_mib:16.1f} {rss}  {result.target}"
        )
    print(f"(median of {repeats} untraced runs; RSS growth measured over the first run)")

    print(f"Template set: {combinations.count:,} combinations")
    print(f"  first Row after load_source:  {untraced.first_row_seconds * 1000:.1f} ms (target < 1 s)")
    print(f"  all rows consumed:            {untraced.total_seconds:.2f} s (untraced)")
    print(
        f"  traced memory after first Row {combinations.traced_after_first_mib:.3f} MiB,"
        f" after all rows {combinations.traced_after_all_mib:.3f} MiB,"
        f" peak {combinations.traced_peak_mib:.3f} MiB (target: flat)"
    )
    if untraced.rss_growth_mib is not None:
        print(f"  RSS growth over the whole iteration: {untraced.rss_growth_mib:.1f} MiB (untraced)")


if __name__ == "__main__":
    main()
