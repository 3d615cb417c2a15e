"""The headless command: arguments, workflow files, messages and exit statuses.

A small HTTP server on 127.0.0.1 replaces the /batch-runner/ routes, so
these tests cover what the command sends and prints. tests/integration/test_cli.py
runs the command against a real ComfyUI.
"""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest

from batch_runner import cli, cli_progress
from batch_runner.cli import ExitCode, build_parser, main, run_options
from batch_runner.cli_output import describe_problem
from batch_runner.cli_progress import ProgressDisplay

from support import closed_port

REPO_ROOT = Path(__file__).resolve().parents[2]
API_PROMPT = {"1": {"class_type": "BatchRunnerSource", "inputs": {"file": "jobs.csv"}},
              "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0]}}}
UI_WORKFLOW = {"last_node_id": 2, "nodes": [{"id": 1, "type": "BatchRunnerSource"}], "links": [], "version": 0.4}


# A stand-in for the routes

def summary(state: str = "running", done: int = 0, failed: int = 0, skipped: int = 0, total: int = 12,
            name: str = "catalog", note: str | None = None, **extra: Any) -> dict[str, Any]:
    pending = total - done - failed - skipped
    return {"run_id": name, "name": name, "state": state, "note": note,
            "counts": {"total": total, "done": done, "failed": failed, "skipped": skipped, "queued": 0,
                       "pending": pending, "suspect": 0},
            "rate": 0.5 if state == "running" else None, "eta_seconds": pending * 2.0 if state == "running" else None,
            "created_at": 1_700_000_000.0, "started_at": 1_700_000_001.0,
            "finished_at": 1_700_000_025.0 if state in ("done", "failed", "cancelled") else None,
            "source": "jobs.csv", "latest_outputs": [], "folder": f"/comfy/output/{name}", **extra}


@dataclass
class Recorded:
    method: str
    path: str
    body: Any


@dataclass
class FakeBatchServer:
    """A fake of the few /batch-runner/ routes the command uses, responding with scripted summaries."""

    created: tuple[int, dict[str, Any]] = (201, {})
    polls: list[dict[str, Any]] = field(default_factory=list)
    control_answer: dict[str, Any] = field(default_factory=dict)
    runs: list[dict[str, Any]] = field(default_factory=list)
    saved_source: str = "jobs.csv"
    extension_installed: bool = True
    requests: list[Recorded] = field(default_factory=list)

    def answer(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        self.requests.append(Recorded(method, path, body))
        if not self.extension_installed:
            return 404, "404: Not Found"
        if method == "POST" and path == "/batch-runner/runs":
            return self.created
        if method == "POST" and path == "/batch-runner/sources":
            return 201, {"name": self.saved_source}
        if method == "GET" and path == "/batch-runner/runs":
            return 200, {"runs": self.runs}
        if method == "GET" and path.startswith("/batch-runner/runs/"):
            if not self.polls:
                return 404, {"error": f"no run named '{path.rsplit('/', 1)[-1]}'"}
            return 200, self.polls.pop(0) if len(self.polls) > 1 else self.polls[0]
        if method == "POST" and path.startswith("/batch-runner/runs/"):
            return 200, self.control_answer
        return 404, "404: Not Found"

    def paths(self, method: str | None = None) -> list[str]:
        return [r.path for r in self.requests if method is None or r.method == method]


@pytest.fixture
def fake() -> Iterator[tuple[FakeBatchServer, str]]:
    state = FakeBatchServer()

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            status, answer = state.answer(self.command, self.path, body)
            data = answer.encode() if isinstance(answer, str) else json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain" if isinstance(answer, str) else "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _handle

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def closed_url() -> str:
    return f"http://127.0.0.1:{closed_port()}"


@pytest.fixture
def workflow_file(tmp_path: Path) -> Path:
    path = tmp_path / "product_api.json"
    path.write_text(json.dumps(API_PROMPT))
    return path


@dataclass
class Result:
    code: int
    out: str
    err: str


def run_cli(*argv: str) -> Result:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return Result(code, out.getvalue(), err.getvalue())


def start(url: str, workflow: Path, *extra: str) -> Result:
    return run_cli("run", "--server", url, "--workflow", str(workflow), "--name", "catalog",
                   "--interval", "0.01", *extra)


# Arguments

def test_server_defaults_to_local_comfyui(monkeypatch):
    monkeypatch.delenv("COMFYUI_URL", raising=False)

    args = build_parser().parse_args(["status"])

    assert args.server == "http://127.0.0.1:8188"


def test_server_default_from_environment(monkeypatch):
    monkeypatch.setenv("COMFYUI_URL", "http://gpu-box:8188")

    args = build_parser().parse_args(["status"])

    assert args.server == "http://gpu-box:8188"


def test_run_options_from_flags_and_pairs():
    args = build_parser().parse_args([
        "run", "--workflow", "w.json", "--name", "n", "--retries", "3", "--timeout", "90",
        "--seed-mode", "derived", "--limit", "5", "--webhook", "https://hooks.example/x",
        "--start-at", "2026-05-09T02:00:00+02:00", "--ordering", "group_models",
        "--option", "window=4", "--option", "retry_new_seed=true", "--option", "delimiter=;",
        "--option", "group_inputs=[\"Load Checkpoint.ckpt_name\"]", "--option", "retries=9"])

    assert run_options(args) == {
        "window": 4, "retry_new_seed": True, "delimiter": ";", "group_inputs": ["Load Checkpoint.ckpt_name"],
        "retries": 3, "timeout": 90.0, "seed_mode": "derived", "limit": 5,
        "webhook_url": "https://hooks.example/x", "start_at": "2026-05-09T02:00:00+02:00",
        "ordering": "group_models"}


def test_run_without_flags_sends_no_options():
    args = build_parser().parse_args(["run", "--workflow", "w.json", "--name", "n"])

    assert run_options(args) == {}


def test_option_without_equals_is_rejected(fake, workflow_file):
    state, url = fake

    result = start(url, workflow_file, "--option", "window")

    assert result.code == ExitCode.REJECTED
    assert "invalid --option 'window': write it as KEY=VALUE" in result.err
    assert state.requests == []


@pytest.mark.parametrize("value", ["0", "-5", "soon"])
def test_timeout_must_be_positive_seconds(value, capsys):
    with pytest.raises(SystemExit) as raised:
        build_parser().parse_args(["run", "--workflow", "w.json", "--name", "n", "--timeout", value])

    assert raised.value.code == 2
    assert "--timeout" in capsys.readouterr().err


@pytest.mark.parametrize("text, url", [
    ("127.0.0.1:8188", "http://127.0.0.1:8188"),
    ("http://gpu-box:8188/", "http://gpu-box:8188"),
    ("https://comfy.example", "https://comfy.example"),
])
def test_server_address_is_normalized(text, url):
    assert cli.server_url(text) == url


def test_server_address_with_other_scheme_is_rejected():
    result = run_cli("status", "--server", "ftp://gpu-box")

    assert result.code == ExitCode.REJECTED
    assert "invalid server address 'ftp://gpu-box'" in result.err


# Workflow files

def test_ui_workflow_is_rejected_with_export_hint(closed_url, tmp_path):
    path = tmp_path / "product.json"
    path.write_text(json.dumps(UI_WORKFLOW))

    result = start(closed_url, path)

    # The closed port shows that nothing was sent: a request would end with status 4.
    assert result.code == ExitCode.REJECTED
    assert "is a workflow in UI format" in result.err
    assert "Export (API)" in result.err


def test_invalid_json_workflow_names_line(closed_url, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{\n  "1": {"class_type": "X",}\n}')

    result = start(closed_url, path)

    assert result.code == ExitCode.REJECTED
    assert f"{path} is not valid JSON" in result.err
    assert "line 2" in result.err


def test_node_without_class_type_is_rejected(closed_url, tmp_path):
    path = tmp_path / "odd.json"
    path.write_text(json.dumps({"1": {"inputs": {}}}))

    result = start(closed_url, path)

    assert result.code == ExitCode.REJECTED
    assert "node '1' has no 'class_type'" in result.err


def test_missing_workflow_file(closed_url, tmp_path):
    result = start(closed_url, tmp_path / "nowhere.json")

    assert result.code == ExitCode.REJECTED
    assert f"workflow file not found: {tmp_path / 'nowhere.json'}" in result.err


def test_ui_workflow_option_must_be_ui_format(closed_url, workflow_file):
    result = start(closed_url, workflow_file, "--ui-workflow", str(workflow_file))

    assert result.code == ExitCode.REJECTED
    assert "is not a workflow in UI format" in result.err


# Problems

def test_problem_line_names_file_row_column_value_allowed():
    line = describe_problem({"message": "above the maximum", "file": "jobs.csv", "row": 5, "column": "blur",
                             "value": "99", "allowed": "0 to 31", "row_id": "tote-002", "severity": "error"})

    assert line == "jobs.csv, row 5 (id tote-002), column 'blur': above the maximum (value: '99'); allowed: 0 to 31"


def test_warning_problem_is_marked():
    line = describe_problem({"message": "two rows write the same file", "severity": "warning"})

    assert line == "warning: two rows write the same file"


def test_rejected_batch_prints_every_problem(fake, workflow_file):
    state, url = fake
    state.created = (400, {"error": "the batch has problems; nothing was queued", "problems": [
        {"message": "above the maximum", "file": "jobs.csv", "row": 5, "column": "blur", "value": "99",
         "allowed": "0 to 31", "severity": "error"},
        {"message": "not one of the options", "file": "jobs.csv", "row": 7, "column": "style",
         "value": "noir", "allowed": "studio, lifestyle", "severity": "error"},
    ]})

    result = start(url, workflow_file)

    assert result.code == ExitCode.REJECTED
    lines = result.err.splitlines()
    assert lines[0] == "The batch was rejected: the batch has problems; nothing was queued"
    assert lines[1] == "  jobs.csv, row 5, column 'blur': above the maximum (value: '99'); allowed: 0 to 31"
    assert lines[2] == ("  jobs.csv, row 7, column 'style': not one of the options (value: 'noir'); "
                        "allowed: studio, lifestyle")
    assert lines[3] == "error: 2 problem(s) found; nothing was queued"
    assert state.paths("GET") == []


# Exit statuses of a followed run

def test_done_run_exits_zero(fake, workflow_file):
    state, url = fake
    state.created = (201, summary("running"))
    state.polls = [summary("running", done=4), summary("running", done=9), summary("done", done=12)]

    result = start(url, workflow_file)

    assert result.code == ExitCode.OK
    assert result.out.splitlines()[0] == 'Run "catalog" is done: done 12, failed 0, total 12, took 24 s'
    assert "Output folder on the server: /comfy/output/catalog" in result.out
    assert state.requests[0].body == {"prompt": API_PROMPT, "name": "catalog", "options": {}}


def test_failed_rows_exit_one_and_are_listed(fake, workflow_file):
    state, url = fake
    failed_row = {"row": 5, "row_id": "tote-002", "status": "failed", "attempts": 3, "seed": "105",
                  "error": {"message": "CUDA out of memory"}, "files": []}
    state.created = (201, summary("running"))
    state.polls = [summary("done", done=11, failed=1, failed_rows=[failed_row])]

    result = start(url, workflow_file)

    assert result.code == ExitCode.FAILED
    assert "Failed rows (1):" in result.out
    assert "  row 5 (id tote-002), failed after 3 attempt(s): CUDA out of memory" in result.out
    assert "python -m batch_runner retry-failed catalog" in result.out


@pytest.mark.parametrize("final_state", ["failed", "cancelled"])
def test_failed_or_cancelled_run_exits_one(fake, workflow_file, final_state):
    state, url = fake
    state.created = (201, summary("running"))
    state.polls = [summary(final_state, done=2)]

    result = start(url, workflow_file)

    assert result.code == ExitCode.FAILED
    assert f'Run "catalog" is {final_state}:' in result.out


def test_paused_run_exits_three_with_resume_hint(fake, workflow_file):
    state, url = fake
    note = "paused after the first 3 job(s); resume to run the rest"
    state.created = (201, summary("running"))
    state.polls = [summary("paused", done=3, note=note)]

    result = start(url, workflow_file, "--limit", "3")

    assert result.code == ExitCode.PAUSED
    assert result.out.splitlines()[0] == f'Run "catalog" is paused: done 3, failed 0, total 12 ({note})'
    assert "Resume it with: python -m batch_runner resume catalog" in result.out
    assert state.requests[0].body["options"] == {"limit": 3}


def test_unreachable_server_exits_four_naming_url(closed_url, workflow_file):
    result = start(closed_url, workflow_file)

    assert result.code == ExitCode.UNREACHABLE
    assert f"cannot reach ComfyUI at {closed_url}" in result.err


def test_lost_connection_while_following_exits_four(fake, workflow_file, monkeypatch):
    state, url = fake
    monkeypatch.setattr(cli, "RECONNECT_GRACE", 0.2)
    state.created = (201, summary("running"))
    original = cli.BatchClient.run

    def connection_refused(self, run_id):
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(cli.BatchClient, "run", connection_refused)
    result = start(url, workflow_file)
    monkeypatch.setattr(cli.BatchClient, "run", original)

    assert result.code == ExitCode.UNREACHABLE
    assert f"Lost the connection to {url}, or the run is not listed while ComfyUI restarts; retrying for up " \
           f"to 0.2 s" in result.err
    assert f"cannot reach ComfyUI at {url}" in result.err


def test_restart_while_following_is_ridden_out(fake, workflow_file):
    state, url = fake
    state.created = (201, summary("running"))
    restored = summary("paused", done=5, note="ComfyUI restarted; resume to finish the remaining jobs")
    # While ComfyUI restarts, the run is unknown until its folder has been reloaded.
    state.polls = [summary("running", done=5), {"missing": True}, restored]
    answer = state.answer

    def answer_with_gap(method, path, body):
        status, data = answer(method, path, body)
        return (404, {"error": "no run named 'catalog'"}) if data == {"missing": True} else (status, data)

    state.answer = answer_with_gap
    result = start(url, workflow_file)

    assert result.code == ExitCode.PAUSED
    assert "retrying for up to 60 s" in result.err
    assert "ComfyUI restarted; resume to finish the remaining jobs" in result.out


def test_conflicting_run_exits_two(fake, workflow_file):
    state, url = fake
    state.created = (409, {"error": "run 'catalog' is running; pause or cancel it first, or pick another name"})

    result = start(url, workflow_file)

    assert result.code == ExitCode.REJECTED
    assert "error: the server rejected the request (HTTP 409): run 'catalog' is running" in result.err


def test_server_error_exits_five(fake, workflow_file):
    state, url = fake
    state.created = (500, {"error": "internal failure"})

    result = start(url, workflow_file)

    assert result.code == ExitCode.SERVER_ERROR


def test_missing_extension_gets_hint(fake):
    state, url = fake
    state.extension_installed = False

    result = run_cli("status", "--server", url)

    assert result.code == ExitCode.REJECTED
    assert "has no /batch-runner/ routes; is the Batch Runner extension installed there?" in result.err


# Starting

def test_source_is_uploaded_and_used(fake, workflow_file, tmp_path):
    state, url = fake
    source = tmp_path / "jobs.csv"
    source.write_bytes(b"id,prompt\nr1,a cat\n")
    state.saved_source = "jobs_2.csv"
    state.created = (201, summary("done", done=1, total=1))
    state.polls = [summary("done", done=1, total=1)]

    result = start(url, workflow_file, "--source", str(source))

    upload, create = state.requests[0], state.requests[1]
    assert upload.path == "/batch-runner/sources"
    assert upload.body == {"name": "jobs.csv", "content_base64": base64.b64encode(source.read_bytes()).decode(),
                           "overwrite": False}
    assert create.body["options"] == {"source": "jobs_2.csv"}
    assert "Uploaded jobs.csv as jobs_2.csv" in result.err
    assert result.code == ExitCode.OK


def test_missing_source_file_is_rejected(fake, workflow_file, tmp_path):
    state, url = fake

    result = start(url, workflow_file, "--source", str(tmp_path / "nowhere.csv"))

    assert result.code == ExitCode.REJECTED
    assert "source file not found" in result.err
    assert state.requests == []


def test_already_complete_message_is_shown(fake, workflow_file):
    state, url = fake
    message = "all 12 rows were already complete; nothing was queued"
    state.created = (201, summary("done", skipped=12, message=message))
    state.polls = [summary("done", skipped=12)]

    result = start(url, workflow_file)

    assert result.code == ExitCode.OK
    assert message in result.err
    assert result.out.startswith('Run "catalog" is done: done 0, failed 0, skipped 12 (already complete), total 12')


def test_no_wait_returns_after_start(fake, workflow_file):
    state, url = fake
    state.created = (201, summary("scheduled", note="starts at 2026-05-09T02:00:00"))

    result = start(url, workflow_file, "--no-wait", "--start-at", "2026-05-09T02:00:00")

    assert result.code == ExitCode.OK
    assert result.out.startswith('Run "catalog" is scheduled:')
    assert state.paths("GET") == []


def test_quiet_prints_only_result(fake, workflow_file):
    state, url = fake
    state.created = (201, summary("running", message=None))
    state.polls = [summary("running", done=5), summary("done", done=12)]

    result = start(url, workflow_file, "--quiet")

    assert result.err == ""
    assert result.out.startswith('Run "catalog" is done: done 12')


# Other commands

def test_status_lists_runs(fake):
    state, url = fake
    state.runs = [summary("running", done=4, name="night batch"), summary("done", done=12)]

    result = run_cli("status", "--server", url)

    lines = result.out.splitlines()
    assert result.code == ExitCode.OK
    assert lines[0].split() == ["NAME", "STATE", "DONE", "FAILED", "SKIPPED", "TOTAL", "CREATED"]
    assert lines[1].startswith("night batch  running          4       0        0      12  ")
    assert lines[2].startswith("catalog      done            12       0        0      12  ")


def test_status_of_one_run_lists_failed_rows(fake):
    state, url = fake
    failed_row = {"row": 7, "row_id": "cap-001", "status": "suspect", "attempts": 1, "seed": None,
                  "error": {"message": "the image is one flat colour"}, "files": ["studio/cap-001.png"]}
    state.polls = [summary("done", done=11, failed=1, failed_rows=[failed_row])]

    result = run_cli("status", "catalog", "--server", url)

    assert result.code == ExitCode.OK
    assert "State:    done" in result.out
    assert "Jobs:     done 11, failed 1, total 12; queued 0, pending 0" in result.out
    assert "  row 7 (id cap-001), suspect after 1 attempt(s): the image is one flat colour" in result.out
    assert state.paths() == ["/batch-runner/runs/catalog"]


def test_many_failed_rows_are_cut_with_count(fake):
    state, url = fake
    rows = [{"row": n, "row_id": f"r{n}", "status": "failed", "attempts": 3, "seed": None,
             "error": {"message": "boom"}, "files": []} for n in range(1, 201)]
    state.polls = [summary("done", failed=250, total=250, failed_rows=rows)]

    result = run_cli("status", "catalog", "--server", url)

    lines = result.out.splitlines()
    assert "Failed rows (250):" in lines
    assert "  row 20 (id r20), failed after 3 attempt(s): boom" in lines
    assert "  row 21 (id r21), failed after 3 attempt(s): boom" not in lines
    assert lines[-1] == "  ... and 230 more; see the run's manifest.csv"


def test_status_json_is_the_server_answer(fake):
    state, url = fake
    state.polls = [summary("paused", done=3, failed_rows=[])]

    result = run_cli("status", "catalog", "--json", "--server", url)

    assert json.loads(result.out) == state.polls[0]


def test_status_of_unknown_run_exits_two(fake):
    state, url = fake

    result = run_cli("status", "nightly", "--server", url)

    assert result.code == ExitCode.REJECTED
    assert "no run named 'nightly'" in result.err


def test_run_name_with_space_is_quoted_in_url(fake):
    state, url = fake
    state.polls = [summary("done", done=12, name="night batch", failed_rows=[])]

    run_cli("status", "night batch", "--server", url)

    assert state.paths() == ["/batch-runner/runs/night%20batch"]


def test_resume_follows_the_run(fake):
    state, url = fake
    state.control_answer = summary("running", done=3)
    state.polls = [summary("running", done=8), summary("done", done=12)]

    result = run_cli("resume", "catalog", "--server", url, "--interval", "0.01")

    assert result.code == ExitCode.OK
    assert state.requests[0].path == "/batch-runner/runs/catalog/resume"
    assert result.out.startswith('Run "catalog" is done: done 12')


def test_cancel_with_interrupt(fake):
    state, url = fake
    state.control_answer = summary("cancelling", done=3)

    result = run_cli("cancel", "catalog", "--interrupt", "--server", url)

    assert result.code == ExitCode.OK
    assert state.requests[0].path == "/batch-runner/runs/catalog/cancel"
    assert state.requests[0].body == {"interrupt": True}
    assert result.out.startswith('Run "catalog" is cancelling:')


def test_cancel_lets_running_job_finish_by_default(fake):
    state, url = fake
    state.control_answer = summary("cancelling", done=3)

    run_cli("cancel", "catalog", "--server", url)

    assert state.requests[0].body == {}


def test_retry_failed_reports_count_and_follows(fake):
    state, url = fake
    state.control_answer = summary("running", done=10, retried=2)
    state.polls = [summary("done", done=12)]

    result = run_cli("retry-failed", "catalog", "--server", url, "--interval", "0.01")

    assert result.code == ExitCode.OK
    assert "Queued 2 failed row(s) again" in result.err
    assert state.paths("POST") == ["/batch-runner/runs/catalog/retry-failed"]


def test_retry_failed_no_wait(fake):
    state, url = fake
    state.control_answer = summary("running", done=10, retried=2)

    result = run_cli("retry-failed", "catalog", "--no-wait", "--server", url)

    assert result.code == ExitCode.OK
    assert state.paths("GET") == []


# Progress display

class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_terminal_progress_redraws_one_line(monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    stream = io.StringIO()
    display = ProgressDisplay(stream, tty=True)

    display.update(summary("running", done=3))
    display.update(summary("running", done=6))
    display.close()

    lines = stream.getvalue().split("\r")
    assert lines[0] == ""
    assert lines[1] == "catalog [########----------------------]  25%  done 3/12, failed 0  30.0 jobs/min, ETA 18 s"
    assert lines[2] == "catalog [###############---------------]  50%  done 6/12, failed 0  30.0 jobs/min, ETA 12 s\n"


def test_terminal_progress_fits_narrow_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")
    stream = io.StringIO()

    ProgressDisplay(stream, tty=True).update(summary("paused", done=6, skipped=2, note="paused by the user"))

    line = stream.getvalue()
    assert line == "\rcatalog paused [#######---]  67%  done 6/12, failed 0, skip"
    assert len(line) == 60


def test_terminal_progress_pads_shorter_line(monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    stream = io.StringIO()
    display = ProgressDisplay(stream, tty=True)

    display.update(summary("running", done=6, skipped=2))
    first = stream.getvalue()
    display.update(summary("done", done=10, skipped=2))

    second = stream.getvalue()[len(first):]
    assert len(second) >= len(first)


def test_plain_progress_prints_lines_at_interval():
    stream = io.StringIO()
    clock = FakeClock()
    display = ProgressDisplay(stream, tty=False, report_interval=30.0, clock=clock)

    display.update(summary("running", done=1))
    clock.now = 10.0
    display.update(summary("running", done=2))
    clock.now = 31.0
    display.update(summary("running", done=2))
    clock.now = 35.0
    display.update(summary("done", done=12))

    lines = stream.getvalue().splitlines()
    assert "\r" not in stream.getvalue()
    assert len(lines) == 3
    assert lines[0].endswith("catalog running: done 1, failed 0, total 12; 30.0 jobs/min, ETA 22 s")
    assert "done 2" in lines[1]
    assert "catalog done: done 12" in lines[2]


def test_plain_progress_skips_unchanged_counts():
    stream = io.StringIO()
    clock = FakeClock()
    display = ProgressDisplay(stream, tty=False, report_interval=30.0, clock=clock)

    display.update(summary("running", done=1))
    clock.now = 100.0
    display.update(summary("running", done=1))

    assert len(stream.getvalue().splitlines()) == 1


@pytest.mark.parametrize("seconds, text", [
    (0, "0 s"), (44.6, "45 s"), (60, "1 min"), (3599, "59 min"), (3600, "1 h 00 min"), (-3, "0 s"),
])
def test_format_duration(seconds, text):
    assert cli_progress.format_duration(seconds) == text


# Standard library only

def test_command_runs_without_site_packages():
    # -S leaves site-packages off sys.path, as on a machine with only Python and this repository.
    completed = subprocess.run([sys.executable, "-S", "-m", "batch_runner", "run", "--help"], cwd=REPO_ROOT,
                               capture_output=True, text=True, timeout=60)

    assert completed.returncode == 0, completed.stderr
    assert "--workflow FILE" in completed.stdout
    assert "seconds one job may run" in completed.stdout
