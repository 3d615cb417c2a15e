"""The headless command: start, follow and control batch runs from a shell, a script or cron.

    python -m batch_runner run --workflow product_api.json --source jobs.csv --name catalog

Standard library only, so it runs with any Python 3.10+ and a copy of this
repository, and talks to a ComfyUI on another machine over HTTP. Progress goes
to stderr, the final result to stdout, and the exit status reports to a
script how the run ended (see ExitCode).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import time
import urllib.error
from enum import IntEnum
from pathlib import Path
from typing import Any, Callable, TextIO
from urllib.parse import urlsplit

# Only standard-library modules of the package may be imported here: the command
# must run where ComfyUI and its packages (PIL, pandas) are not installed.
from .cli_output import describe_result, print_failed_rows, print_problems, print_run, print_run_table
from .cli_progress import ProgressDisplay
from .client import FINAL_STATES, ApiError, BatchClient

DEFAULT_SERVER = "http://127.0.0.1:8188"
POLL_TIMEOUT = 30.0  # seconds for one status request
START_TIMEOUT = 600.0  # seconds for an upload or a start, because the server checks every row before it responds
RECONNECT_GRACE = 60.0  # seconds of lost connection tolerated while following, e.g. a network blip
# HTTP statuses seen while ComfyUI restarts: the run is not reloaded yet, or a proxy has no backend.
TRANSIENT_STATUSES = {404, 502, 503, 504}


class ExitCode(IntEnum):
    OK = 0  # the run is done and no row failed; or a control command was accepted
    FAILED = 1  # rows failed, or the run failed or was cancelled
    REJECTED = 2  # bad arguments or files, validation problems, an unknown run or a conflicting run
    PAUSED = 3  # the run is paused, e.g. after --limit; resume it to run the rest
    UNREACHABLE = 4  # no connection to the server
    SERVER_ERROR = 5  # the server responded with an error status (5xx) or not with the batch runner's JSON
    INTERRUPTED = 130  # Ctrl+C while following; the run goes on on the server


class CommandError(Exception):
    """A failure the command reports in one message and ends with CODE."""

    def __init__(self, message: str, code: ExitCode = ExitCode.REJECTED) -> None:
        super().__init__(message)
        self.code = code


# Arguments

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m batch_runner",
        description="Run a ComfyUI workflow once per row of a job file, on a ComfyUI with the Batch Runner "
                    "extension, and follow the run.",
        epilog="Exit status: 0 done with no failed rows, 1 rows failed or the run failed or was cancelled, "
               "2 rejected (bad arguments, files or rows), 3 paused, 4 server unreachable, 5 server error.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    server = argparse.ArgumentParser(add_help=False)
    server.add_argument("--server", metavar="URL", default=os.environ.get("COMFYUI_URL") or DEFAULT_SERVER,
                        help="ComfyUI address (default: $COMFYUI_URL, else %(default)s)")

    follow = argparse.ArgumentParser(add_help=False)
    follow.add_argument("--no-wait", action="store_true",
                        help="return as soon as the server accepts the request, without following the run")
    follow.add_argument("--quiet", action="store_true", help="print no progress, only the result and errors")
    follow.add_argument("--interval", type=_positive_float, default=2.0, metavar="SECONDS",
                        help="seconds between status requests while following (default: %(default)s)")

    run = commands.add_parser("run", parents=[server, follow], help="start a batch run and follow it",
                              description="Start a batch run and follow it until it ends or pauses.")
    _add_run_arguments(run)

    status = commands.add_parser("status", parents=[server], help="show one run in detail, or list all runs")
    status.add_argument("run_id", nargs="?", metavar="RUN_ID", help="run name; leave out to list every run")
    status.add_argument("--json", action="store_true", help="print the server's JSON response instead of text")

    resume = commands.add_parser("resume", parents=[server, follow], help="resume a paused run and follow it")
    resume.add_argument("run_id", metavar="RUN_ID")

    pause = commands.add_parser("pause", parents=[server], help="pause a run; queued jobs still finish")
    pause.add_argument("run_id", metavar="RUN_ID")

    cancel = commands.add_parser("cancel", parents=[server], help="cancel a run")
    cancel.add_argument("run_id", metavar="RUN_ID")
    cancel.add_argument("--interrupt", action="store_true",
                        help="also interrupt the job ComfyUI is running now (default: let it finish)")

    retry = commands.add_parser("retry-failed", parents=[server, follow],
                                help="queue a finished run's failed rows again and follow the run")
    retry.add_argument("run_id", metavar="RUN_ID")
    return parser


def _add_run_arguments(run: argparse.ArgumentParser) -> None:
    # What to run
    run.add_argument("--workflow", required=True, type=Path, metavar="FILE",
                     help="the workflow in API format (ComfyUI menu: Export (API))")
    run.add_argument("--name", required=True,
                     help="run name, which is also the output folder; a rerun under the same name skips the "
                          "rows already done")
    run.add_argument("--source", type=Path, metavar="FILE",
                     help="job file (CSV, TSV, XLSX, JSON or JSONL) to upload into ComfyUI's input folder and use "
                          "instead of the file named in the Batch Source node")
    run.add_argument("--overwrite-source", action="store_true",
                     help="replace an input file of the same name; by default a differing file is kept and the "
                          "upload gets a numbered name")
    run.add_argument("--ui-workflow", type=Path, metavar="FILE",
                     help="the same workflow saved in UI format, embedded into each image so that it opens "
                          "with its layout")

    # Run options, sent as the request's "options"
    run.add_argument("--retries", type=int, metavar="N", help="extra attempts for a failed row (server default: 2)")
    run.add_argument("--timeout", type=_positive_float, metavar="SECONDS",
                     help="seconds one job may run before it is interrupted and counted as a failed attempt "
                          "(default: no limit)")
    # The server checks these values, so the lists here are for the help text only.
    run.add_argument("--seed-mode", metavar="MODE",
                     help="column: the seed column's value; random: a new seed per job; derived: a seed computed "
                          "from the row ID; workflow: leave the graph's seeds alone (server default: column)")
    run.add_argument("--limit", type=int, metavar="N",
                     help="run only the first N jobs, then pause for review (exit status 3)")
    run.add_argument("--webhook", metavar="URL",
                     help="Slack, Discord or other webhook URL that gets start, progress and finish messages")
    run.add_argument("--start-at", metavar="DATETIME",
                     help="start time as ISO 8601, e.g. 2026-05-09T02:00:00+02:00 (UTC when no offset is given)")
    run.add_argument("--ordering", metavar="ORDER",
                     help="file: rows in file order; group_models: rows that share models run back to back")
    run.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                     help="any other run option, e.g. window=4 or retry_new_seed=true; VALUE is read as JSON "
                          "when it parses as JSON, else as text; the named flags above take precedence")


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def parse_option_pairs(pairs: list[str]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for pair in pairs:
        key, separator, text = pair.partition("=")
        if not separator or not key.strip():
            raise CommandError(f"invalid --option {pair!r}: write it as KEY=VALUE, e.g. window=4")
        try:
            options[key.strip()] = json.loads(text)
        except json.JSONDecodeError:
            options[key.strip()] = text
    return options


def run_options(args: argparse.Namespace) -> dict[str, Any]:
    """Collect the run options from --option pairs and the named flags, which win."""
    options = parse_option_pairs(args.option)
    named = {"retries": args.retries, "timeout": args.timeout, "seed_mode": args.seed_mode,
             "limit": args.limit, "webhook_url": args.webhook, "start_at": args.start_at,
             "ordering": args.ordering}
    options.update({key: value for key, value in named.items() if value is not None})
    return options


def server_url(text: str) -> str:
    url = text.strip().rstrip("/")
    if "://" not in url:
        url = "http://" + url
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
        raise CommandError(f"invalid server address {text!r}: expected e.g. http://127.0.0.1:8188")
    return url


# Workflow files

def load_api_prompt(path: Path) -> dict[str, Any]:
    """Read an API-format workflow, or raise CommandError saying how to get one."""
    data = _read_json(path, "workflow")
    if _is_ui_workflow(data):
        raise CommandError(f"{path} is a workflow in UI format (it has 'nodes' and 'links'); this command needs "
                           f"the API format: in ComfyUI use Workflow > Export (API) and pass that file to "
                           f"--workflow (the UI file can go to --ui-workflow)")
    if not isinstance(data, dict) or not data:
        raise CommandError(f"{path} is not an API-format workflow: expected a JSON object of nodes")
    for node_id, node in data.items():
        if not isinstance(node, dict) or "class_type" not in node:
            raise CommandError(f"{path} is not an API-format workflow: node {node_id!r} has no 'class_type'; "
                               f"export it from ComfyUI with Export (API)")
    return data


def load_ui_workflow(path: Path) -> dict[str, Any]:
    data = _read_json(path, "UI workflow")
    if not _is_ui_workflow(data):
        raise CommandError(f"{path} is not a workflow in UI format: expected 'nodes' and 'links' lists, as "
                           f"ComfyUI's Save or Export writes them")
    return data


def _is_ui_workflow(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("nodes"), list) and isinstance(data.get("links"), list)


def _read_json(path: Path, file_kind: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CommandError(f"{file_kind} file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise CommandError(f"cannot read {file_kind} file {path}: {error}") from None
    except json.JSONDecodeError as error:
        raise CommandError(f"{path} is not valid JSON: {error.msg} at line {error.lineno}, "
                           f"column {error.colno}") from None


# Following a run

def follow(client: BatchClient, run_id: str, display: ProgressDisplay | None, interval: float) -> dict[str, Any]:
    """Poll the run until it ends or pauses and return its last summary.

    A lost connection is retried for RECONNECT_GRACE seconds before the error
    is raised, so a network blip or a quick ComfyUI restart does not end a
    night's run. A 404 counts as part of a restart: the run was found before,
    and the server lists it again once it has reloaded the run folders.
    """
    last_contact = time.monotonic()
    warned = False
    while True:
        try:
            summary = client.run(run_id)
        except (urllib.error.URLError, ConnectionError, TimeoutError, http.client.HTTPException, ApiError) as error:
            if isinstance(error, ApiError) and error.status not in TRANSIENT_STATUSES:
                raise
            if time.monotonic() - last_contact > RECONNECT_GRACE:
                raise
            if display and not warned:
                display.message(f"Lost the connection to {client.base}, or the run is not listed while ComfyUI "
                                f"restarts; retrying for up to {RECONNECT_GRACE:g} s")
                warned = True
            time.sleep(interval)
            continue

        last_contact, warned = time.monotonic(), False
        if display:
            display.update(summary)
        if summary["state"] in FINAL_STATES or summary["state"] == "paused":
            if display:
                display.close()
            return summary
        time.sleep(interval)


def finish_following(client: BatchClient, summary: dict[str, Any], args: argparse.Namespace,
                     out: TextIO, err: TextIO) -> ExitCode:
    """Follow the run unless --no-wait, print the result and failed rows, and return the exit status."""
    if args.no_wait:
        print(describe_result(summary), file=out)
        return ExitCode.OK

    display = None if args.quiet else ProgressDisplay(err, tty=err.isatty())
    final = follow(client, summary["run_id"], display, args.interval)
    print(describe_result(final), file=out)
    print(f"Output folder on the server: {final['folder']}", file=out)

    if final["counts"]["failed"] or final["counts"]["suspect"]:
        print_failed_rows(client.run(final["run_id"]), out)
        print(f"Queue them again with: python -m batch_runner retry-failed {_shell_word(final['run_id'])}",
              file=out)
    if final["state"] == "paused":
        print(f"Resume it with: python -m batch_runner resume {_shell_word(final['run_id'])}", file=out)
    return exit_code_for(final)


def exit_code_for(summary: dict[str, Any]) -> ExitCode:
    counts = summary["counts"]
    if summary["state"] == "paused":
        return ExitCode.PAUSED
    if summary["state"] in ("failed", "cancelled") or counts["failed"] or counts["suspect"]:
        return ExitCode.FAILED
    return ExitCode.OK


def _shell_word(text: str) -> str:
    # Run names contain only letters, digits, spaces, '_', '-' and '.', so quoting spaces is enough.
    return f'"{text}"' if " " in text else text


# Commands

def command_run(args: argparse.Namespace, out: TextIO, err: TextIO) -> ExitCode:
    prompt = load_api_prompt(args.workflow)
    workflow = load_ui_workflow(args.ui_workflow) if args.ui_workflow else None
    options = run_options(args)
    starter = BatchClient(args.server, timeout=START_TIMEOUT)

    if args.source is not None:
        options["source"] = _upload_source(starter, args.source, args.overwrite_source, args.quiet, err)

    try:
        summary = starter.start_run(prompt, args.name, options, workflow)
    except ApiError as error:
        if error.status == 400 and error.body.get("problems"):
            print_problems(error, err)
            raise CommandError(f"{len(error.body['problems'])} problem(s) found; nothing was queued") from None
        raise
    if summary.get("message") and not args.quiet:
        print(summary["message"], file=err)
    return finish_following(BatchClient(args.server, timeout=POLL_TIMEOUT), summary, args, out, err)


def _upload_source(client: BatchClient, path: Path, overwrite: bool, quiet: bool, err: TextIO) -> str:
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        raise CommandError(f"source file not found: {path}") from None
    except OSError as error:
        raise CommandError(f"cannot read source file {path}: {error}") from None
    saved = client.upload_source(path.name, content, overwrite=overwrite)
    if saved != path.name and not quiet:
        print(f"Uploaded {path.name} as {saved}: the input folder has a different file of that name", file=err)
    return saved


def command_status(args: argparse.Namespace, out: TextIO, err: TextIO) -> ExitCode:
    client = BatchClient(args.server, timeout=POLL_TIMEOUT)
    data: Any = client.run(args.run_id) if args.run_id else client.runs()
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False), file=out)
    elif args.run_id:
        print_run(data, out)
    else:
        print_run_table(data, args.server, out)
    return ExitCode.OK


def command_control(args: argparse.Namespace, out: TextIO, err: TextIO) -> ExitCode:
    """Send pause, resume, cancel or retry-failed; resume and retry-failed then follow the run."""
    client = BatchClient(args.server, timeout=POLL_TIMEOUT)
    body = {"interrupt": True} if args.command == "cancel" and args.interrupt else {}
    summary = client.control(args.run_id, args.command, body)

    if args.command == "retry-failed" and not args.quiet:
        retried = summary.get("retried", 0)
        print(f"Queued {retried} failed row(s) again" if retried else "The run has no failed rows to retry",
              file=err)
    if args.command in ("resume", "retry-failed"):
        return finish_following(client, summary, args, out, err)
    print(describe_result(summary), file=out)
    return ExitCode.OK


COMMANDS: dict[str, Callable[[argparse.Namespace, TextIO, TextIO], ExitCode]] = {
    "run": command_run, "status": command_status, "resume": command_control, "pause": command_control,
    "cancel": command_control, "retry-failed": command_control,
}


def main(argv: list[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run one command and return its exit status.

    Failures of the request or the run are printed to ERR as one message. Invalid
    arguments end the program through argparse, with status 2.
    """
    out = out or sys.stdout
    err = err or sys.stderr
    args = build_parser().parse_args(argv)
    try:
        args.server = server_url(args.server)
        return int(COMMANDS[args.command](args, out, err))
    except CommandError as error:
        print(f"error: {error}", file=err)
        return int(error.code)
    except ApiError as error:
        code = ExitCode.SERVER_ERROR if error.status >= 500 else ExitCode.REJECTED
        print(f"error: the server rejected the request (HTTP {error.status}): {error.message}", file=err)
        if error.status == 404 and error.message.startswith("404: Not Found"):
            # aiohttp's own response for an unknown route, not the extension's "no run named ..." error.
            print(f"{args.server} has no /batch-runner/ routes; is the Batch Runner extension installed "
                  f"there?", file=err)
        return int(code)
    except (urllib.error.URLError, ConnectionError, TimeoutError, http.client.HTTPException) as error:
        reason = error.reason if isinstance(error, urllib.error.URLError) else error
        print(f"error: cannot reach ComfyUI at {args.server}: {reason}. Check that it is running and that "
              f"--server or COMFYUI_URL points to it.", file=err)
        return int(ExitCode.UNREACHABLE)
    except json.JSONDecodeError:
        print(f"error: {args.server} responded with something other than JSON; is it a ComfyUI with the "
              f"Batch Runner extension installed?", file=err)
        return int(ExitCode.SERVER_ERROR)
    except KeyboardInterrupt:
        run_id = getattr(args, "run_id", None) or getattr(args, "name", None)
        hint = f" Check it with: python -m batch_runner status {_shell_word(run_id)}" if run_id else ""
        print(f"\nInterrupted. A run the server has accepted goes on there.{hint}", file=err)
        return int(ExitCode.INTERRUPTED)
