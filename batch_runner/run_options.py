"""Options of a run, as sent to the route or the headless command, checked in one pass."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from enum import Enum
from typing import Any

from .naming import safe_component
from .problems import Problem
from .quality_settings import DEFAULT_MAX_BYTES, DEFAULT_MIN_BYTES, DEFAULT_UNIFORM_THRESHOLD


class SeedMode(str, Enum):
    COLUMN = "column"    # the seed column's value; empty or -1 picks a random seed at queue time
    RANDOM = "random"    # a new random seed for every job
    DERIVED = "derived"  # a seed computed from the row ID, so a rerun reproduces the image
    WORKFLOW = "workflow"  # leave the graph's own seed widgets alone


class Ordering(str, Enum):
    FILE = "file"
    GROUP_MODELS = "group_models"  # jobs sharing loader inputs run back to back


@dataclass
class RunOptions:
    """Every knob of a run, with the defaults a user gets when they set nothing.

    Times are seconds; `start_at` is an ISO 8601 date-time (UTC when no offset is given).
    """

    # The job source, when the graph has no source node, or to override the node's file.
    source: str | None = None
    id_column: str = "id"
    delimiter: str | None = None
    encoding: str | None = None
    sheet: str | None = None
    max_jobs: int = 100_000

    seed_mode: SeedMode = SeedMode.COLUMN
    seed_column: str = "seed"

    window: int = 2
    retries: int = 2
    retry_delay: float = 2.0
    retry_new_seed: bool = False
    timeout: float | None = None
    free_memory_every: int = 0
    ordering: Ordering = Ordering.FILE
    group_inputs: list[str] = field(default_factory=list)
    limit: int | None = None  # run only the first N jobs, then pause
    webhook_url: str | None = None
    notify_every_percent: int = 25
    start_at: str | None = None
    retry_suspects: bool = False
    quality_checks: bool = True
    contact_sheets: bool = True
    min_bytes: int | None = DEFAULT_MIN_BYTES
    max_bytes: int | None = DEFAULT_MAX_BYTES
    uniform_threshold: float | None = DEFAULT_UNIFORM_THRESHOLD

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["seed_mode"] = self.seed_mode.value
        data["ordering"] = self.ordering.value
        return data


RUN_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.\-]{0,99}$")


def parse_options(raw: dict[str, Any] | None) -> tuple[RunOptions, list[Problem]]:
    """Build RunOptions from a JSON object, collecting a Problem for each bad key or value."""
    options = RunOptions()
    problems: list[Problem] = []
    if raw is None:
        return options, problems
    if not isinstance(raw, dict):
        return options, [Problem("options must be a JSON object", value=repr(raw)[:80])]

    known = {f.name: f for f in fields(RunOptions)}
    for key, value in raw.items():
        if key not in known:
            problems.append(Problem(f"unknown option '{key}'", allowed=", ".join(sorted(known))))
            continue
        try:
            setattr(options, key, _convert(key, value))
        except (TypeError, ValueError) as error:
            problems.append(Problem(f"invalid value for option '{key}': {error}", value=str(value)))

    problems += _check_ranges(options)
    return options, problems


def _convert(key: str, value: Any) -> Any:
    if value is None:
        if key in {"source", "delimiter", "encoding", "sheet", "timeout", "limit", "webhook_url", "start_at",
                   "min_bytes", "max_bytes", "uniform_threshold"}:
            return None
        raise ValueError("a value is required")
    if key == "seed_mode":
        return SeedMode(value)
    if key == "ordering":
        return Ordering(value)
    if key in {"window", "retries", "free_memory_every", "limit", "max_jobs", "notify_every_percent",
               "min_bytes", "max_bytes"}:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError("expected a whole number")
        return value
    if key in {"retry_delay", "timeout", "uniform_threshold"}:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError("expected a number of seconds")
        return float(value)
    if key in {"retry_new_seed", "retry_suspects", "quality_checks", "contact_sheets"}:
        if not isinstance(value, bool):
            raise TypeError("expected true or false")
        return value
    if key == "group_inputs":
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise TypeError("expected a list of 'Node title.input' strings")
        return value
    if key == "start_at":
        datetime.fromisoformat(str(value))
        return str(value)
    if not isinstance(value, str):
        raise TypeError("expected text")
    return value


def _check_ranges(options: RunOptions) -> list[Problem]:
    problems = []
    checks = [
        ("window", options.window, 1, 64),
        ("retries", options.retries, 0, 100),
        ("free_memory_every", options.free_memory_every, 0, 10**9),
        ("max_jobs", options.max_jobs, 1, 10**9),
        ("notify_every_percent", options.notify_every_percent, 0, 100),
    ]
    for name, value, low, high in checks:
        if not low <= value <= high:
            problems.append(Problem(f"option '{name}' is out of range", value=str(value), allowed=f"{low} to {high}"))
    if options.limit is not None and options.limit < 1:
        problems.append(Problem("option 'limit' must be at least 1", value=str(options.limit)))
    if options.timeout is not None and options.timeout <= 0:
        problems.append(Problem("option 'timeout' must be a positive number of seconds", value=str(options.timeout)))
    if options.retry_delay < 0:
        problems.append(Problem("option 'retry_delay' must not be negative", value=str(options.retry_delay)))
    if options.webhook_url and not options.webhook_url.startswith(("http://", "https://")):
        problems.append(Problem("option 'webhook_url' must start with http:// or https://", value=options.webhook_url))
    return problems


def check_run_name(name: Any) -> list[Problem]:
    """Return problems with a run name, which becomes a folder in ComfyUI's output directory."""
    # The saver names the run folder with safe_component, so a name it would change
    # (a Windows device name such as CON) would split the run over two folders.
    if not isinstance(name, str) or not RUN_NAME_PATTERN.match(name) or safe_component(name) != name:
        return [Problem("invalid run name", value=str(name),
                        allowed="1 to 100 letters, digits, spaces, '_', '-' or '.', starting with a letter "
                                "or digit, not ending with '.' or a space, and not a Windows device name "
                                "such as CON or NUL")]
    return []
