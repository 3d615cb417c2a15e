"""Webhook notifications about runs: an engine listener that posts to each run's `webhook_url`.

One JSON body suits Slack and Discord incoming webhooks and other receivers at once:
`text` (Slack) and `content` (Discord) carry the same one-line message, and
`batch_runner` carries the event name and the run summary. The message stays far
below Discord's 2000-character limit for `content`.
NOTE: the tests post to local receivers only. That Slack and Discord accept the
keys they do not use is assumed, not tested.

Posts are sent by one background thread from a bounded queue, so a slow or
hanging receiver never delays the engine. Webhook URLs contain secrets, so
logs name only the host.
"""

from __future__ import annotations

import http.client
import json
import logging
import queue
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from . import __version__
from .durations import format_duration

if TYPE_CHECKING:
    from .run_options import RunOptions

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 5.0  # seconds that connecting, or waiting for the response's next bytes, may take
DEFAULT_MAX_PENDING = 100  # posts waiting in the queue; newer ones are dropped beyond this
DEFAULT_CHECKPOINT_JOBS = 10  # the early "first jobs finished" message, when the run has no limit
FAILURE_LOG_INTERVAL = 300.0  # seconds between log lines about failures to one host
# Cloudflare in front of Discord rejects urllib's default User-Agent (Python-urllib/3.x) with
# 403 and "error code: 1010", so the extension names itself.
USER_AGENT = f"ComfyUI-Batch-Runner/{__version__}"


class NotifiableRun(Protocol):
    """The part of a run that the notifier reads: its id, options and summary."""

    @property
    def run_id(self) -> str: ...

    options: RunOptions

    def summary(self) -> dict[str, Any]: ...


@dataclass
class _RunProgress:
    """Notifications already sent for one run since it started on this server."""

    started: bool = False
    checkpoint: bool = False
    milestone: int = 0  # the highest percent already announced


@dataclass
class _Post:
    run_id: str
    url: str
    body: bytes


@dataclass
class _HostFailures:
    """Failed posts to one host since its last log line, so a dead receiver logs rarely."""

    unreported: int = 0
    last_logged: float | None = None
    run_ids: set[str] = field(default_factory=set)


