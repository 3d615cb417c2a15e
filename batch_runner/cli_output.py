"""Text the headless command prints about runs: validation problems, results, failed rows and status.

Standard library only, like the rest of the headless command.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TextIO

from .cli_progress import describe_counts, describe_rate, format_duration
from .client import ApiError
from .problems import Problem, Severity

MAX_FAILED_SHOWN = 20


def describe_problem(data: dict[str, Any]) -> str:
    """Render one validation problem from the server as a line: file, row, column, value, allowed."""
    problem = Problem(message=str(data.get("message", "unknown problem")), file=data.get("file"),
                      row=data.get("row"), column=data.get("column"), value=data.get("value"),
                      allowed=data.get("allowed"), row_id=data.get("row_id"))
    prefix = "warning: " if data.get("severity") == Severity.WARNING.value else ""
    return prefix + problem.describe()


def describe_result(summary: dict[str, Any]) -> str:
    text = f"Run \"{summary['name']}\" is {summary['state']}: {describe_counts(summary)}"
    started, finished = summary.get("started_at"), summary.get("finished_at")
    if started and finished:
        text += f", took {format_duration(finished - started)}"
    return text + (f" ({summary['note']})" if summary.get("note") else "")


def print_problems(error: ApiError, err: TextIO) -> None:
    print(f"The batch was rejected: {error.message}", file=err)
    for problem in error.body["problems"]:
        print("  " + describe_problem(problem), file=err)


def print_failed_rows(run: dict[str, Any], out: TextIO) -> None:
    """Print the first MAX_FAILED_SHOWN failed or suspect rows of RUN, as the run route lists them."""
    rows = run.get("failed_rows", [])
    total = max(len(rows), run["counts"]["failed"] + run["counts"]["suspect"])
    print(f"Failed rows ({total}):", file=out)
    for row in rows[:MAX_FAILED_SHOWN]:
        error = row.get("error") or {}
        print(f"  row {row['row']} (id {row['row_id']}), {row['status']} after {row['attempts']} attempt(s): "
              f"{error.get('message', 'no error message')}", file=out)
    if total > MAX_FAILED_SHOWN:
        print(f"  ... and {total - MAX_FAILED_SHOWN} more; see the run's manifest.csv", file=out)


def print_run(run: dict[str, Any], out: TextIO) -> None:
    state = run["state"] + (f" ({run['note']})" if run.get("note") else "")
    counts = run["counts"]
    lines = [
        ("Run", run["name"]),
        ("State", state),
        ("Jobs", f"{describe_counts(run)}; queued {counts['queued']}, pending {counts['pending']}"),
        ("Rate", describe_rate(run)),
        ("Source", run.get("source") or "-"),
        ("Folder", run.get("folder") or "-"),
        ("Created", _format_time(run.get("created_at"))),
        ("Started", _format_time(run.get("started_at"))),
        ("Finished", _format_time(run.get("finished_at"))),
    ]
    for label, value in lines:
        print(f"{label + ':':<10}{value}", file=out)
    if run.get("failed_rows"):
        print_failed_rows(run, out)


def print_run_table(runs: list[dict[str, Any]], server: str, out: TextIO) -> None:
    if not runs:
        print(f"No runs on {server}.", file=out)
        return
    width = max(len("NAME"), *(len(run["name"]) for run in runs))
    print(f"{'NAME':<{width}}  {'STATE':<10}  {'DONE':>6}  {'FAILED':>6}  {'SKIPPED':>7}  {'TOTAL':>6}  CREATED",
          file=out)
    for run in runs:
        counts = run["counts"]
        failed = counts["failed"] + counts["suspect"]
        print(f"{run['name']:<{width}}  {run['state']:<10}  {counts['done']:>6}  {failed:>6}  "
              f"{counts['skipped']:>7}  {counts['total']:>6}  {_format_time(run.get('created_at'))}", file=out)


def _format_time(stamp: float | None) -> str:
    return datetime.fromtimestamp(stamp).strftime("%Y-%m-%d %H:%M:%S") if stamp else "-"
