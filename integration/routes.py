"""HTTP routes under /batch-runner/. Handlers parse, call the service or engine, and respond.

Errors are `{"error": "...", "problems": [...]}` with a real status. Mutating
routes require `Content-Type: application/json`, which a cross-site form
cannot send without a CORS preflight that ComfyUI does not grant.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from typing import Any

from aiohttp import web

from ..batch_runner.jobs import RunState
from ..batch_runner.problems import BatchValidationError, Problem
from ..batch_runner.service import RunConflict, RunRequest
from ..batch_runner.sources import SUPPORTED_EXTENSIONS
from ..batch_runner.sources.listing import list_job_files
from ..batch_runner.storage.manifest import MANIFEST_CSV, MANIFEST_JSONL
from .runtime import BatchRuntime
from ..batch_runner.uploads import UploadError, save_upload

logger = logging.getLogger(__name__)

PREFIX = "/batch-runner"
MAX_FAILED_LISTED = 200


def error_response(status: int, message: str, problems: list[Problem] | None = None) -> web.Response:
    body: dict[str, Any] = {"error": message}
    if problems is not None:
        body["problems"] = [problem.to_dict() for problem in problems]
    return web.json_response(body, status=status)


async def read_json(request: web.Request) -> Any:
    if request.content_type != "application/json":
        raise web.HTTPUnsupportedMediaType(
            text=json.dumps({"error": "send the body as JSON with Content-Type: application/json"}),
            content_type="application/json")
    try:
        return await request.json()
    except json.JSONDecodeError as error:
        raise web.HTTPBadRequest(text=json.dumps({"error": f"invalid JSON body: {error}"}),
                                 content_type="application/json") from None


def register_routes(routes: web.RouteTableDef, runtime: BatchRuntime) -> None:
    service = runtime.service
    engine = runtime.engine

    def find_run(request: web.Request):
        run = engine.runs.get(request.match_info["run_id"])
        if run is None:
            raise web.HTTPNotFound(text=json.dumps({"error": f"no run named '{request.match_info['run_id']}'"}),
                                   content_type="application/json")
        return run

    @routes.post(PREFIX + "/preview")
    async def preview(request: web.Request) -> web.Response:
        body = await read_json(request)
        runtime.prepare_request()
        try:
            limit = int(body.get("limit", 5)) if isinstance(body, dict) else 5
            result = await service.preview(RunRequest.from_json(body), limit=max(0, min(limit, 100)))
        except BatchValidationError as error:
            return error_response(400, str(error), error.problems)
        except (TypeError, ValueError) as error:
            return error_response(400, f"invalid preview request: {error}")
        return web.json_response(result)

    @routes.post(PREFIX + "/runs")
    async def create_run(request: web.Request) -> web.Response:
        body = await read_json(request)
        runtime.prepare_request()
        try:
            run = await service.create_run(RunRequest.from_json(body))
        except BatchValidationError as error:
            logger.warning("Batch rejected: %s", error)
            return error_response(400, "the batch has problems; nothing was queued", error.problems)
        except RunConflict as error:
            return error_response(409, str(error))
        summary = run.summary()
        counts = summary["counts"]
        message = (f"all {counts['skipped']} rows were already complete; nothing was queued"
                   if counts["skipped"] == counts["total"] and counts["total"] else None)
        return web.json_response({**summary, "message": message}, status=201)

    @routes.get(PREFIX + "/runs")
    async def list_runs(request: web.Request) -> web.Response:
        runs = sorted(engine.runs.values(), key=lambda run: run.created_at, reverse=True)
        return web.json_response({"runs": [run.summary() for run in runs]})

    @routes.get(PREFIX + "/runs/{run_id}")
    async def get_run(request: web.Request) -> web.Response:
        run = find_run(request)
        failed = [job.summary() for job in run.failed_jobs()[:MAX_FAILED_LISTED]]
        return web.json_response({**run.summary(), "failed_rows": failed})

    @routes.post(PREFIX + "/runs/{run_id}/pause")
    async def pause_run(request: web.Request) -> web.Response:
        await read_json(request)
        run = find_run(request)
        if run.state not in (RunState.RUNNING, RunState.SCHEDULED):
            return error_response(409, f"run '{run.run_id}' is {run.state.value} and cannot be paused")
        engine.pause(run, "paused by the user")
        return web.json_response(run.summary())

    @routes.post(PREFIX + "/runs/{run_id}/resume")
    async def resume_run(request: web.Request) -> web.Response:
        await read_json(request)
        run = find_run(request)
        if run.state not in (RunState.PAUSED, RunState.SCHEDULED):
            return error_response(409, f"run '{run.run_id}' is {run.state.value} and cannot be resumed")
        await engine.resume(run)
        return web.json_response(run.summary())

    @routes.post(PREFIX + "/runs/{run_id}/cancel")
    async def cancel_run(request: web.Request) -> web.Response:
        body = await read_json(request)
        run = find_run(request)
        if run.state.is_final:
            return error_response(409, f"run '{run.run_id}' is already {run.state.value}")
        engine.cancel(run, interrupt_running=bool(isinstance(body, dict) and body.get("interrupt")))
        return web.json_response(run.summary())

    @routes.post(PREFIX + "/runs/{run_id}/retry-failed")
    async def retry_failed(request: web.Request) -> web.Response:
        await read_json(request)
        run = find_run(request)
        if run.state in (RunState.RUNNING, RunState.CANCELLING):
            return error_response(409, f"run '{run.run_id}' is {run.state.value}; wait for it to finish")
        count = await engine.retry_failed(run)
        return web.json_response({**run.summary(), "retried": count})

    @routes.get(PREFIX + "/runs/{run_id}/manifest")
    async def manifest(request: web.Request) -> web.StreamResponse:
        run = find_run(request)
        kind = request.query.get("format", "csv")
        if kind not in ("csv", "jsonl"):
            return error_response(400, "format must be csv or jsonl")
        if kind == "csv":
            path = run.manifest.write_csv()
        else:
            path = run.run_dir / MANIFEST_JSONL
        if not path.exists():
            return error_response(404, "no manifest yet: no row has finished")
        content_type = "text/csv" if kind == "csv" else "application/x-ndjson"
        return web.FileResponse(path, headers={
            "Content-Type": f"{content_type}; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{run.run_id}-{MANIFEST_CSV if kind == "csv" else MANIFEST_JSONL}"',
        })

    @routes.get(PREFIX + "/sources")
    async def list_sources(request: web.Request) -> web.Response:
        runtime.prepare_request()
        root = runtime.service.env.input_dir
        return web.json_response({"files": list_job_files(root), "extensions": sorted(SUPPORTED_EXTENSIONS)})

    @routes.post(PREFIX + "/sources")
    async def upload_source(request: web.Request) -> web.Response:
        body = await read_json(request)
        runtime.prepare_request()
        if not isinstance(body, dict) or not isinstance(body.get("name"), str) \
                or not isinstance(body.get("content_base64"), str):
            return error_response(400, "send {\"name\": file name, \"content_base64\": file content in base64}")
        try:
            content = base64.b64decode(body["content_base64"], validate=True)
            name = save_upload(runtime.service.env.input_dir, body["name"], content,
                               overwrite=bool(body.get("overwrite", False)))
        except binascii.Error:
            return error_response(400, "content_base64 is not valid base64")
        except UploadError as error:
            return error_response(400, str(error))
        logger.info("Batch source uploaded as %s (%d bytes)", name, len(content))
        return web.json_response({"name": name}, status=201)