class WebhookNotifier:
    """An engine listener that posts run start, checkpoint, progress and finish to the run's webhook.

    Append the instance to `RunEngine.listeners`, and call `close()` when the
    server stops. Runs without `options.webhook_url` are ignored, and no thread
    starts until the first post.
    """

    def __init__(self, timeout: float = DEFAULT_TIMEOUT, max_pending: int = DEFAULT_MAX_PENDING,
                 checkpoint_jobs: int = DEFAULT_CHECKPOINT_JOBS,
                 failure_log_interval: float = FAILURE_LOG_INTERVAL) -> None:
        self.timeout = timeout
        self.max_pending = max_pending
        self.checkpoint_jobs = checkpoint_jobs
        self.failure_log_interval = failure_log_interval
        self._progress: dict[str, _RunProgress] = {}
        self._queue: queue.Queue[_Post | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._dropped = 0
        self._failures: dict[str, _HostFailures] = {}
        self._failures_lock = threading.Lock()

    # Engine events arrive on the event loop, so they only decide and enqueue. Nothing here blocks.

    def __call__(self, event: str, run: NotifiableRun, details: dict[str, Any]) -> None:
        url = run.options.webhook_url
        if not url or self._closed:
            return
        summary = run.summary()
        for kind in self._notifications(event, run, summary):
            self._enqueue(run.run_id, url, build_payload(kind, summary, run.options.limit))

    def _notifications(self, event: str, run: NotifiableRun, summary: dict[str, Any]) -> list[str]:
        """Return the notification kinds EVENT calls for, and record them as sent."""
        if event == "finished":
            self._progress.pop(run.run_id, None)
            return [summary["state"]]
        progress = self._progress.get(run.run_id)
        if progress is None or event == "started":
            progress = self._progress[run.run_id] = self._baseline(summary, run.options)
        limit = run.options.limit

        if event in ("started", "state") and summary["state"] == "running" and not progress.started:
            # A scheduled or restored run starts through a "state" event, not "started".
            progress.started = True
            return ["started"]
        if event == "state" and summary["state"] == "paused" and limit is not None:
            # The engine pauses a run with a limit once the test jobs are through.
            return self._checkpoint(progress, summary)
        if event in ("job", "progress") and limit is None:
            if _finished_and_work(summary["counts"])[0] >= self.checkpoint_jobs:
                return self._checkpoint(progress, summary) or self._milestone(progress, summary, run.options)
            return self._milestone(progress, summary, run.options)
        # While a limit is set, the pause checkpoint is the only progress message.
        return []

    def _baseline(self, summary: dict[str, Any], options: RunOptions) -> _RunProgress:
        """Start tracking a run; jobs it finished before, e.g. ahead of retry-failed, are not announced."""
        finished, work = _finished_and_work(summary["counts"])
        already_past_checkpoint = options.limit is None and finished >= self.checkpoint_jobs
        return _RunProgress(checkpoint=already_past_checkpoint, milestone=_percent(finished, work) if finished else 0)

    def _checkpoint(self, progress: _RunProgress, summary: dict[str, Any]) -> list[str]:
        finished, work = _finished_and_work(summary["counts"])
        if progress.checkpoint or finished >= work:
            # After the last job the finish message follows at once, so a checkpoint would repeat it.
            return []
        progress.checkpoint = True
        # The milestones this message already covers are not announced again.
        progress.milestone = max(progress.milestone, _percent(finished, work))
        return ["checkpoint"]

    def _milestone(self, progress: _RunProgress, summary: dict[str, Any], options: RunOptions) -> list[str]:
        step = options.notify_every_percent
        finished, work = _finished_and_work(summary["counts"])
        if step <= 0 or finished >= work:
            return []
        reached = _percent(finished, work) // step * step
        if reached <= progress.milestone:
            return []
        progress.milestone = reached
        return ["progress"]

    def _enqueue(self, run_id: str, url: str, payload: dict[str, Any]) -> None:
        if self._queue.qsize() >= self.max_pending:
            self._dropped += 1
            if self._dropped == 1 or self._dropped % 100 == 0:
                logger.warning("Run %s: %d webhook notification(s) dropped because %d posts are still waiting",
                               run_id, self._dropped, self.max_pending)
            return
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self._queue.put(_Post(run_id, url, body))
        self._ensure_thread()

    def _ensure_thread(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._send_loop, name="batch-runner-webhooks", daemon=True)
            self._thread.start()

    # Sender thread

    def _send_loop(self) -> None:
        # NOTE: posts go out one at a time, so a hanging receiver delays the posts of other
        # runs behind it by up to `timeout` seconds each, and a long backlog gets dropped.
        while True:
            post = self._queue.get()
            if post is None:
                return
            try:
                self._send(post)
            except Exception as error:  # the thread must outlive one bad post, or every later one is lost
                # No traceback: its messages could quote the URL and its secret.
                logger.error("Run %s: webhook post to %s failed unexpectedly with %s", post.run_id,
                             _host(post.url), type(error).__name__)

    def _send(self, post: _Post) -> bool:
        """POST one notification and return whether the receiver accepted it.

        Network and HTTP errors are recorded for the throttled log, not raised.
        """
        host = _host(post.url)
        request = urllib.request.Request(post.url, data=post.body, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT})
        try:
            if urlsplit(post.url).scheme not in ("http", "https"):
                raise ValueError("not an http(s) URL")
            # The status line is all that matters, so the body is not read: a receiver that
            # trickles it slowly cannot hold the thread. NOTE: one that trickles headers still can.
            with urllib.request.urlopen(request, timeout=self.timeout):
                pass
        except urllib.error.HTTPError as error:
            self._record_failure(post.run_id, host, f"HTTP {error.code} {error.reason}")
            return False
        except urllib.error.URLError as error:
            self._record_failure(post.run_id, host, f"cannot connect: {error.reason}")
            return False
        except TimeoutError:
            self._record_failure(post.run_id, host, f"timed out after {self.timeout:g} s waiting for the response")
            return False
        except (OSError, ValueError, http.client.HTTPException) as error:
            # str(error) of these may quote the URL, so only the type is logged.
            self._record_failure(post.run_id, host, f"{type(error).__name__} while posting")
            return False
        self._record_success(post.run_id, host)
        return True

    def _record_failure(self, run_id: str, host: str, error: str) -> None:
        now = time.monotonic()
        with self._failures_lock:
            failures = self._failures.setdefault(host, _HostFailures())
            failures.unreported += 1
            failures.run_ids.add(run_id)
            due = failures.last_logged is None or now - failures.last_logged >= self.failure_log_interval
            if not due:
                return
            count, runs = failures.unreported, ", ".join(sorted(failures.run_ids))
            failures.unreported, failures.last_logged, failures.run_ids = 0, now, set()
        logger.warning("Run %s: webhook post to %s failed (%s); %d failure(s) to this host since the last "
                       "report, next report in %g s at the earliest", runs, host, error, count,
                       self.failure_log_interval)

    def _record_success(self, run_id: str, host: str) -> None:
        with self._failures_lock:
            failures = self._failures.pop(host, None)
        if failures is not None and failures.last_logged is not None:
            logger.info("Run %s: webhook posts to %s succeed again (%d failure(s) since the last report)",
                        run_id, host, failures.unreported)
        logger.debug("Run %s: webhook posted to %s", run_id, host)

    # Shutdown

    def close(self, timeout: float = 2.0) -> None:
        """Stop accepting notifications and wait up to TIMEOUT seconds for queued posts to go out.

        Posts still waiting after that are abandoned with the daemon thread, so a
        hanging receiver cannot hold up the server's shutdown.
        """
        self._closed = True
        if self._thread is None:
            return
        self._queue.put(None)
        self._thread.join(timeout)
        if self._thread.is_alive():
            logger.warning("Webhook sender still busy after %g s at shutdown; %d post(s) abandoned",
                           timeout, self._queue.qsize())


