"""Check the saver nodes' naming patterns and plan distinct names for a whole batch."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import PurePosixPath
from typing import Iterable

from . import node_ids
from .graph import Prompt, describe_node, nodes_of_class
from .naming import NamingContext, PatternError, assign_unique_names, check_pattern, output_relative_path
from .problems import Problem, Severity
from .review import CONTACT_SHEET
from .rows import JobSource

logger = logging.getLogger(__name__)

# Planning every row's name is linear; past this many rows the collision
# forecast is skipped, and colliding rows would overwrite each other.
MAX_ROWS_FOR_COLLISION_PLAN = 200_000


def saver_patterns(prompt: Prompt) -> list[tuple[str, str, str]]:
    """(node id, subfolder pattern, name pattern) of each batch saver whose patterns are widgets."""
    found = []
    for node_id in nodes_of_class(prompt, node_ids.SAVE):
        inputs = prompt[node_id].get("inputs", {})
        subfolder, name = inputs.get("subfolder", ""), inputs.get("name", "")
        if isinstance(subfolder, str) and isinstance(name, str):
            found.append((node_id, subfolder, name))
    return found


def check_saver_patterns(prompt: Prompt, columns: Iterable[str]) -> list[Problem]:
    problems = []
    columns = list(columns)
    for node_id, subfolder, name in saver_patterns(prompt):
        where = f"saver {describe_node(prompt, node_id)}"
        for problem in check_pattern(subfolder, columns, is_subfolder=True) + check_pattern(name, columns):
            problems.append(Problem(f"{where}: {problem.message}", column=problem.column, value=problem.value,
                                    allowed=problem.allowed, severity=problem.severity))
    return problems


def plan_output_names(prompt: Prompt, source: JobSource, run_name: str,
                      started_at: datetime | None = None) -> tuple[dict[str, dict[str, str]], list[Problem]]:
    """Return renames for rows whose names collide, and a warning for each.

    Renames map row ID -> saver node id -> path without extension. Seeds are
    not known before queuing, so `{seed}` is planned as the seed column's text.
    """
    overrides: dict[str, dict[str, str]] = {}
    problems: list[Problem] = []
    if len(source) > MAX_ROWS_FOR_COLLISION_PLAN:
        return overrides, problems
    started_at = started_at or datetime.now(timezone.utc)

    for node_id, subfolder, name in saver_patterns(prompt):
        planned = []
        for row in source:
            context = NamingContext(row=row, run_name=run_name, job_count=len(source), started_at=started_at,
                                    seed=row.values.get("seed"))
            try:
                planned.append((row.id, output_relative_path(subfolder, name, context, "png")))
            except (PatternError, ValueError):
                return overrides, problems  # pattern problems are reported by check_saver_patterns
        folders = {path.parent for _, path in planned}
        unique = assign_unique_names(planned, reserved=[folder / CONTACT_SHEET for folder in folders])
        natural = dict(planned)
        for row_id, path in unique.paths.items():
            if path != natural[row_id]:
                overrides.setdefault(row_id, {})[node_id] = str(PurePosixPath(path).with_suffix(""))
        problems += [Problem(f"saver {describe_node(prompt, node_id)}: {p.message}", row_id=p.row_id,
                             value=p.value, severity=Severity.WARNING) for p in unique.problems]
    return overrides, problems
