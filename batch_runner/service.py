"""Turn a request into a checked plan and a run: the steps behind the preview and run routes.

Validation collects every problem of the whole batch first; a batch with
any error queues nothing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Awaitable, Callable

from . import node_ids
from .binding import BatchPlan, plan_batch
from .catalog import NodeCatalog
from .engine import RunEngine
from .graph import Prompt, nodes_of_class
from .jobs import RunState
from .output_plan import check_saver_patterns, plan_output_names
from .preview import resolved_inputs
from .problems import BatchValidationError, Problem, Severity
from .rows import JobSource, Row
from .restore import apply_schedule, restore_runs, start_stream
from .run import Run
from .run_options import RunOptions, check_run_name, parse_options
from .snapshot import save_source_snapshot
from .sources import CombinationSource, SourceOptions, load_source

logger = logging.getLogger(__name__)

MAX_REPORTED_PROBLEMS = 500
PromptValidator = Callable[[Prompt], Awaitable[list[Problem]]]


@dataclass
class Environment:
    """Folders, node descriptions and validation hooks of the host ComfyUI, supplied by the server adapter."""

    input_dir: Path
    output_dir: Path
    catalog: NodeCatalog
    validate_prompt: PromptValidator
    needs_full_validation: Callable[[BatchPlan], bool] = lambda plan: False


@dataclass
class RunRequest:
    prompt: Prompt
    name: str | None
    options: RunOptions
    workflow: dict[str, Any] | None = None
    problems: list[Problem] = field(default_factory=list)

    @classmethod
    def from_json(cls, body: Any) -> "RunRequest":
        problems: list[Problem] = []
        if not isinstance(body, dict):
            raise BatchValidationError([Problem("the request body must be a JSON object")])
        prompt = body.get("prompt")
        if not isinstance(prompt, dict) or not prompt or not all(isinstance(n, dict) for n in prompt.values()):
            problems.append(Problem("'prompt' must be the workflow in API format: an object of nodes "
                                    "(use the Export (API) menu entry, or app.graphToPrompt() in the browser)"))
            prompt = {}
        workflow = body.get("workflow")
        if workflow is not None and not isinstance(workflow, dict):
            problems.append(Problem("'workflow' must be the UI workflow object, or left out"))
            workflow = None
        options, option_problems = parse_options(body.get("options"))
        return cls(prompt, body.get("name"), options, workflow, problems + option_problems)


@dataclass
class CheckedBatch:
    plan: BatchPlan
    source: JobSource
    source_options: SourceOptions
    problems: list[Problem]
    problem_count: int
    path_overrides: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]


class BatchService:
    def __init__(self, engine: RunEngine, environment: Environment) -> None:
        self.engine = engine
        self.env = environment

    # Checking

    async def check(self, request: RunRequest, validate_name: bool = True,
                    started_at: datetime | None = None) -> CheckedBatch:
        """Load the source, bind it to the graph and check every row.

        Bad rows become problems in the result. Only a request or a source that
        cannot be used at all raises BatchValidationError.

        STARTED_AT is the run's start time that date tokens in output names use.
        """
        problems = list(request.problems)
        if validate_name:
            problems += check_run_name(request.name)
        if problems:
            raise BatchValidationError(problems)

        source, source_options, source_name = self._load_source(request)
        plan, plan_problems = plan_batch(request.prompt, source.info.columns, self.env.catalog, request.options,
                                         self.env.input_dir, source_file=source_name)
        problems += _named_after(getattr(source, "problems", []), source.info.path, source_name)
        problems += plan_problems
        problems += check_saver_patterns(request.prompt, source.info.columns)

        row_problems, count = await self._check_rows(plan, source)
        problems += row_problems
        overrides: dict[str, dict[str, str]] = {}
        if not getattr(source, "problems", []):
            # Names are planned per row ID, which needs the IDs to be unique.
            overrides, collision_warnings = plan_output_names(request.prompt, source, request.name or "preview",
                                                              started_at)
            problems += collision_warnings
        if not any(p.severity is Severity.ERROR for p in problems) and len(source):
            problems += await self._comfy_validation(plan, source)
        return CheckedBatch(plan, source, source_options, problems[:MAX_REPORTED_PROBLEMS],
                            count + len(problems) - len(row_problems), overrides)

    def _load_source(self, request: RunRequest) -> tuple[JobSource, SourceOptions, str]:
        """Load the job file; problems name it as the user knows it, relative to the input folder."""
        source_name, node_options = self._source_reference(request)
        path = self._resolve_input_path(source_name)
        options = SourceOptions(
            id_column=node_options.get("id_column") or request.options.id_column,
            delimiter=request.options.delimiter or _node_choice(node_options.get("delimiter")),
            encoding=request.options.encoding or _node_choice(node_options.get("encoding")),
            sheet=request.options.sheet or node_options.get("sheet") or None,
            max_jobs=request.options.max_jobs,
            keep_id_problems=True,
        )
        try:
            return load_source(path, options), options, source_name
        except BatchValidationError as error:
            raise BatchValidationError(_named_after(error.problems, str(path), source_name)) from None

    def _source_reference(self, request: RunRequest) -> tuple[str, dict[str, Any]]:
        sources = nodes_of_class(request.prompt, node_ids.SOURCE)
        node_inputs = request.prompt[sources[0]].get("inputs", {}) if sources else {}
        if sources and request.options.source:
            # The option names the file this batch reads, so the node names it too, because
            # ComfyUI validates the node's file widget and history records it.
            node_inputs["file"] = request.options.source
        name = request.options.source or node_inputs.get("file")
        if not isinstance(name, str) or not name:
            raise BatchValidationError([Problem(
                "no job source: add a Batch Source node to the graph, or name a file in the input folder "
                "with the 'source' option")])
        return name, {key: value for key, value in node_inputs.items() if isinstance(value, str)}

    def _resolve_input_path(self, name: str) -> Path:
        root = os.path.realpath(self.env.input_dir)
        target = os.path.realpath(os.path.join(root, name))
        if os.path.commonpath([root, target]) != root:
            raise BatchValidationError([Problem("the source file must be inside ComfyUI's input folder",
                                                file=name, allowed=f"a path relative to {root}")])
        if not os.path.isfile(target):
            raise BatchValidationError([Problem("source file not found in ComfyUI's input folder", file=name,
                                                allowed="upload it, or copy it into " + root)])
        return Path(target)

    async def _check_rows(self, plan: BatchPlan, source: JobSource) -> tuple[list[Problem], int]:
        problems: list[Problem] = []
        count = 0
        # Template combinations repeat a few values many times; checking rows that
        # cover every value is the same check as checking every combination.
        rows = source.coverage_rows() if isinstance(source, CombinationSource) else iter(source)
        for index, row in enumerate(rows):
            found = plan.check_row(row)
            count += len(found)
            if len(problems) < MAX_REPORTED_PROBLEMS:
                problems += found
            if index % 2000 == 1999:
                await _yield_to_loop()
        return problems, count

    async def _comfy_validation(self, plan: BatchPlan, source: JobSource) -> list[Problem]:
        """Run ComfyUI's own validation on the first job, or on every job when bound inputs need it.

        Only bound inputs differ between jobs, and `check_row` already applies to
        them the rules ComfyUI applies (type, min, max, options), so the
        first job stands for all unless a bound node has its own VALIDATE_INPUTS.
        """
        every_row = self.env.needs_full_validation(plan)
        problems: list[Problem] = []
        for row in source:
            for problem in await self.env.validate_prompt(plan.build_prompt(row, 0, {"run": "preview", "count": len(source)})):
                problems.append(Problem(problem.message, file=plan.source_file, row=row.number, row_id=row.id,
                                        column=problem.column, value=problem.value, allowed=problem.allowed))
            if not every_row or len(problems) >= MAX_REPORTED_PROBLEMS:
                break
        return problems

    # Routes

    async def preview(self, request: RunRequest, limit: int = 5) -> dict[str, Any]:
        checked = await self.check(request, validate_name=False)
        jobs = []
        for row in checked.source:
            if len(jobs) >= limit:
                break
            jobs.append(_resolved_job(checked.plan, row))
        return {
            "count": len(checked.source), "columns": list(checked.source.info.columns),
            "column_types": checked.source.info.column_types, "source": _source_info(checked.source),
            "jobs": jobs, "problems": [p.to_dict() for p in checked.problems],
            "error_count": len(checked.errors), "problem_count": checked.problem_count,
        }

    async def create_run(self, request: RunRequest) -> Run:
        existing = self.engine.runs.get(request.name or "")
        if existing and existing.state in (RunState.RUNNING, RunState.CANCELLING, RunState.SCHEDULED):
            raise RunConflict(f"run '{request.name}' is {existing.state.value}; pause or cancel it first, "
                              f"or pick another name")

        started_at = datetime.now(timezone.utc)
        checked = await self.check(request, started_at=started_at)
        if checked.errors:
            raise BatchValidationError(checked.problems)

        if existing is not None:
            # A paused or finished run of that name is replaced; its checkpoint carries over.
            existing.close_files()
        run = Run(request.name, self.env.output_dir / request.name, checked.plan, request.options,
                  workflow=request.workflow, created_at=started_at.timestamp())
        run.open_files()
        run.source = checked.source
        run.snapshot = save_source_snapshot(run.run_dir, checked.source, checked.source_options)
        start_stream(run)
        run.path_overrides = checked.path_overrides
        apply_schedule(run)
        await self.engine.start(run)
        return run

    async def restore_runs(self, auto_resume: bool = False) -> list[Run]:
        """Reload runs from their folders after ComfyUI restarts; see restore.py."""
        return await restore_runs(self.engine, self.env, auto_resume)


class RunConflict(Exception):
    """A run with that name is still active."""


def _named_after(problems: list[Problem], path: str, name: str) -> list[Problem]:
    """Replace the server-side PATH of the job file with the NAME the user gave for it."""
    return [dataclasses.replace(p, file=name) if p.file == path else p for p in problems]


def _resolved_job(plan: BatchPlan, row: Row) -> dict[str, Any]:
    """Every input value a job will set, as the preview shows it."""
    return {"row": row.number, "row_id": row.id, "values": row.values, "inputs": resolved_inputs(plan, row)}


def _source_info(source: JobSource) -> dict[str, Any]:
    info = source.info
    return {"path": info.path, "format": info.format, "encoding": info.encoding, "delimiter": info.delimiter,
            "sheet": info.sheet, "notes": list(info.notes)}


def _node_choice(value: Any) -> str | None:
    if not isinstance(value, str) or value in ("", "auto"):
        return None
    return {"tab": "\t", "\\t": "\t"}.get(value, value)


async def _yield_to_loop() -> None:
    await asyncio.sleep(0)
