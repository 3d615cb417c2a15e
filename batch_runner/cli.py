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
import shutil
import sys
import time
import urllib.error
from datetime import datetime
from enum import IntEnum
from pathlib import Path
from typing import Any, Callable, TextIO
from urllib.parse import urlsplit

# Only standard-library modules of the package may be imported here: the command
# must run where ComfyUI and its packages (PIL, pandas) are not installed.
from .client import FINAL_STATES, ApiError, BatchClient
from .problems import Problem, Severity

DEFAULT_SERVER = "http://127.0.0.1:8188"
POLL_TIMEOUT = 30.0  # seconds for one status request
START_TIMEOUT = 600.0  # seconds for an upload or a start, because the server checks every row before it responds
RECONNECT_GRACE = 60.0  # seconds of lost connection tolerated while following, e.g. a network blip
# HTTP statuses seen while ComfyUI restarts: the run is not reloaded yet, or a proxy has no backend.
TRANSIENT_STATUSES = {404, 502, 503, 504}
REPORT_INTERVAL = 30.0  # seconds between progress lines when stderr is not a terminal
MAX_FAILED_SHOWN = 20
MIN_BAR_WIDTH = 10  # characters
MAX_BAR_WIDTH = 30


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


# Output

def describe_problem(data: dict[str, Any]) -> str:
    """Render one validation problem from the server as a line: file, row, column, value, allowed."""
    problem = Problem(message=str(data.get("message", "unknown problem")), file=data.get("file"),
                      row=data.get("row"), column=data.get("column"), value=data.get("value"),
                      allowed=data.get("allowed"), row_id=data.get("row_id"))
    prefix = "warning: " if data.get("severity") == Severity.WARNING.value else ""
    return prefix + problem.describe()


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


def describe_result(summary: dict[str, Any]) -> str:
    text = f"Run \"{summary['name']}\" is {summary['state']}: {describe_counts(summary)}"
    started, finished = summary.get("started_at"), summary.get("finished_at")
    if started and finished:
        text += f", took {format_duration(finished - started)}"
    return text + (f" ({summary['note']})" if summary.get("note") else "")


def exit_code_for(summary: dict[str, Any]) -> ExitCode:
    counts = summary["counts"]
    if summary["state"] == "paused":
        return ExitCode.PAUSED
    if summary["state"] in ("failed", "cancelled") or counts["failed"] or counts["suspect"]:
        return ExitCode.FAILED
    return ExitCode.OK


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
        _print_failed_rows(client.run(final["run_id"]), out)
        print(f"Queue them again with: python -m batch_runner retry-failed {_shell_word(final['run_id'])}",
              file=out)
    if final["state"] == "paused":
        print(f"Resume it with: python -m batch_runner resume {_shell_word(final['run_id'])}", file=out)
    return exit_code_for(final)


def _print_failed_rows(run: dict[str, Any], out: TextIO) -> None:
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


def format_duration(seconds: float) -> str:
    """Format SECONDS as '45 s', '12 min' or '2 h 05 min'."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


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
            _print_problems(error, err)
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


def _print_problems(error: ApiError, err: TextIO) -> None:
    print(f"The batch was rejected: {error.message}", file=err)
    for problem in error.body["problems"]:
        print("  " + describe_problem(problem), file=err)


def command_status(args: argparse.Namespace, out: TextIO, err: TextIO) -> ExitCode:
    client = BatchClient(args.server, timeout=POLL_TIMEOUT)
    data: Any = client.run(args.run_id) if args.run_id else client.runs()
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False), file=out)
    elif args.run_id:
        _print_run(data, out)
    else:
        _print_run_table(data, args.server, out)
    return ExitCode.OK


def _print_run(run: dict[str, Any], out: TextIO) -> None:
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
        _print_failed_rows(run, out)


def _print_run_table(runs: list[dict[str, Any]], server: str, out: TextIO) -> None:
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
