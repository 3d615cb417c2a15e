"""Progress of a followed run: one redrawn bar on a terminal, else timestamped lines.

It also formats a run's counts, rate and ETA, which the result lines and
`status` reuse. Standard library only, like the rest of the headless command.
"""

from __future__ import annotations

import shutil
import time
from datetime import datetime
from typing import Any, Callable, TextIO
from .durations import format_duration

REPORT_INTERVAL = 30.0  # seconds between progress lines when stderr is not a terminal
MIN_BAR_WIDTH = 10  # characters
MAX_BAR_WIDTH = 30


def describe_counts(summary: dict[str, Any]) -> str:
    counts = summary["counts"]
    skipped = f", skipped {counts['skipped']} (already complete)" if counts["skipped"] else ""
    return f"done {counts['done']}, failed {counts['failed'] + counts['suspect']}{skipped}, total {counts['total']}"


def describe_rate(summary: dict[str, Any]) -> str:
    rate = summary.get("rate")
    eta = summary.get("eta_seconds")
    if not rate:
        speed = "rate unknown"
    elif rate >= 1:
        speed = f"{rate:.2f} jobs/s"
    else:
        speed = f"{rate * 60:.1f} jobs/min"
    if eta is None or summary["state"] != "running":
        return speed
    return f"{speed}, ETA {format_duration(eta)}"


class ProgressDisplay:
    """Progress on stderr: one redrawn line on a terminal, else a timestamped line on each change.

    Plain lines come at most every REPORT_INTERVAL seconds, except on a state
    change, so a cron log of a long run stays readable.
    """

    def __init__(self, stream: TextIO, tty: bool, report_interval: float = REPORT_INTERVAL,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.tty = tty
        self.report_interval = report_interval
        self.clock = clock
        self._last_width = 0
        self._last_state: str | None = None
        self._last_counts: dict[str, int] | None = None
        self._last_line_at = float("-inf")

    def update(self, summary: dict[str, Any]) -> None:
        if self.tty:
            line = render_bar(summary, shutil.get_terminal_size().columns)
            self.stream.write("\r" + line.ljust(self._last_width))
            self._last_width = len(line)
            self.stream.flush()
            return

        now = self.clock()
        state_changed = summary["state"] != self._last_state
        counts_changed = summary["counts"] != self._last_counts
        if state_changed or (counts_changed and now - self._last_line_at >= self.report_interval):
            stamp = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
            self.stream.write(f"{stamp} {render_line(summary)}\n")
            self.stream.flush()
            self._last_state, self._last_counts, self._last_line_at = summary["state"], summary["counts"], now

    def message(self, text: str) -> None:
        """Print TEXT on its own line, below a bar being drawn."""
        self.close()
        self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty and self._last_width:
            self.stream.write("\n")
            self._last_width = 0


def render_bar(summary: dict[str, Any], columns: int) -> str:
    """Render the terminal line, narrowing the bar to fit COLUMNS.

    A line as wide as the terminal wraps, and "\\r" then redraws only its last
    part, so the line is cut to COLUMNS - 1 when even a short bar is too wide.
    """
    counts = summary["counts"]
    finished = counts["done"] + counts["failed"] + counts["suspect"] + counts["skipped"]
    share = finished / counts["total"] if counts["total"] else 1.0
    state = "" if summary["state"] == "running" else f" {summary['state']}"
    skipped = f", skipped {counts['skipped']}" if counts["skipped"] else ""
    details = (f"{share:4.0%}  done {counts['done']}/{counts['total']}, failed {counts['failed'] + counts['suspect']}"
               f"{skipped}  {describe_rate(summary)}")

    width = max(MIN_BAR_WIDTH, min(MAX_BAR_WIDTH, columns - 1 - len(summary["name"] + state) - len(details) - 4))
    filled = round(share * width)
    line = f"{summary['name']}{state} [{'#' * filled}{'-' * (width - filled)}] {details}"
    return line[:columns - 1]


def render_line(summary: dict[str, Any]) -> str:
    line = f"{summary['name']} {summary['state']}: {describe_counts(summary)}; {describe_rate(summary)}"
    return line + (f" ({summary['note']})" if summary.get("note") else "")