# The message

FINAL_HEADLINES = {"done": "is done", "failed": "failed", "cancelled": "was cancelled"}


def build_payload(kind: str, summary: dict[str, Any], limit: int | None = None) -> dict[str, Any]:
    """Build the JSON body of notification KIND about the run described by SUMMARY.

    LIMIT is the run's test limit (`RunOptions.limit`), which the checkpoint message names.
    """
    message = describe(kind, summary, limit)
    return {"text": message, "content": message, "batch_runner": {"event": kind, "run": summary}}


def describe(kind: str, summary: dict[str, Any], limit: int | None = None) -> str:
    """Render one plain line: run name, what happened, state, counts and ETA.

    Plain text only, because Slack reads '<', '>' and '&' as markup. Run names
    cannot contain them, and the other parts are numbers and fixed words.
    """
    counts = summary["counts"]
    complete = counts["done"] + counts["skipped"]
    failed = counts["failed"] + counts["suspect"]
    text = (f"Batch run \"{summary['name']}\" {_headline(kind, summary, limit)}. State: {summary['state']}, "
            f"done {complete}/{counts['total']}, failed {failed}")
    if counts["skipped"]:
        text += f" ({counts['skipped']} were complete before this run)"
    if summary["state"] in ("running", "scheduled"):
        eta = summary.get("eta_seconds")
        text += f", ETA {format_duration(eta)}" if eta is not None else ", ETA not known yet"
    return text + "."


def _headline(kind: str, summary: dict[str, Any], limit: int | None) -> str:
    finished, work = _finished_and_work(summary["counts"])
    if kind == "checkpoint" and limit is not None:
        return f"paused after its first {limit} test job(s); review the results, then resume it to run the rest"
    if kind == "checkpoint":
        return f"finished its first {finished} jobs"
    if kind == "progress":
        return f"is {_percent(finished, work)}% through"
    return FINAL_HEADLINES.get(kind, kind)


def _finished_and_work(counts: dict[str, int]) -> tuple[int, int]:
    """Jobs finished in this run, and jobs it has to run: rows complete before it started are left out."""
    finished = counts["done"] + counts["failed"] + counts["suspect"]
    return finished, counts["total"] - counts["skipped"]


def _percent(finished: int, work: int) -> int:
    return finished * 100 // work if work > 0 else 100


def _host(url: str) -> str:
    try:
        return urlsplit(url).hostname or "unknown host"
    except ValueError:
        return "unknown host"
