"""Webhook notifications: what is posted when, and that a bad receiver never holds up the engine.

Receivers are real HTTP servers on 127.0.0.1. The runs are small stand-ins,
because the notifier reads only `run_id`, `options` and `summary()`.
"""

from __future__ import annotations

import json
import logging
import queue
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

import pytest

from batch_runner.run_options import RunOptions
from batch_runner.webhooks import USER_AGENT, WebhookNotifier, build_payload, describe, format_duration

from support import closed_port

SENDER_THREAD = "batch-runner-webhooks"


# Receivers

@dataclass
class ReceivedPost:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


class Receiver:
    """An HTTP server on 127.0.0.1 that records every POST and responds 204, as Discord does."""

    def __init__(self) -> None:
        self.posts: queue.Queue[ReceivedPost] = queue.Queue()
        received = self.posts

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                body = json.loads(self.rfile.read(length))
                received.put(ReceivedPost(self.path, dict(self.headers), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def url(self, path: str = "/hooks/T000/SECRET") -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    def next(self, timeout: float = 5.0) -> ReceivedPost:
        return self.posts.get(timeout=timeout)

    def all(self) -> list[ReceivedPost]:
        found = []
        while not self.posts.empty():
            found.append(self.posts.get_nowait())
        return found

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture
def hanging_url() -> Iterator[str]:
    """A port that accepts connections (the kernel completes them) but never responds."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/hooks/SECRET"
    listener.close()


@pytest.fixture
def closed_url() -> str:
    """A port nothing listens on, so every connection is refused."""
    return f"http://127.0.0.1:{closed_port()}/services/T000/B000/SECRET-TOKEN"


@pytest.fixture
def notifiers() -> Iterator[list[WebhookNotifier]]:
    created: list[WebhookNotifier] = []
    yield created
    for notifier in created:
        notifier.close(timeout=0.1)


# A run stand-in

@dataclass
class FakeRun:
    run_id: str
    options: RunOptions
    total: int = 20
    state: str = "running"
    counts: dict[str, int] = field(default_factory=dict)
    eta_seconds: float | None = None

    def __post_init__(self) -> None:
        self.counts = {"total": self.total, "done": 0, "failed": 0, "skipped": 0, "queued": 0,
                       "pending": self.total, "suspect": 0}

    def finish_jobs(self, done: int = 0, failed: int = 0) -> None:
        self.counts["done"] += done
        self.counts["failed"] += failed
        self.counts["pending"] -= done + failed

    def summary(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "name": self.run_id, "state": self.state, "note": None,
                "counts": dict(self.counts), "rate": None, "eta_seconds": self.eta_seconds,
                "created_at": 1.0, "started_at": 2.0, "finished_at": None, "source": "jobs.csv",
                "latest_outputs": [], "folder": f"/output/{self.run_id}"}


def make_run(url: str | None, run_id: str = "catalog", total: int = 20, **options: Any) -> FakeRun:
    return FakeRun(run_id, RunOptions(webhook_url=url, **options), total=total)


def run_jobs(notifier: WebhookNotifier, run: FakeRun, count: int) -> None:
    """Finish COUNT jobs one by one, with the two events the engine sends for each."""
    for _ in range(count):
        run.finish_jobs(done=1)
        notifier("job", run, {"job": {}})
        notifier("progress", run, {})


def finish(notifier: WebhookNotifier, run: FakeRun, state: str = "done") -> None:
    run.state = state
    notifier("finished", run, {})


def events_of(posts: list[ReceivedPost]) -> list[str]:
    return [post.body["batch_runner"]["event"] for post in posts]


def own_messages(caplog: pytest.LogCaptureFixture, run_prefix: str, level: int = logging.DEBUG) -> list[str]:
    """Log messages about this test's runs: sender threads of earlier tests may still log theirs."""
    return [record.getMessage() for record in caplog.records
            if record.levelno >= level and record.getMessage().startswith(f"Run {run_prefix}")]


def sender_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == SENDER_THREAD and thread.is_alive()]


# Payload

def test_payload_same_message_for_slack_and_discord(receiver, notifiers):
    notifier = WebhookNotifier()
    notifiers.append(notifier)
    run = make_run(receiver.url())

    notifier("started", run, {})
    post = receiver.next()

    assert post.path == "/hooks/T000/SECRET"
    assert post.body["text"] == post.body["content"]
    assert post.body["text"] == 'Batch run "catalog" started. State: running, done 0/20, failed 0, ETA not known yet.'
    assert post.body["batch_runner"]["event"] == "started"
    assert post.body["batch_runner"]["run"] == run.summary()
    assert post.headers["Content-Type"] == "application/json; charset=utf-8"
    assert post.headers["User-Agent"] == USER_AGENT


def test_message_counts_skipped_rows_as_done():
    run = make_run(None, total=12)
    run.counts.update(skipped=10, done=1, failed=1, pending=0)
    run.state = "done"

    text = describe("done", run.summary())

    assert text == 'Batch run "catalog" is done. State: done, done 11/12, failed 1 (10 were complete before this run).'


def test_message_shows_eta_while_running():
    run = make_run(None)
    run.eta_seconds = 4000.0

    assert describe("progress", run.summary()).endswith(", ETA 1 h 06 min.")


@pytest.mark.parametrize("seconds, text", [
    (0, "0 s"), (44.6, "45 s"), (60, "1 min"), (3599, "59 min"), (3600, "1 h 00 min"), (90061, "25 h 01 min"),
    (-3, "0 s"),
])
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text


def test_payload_event_names_the_final_state():
    run = make_run(None)
    for state, headline in [("done", "is done"), ("failed", "failed"), ("cancelled", "was cancelled")]:
        run.state = state
        payload = build_payload(state, run.summary())
        assert payload["batch_runner"]["event"] == state
        assert payload["text"].startswith(f'Batch run "catalog" {headline}. State: {state},')


# When notifications are sent

def test_percent_milestones_fire_once_each(receiver, notifiers):
    notifier = WebhookNotifier(checkpoint_jobs=1000)
    notifiers.append(notifier)
    run = make_run(receiver.url(), total=20, notify_every_percent=25)

    notifier("started", run, {})
    run_jobs(notifier, run, 20)
    finish(notifier, run)
    notifier.close(timeout=5)

    posts = receiver.all()
    assert events_of(posts) == ["started", "progress", "progress", "progress", "done"]
    assert "is 25% through" in posts[1].body["text"]
    assert "done 5/20" in posts[1].body["text"]
    assert "is 50% through" in posts[2].body["text"]
    assert "is 75% through" in posts[3].body["text"]


def test_milestones_skipped_over_fire_once(receiver, notifiers):
    notifier = WebhookNotifier(checkpoint_jobs=1000)
    notifiers.append(notifier)
    run = make_run(receiver.url(), total=10, notify_every_percent=10)

    notifier("started", run, {})
    run.finish_jobs(done=6)
    notifier("progress", run, {})
    run_jobs(notifier, run, 1)
    notifier.close(timeout=5)

    posts = receiver.all()
    assert events_of(posts) == ["started", "progress", "progress"]
    assert "is 60% through" in posts[1].body["text"]
    assert "is 70% through" in posts[2].body["text"]


def test_zero_percent_disables_milestones(receiver, notifiers):
    notifier = WebhookNotifier(checkpoint_jobs=1000)
    notifiers.append(notifier)
    run = make_run(receiver.url(), total=20, notify_every_percent=0)

    notifier("started", run, {})
    run_jobs(notifier, run, 20)
    finish(notifier, run)
    notifier.close(timeout=5)

    assert events_of(receiver.all()) == ["started", "done"]


def test_checkpoint_after_first_ten_jobs(receiver, notifiers):
    notifier = WebhookNotifier()
    notifiers.append(notifier)
    run = make_run(receiver.url(), total=100, notify_every_percent=0)

    run_jobs(notifier, run, 9)
    run_jobs(notifier, run, 1)
    run_jobs(notifier, run, 5)
    notifier.close(timeout=5)

    posts = receiver.all()
    assert events_of(posts) == ["checkpoint"]
    assert posts[0].body["text"].startswith('Batch run "catalog" finished its first 10 jobs. State: running, '
                                            'done 10/100')


def test_checkpoint_covers_milestones_it_reaches(receiver, notifiers):
    notifier = WebhookNotifier()
    notifiers.append(notifier)
    run = make_run(receiver.url(), total=40, notify_every_percent=25)

    run_jobs(notifier, run, 20)
    notifier.close(timeout=5)

    posts = receiver.all()
    assert events_of(posts) == ["checkpoint", "progress"]
    assert "is 50% through" in posts[1].body["text"]


def test_no_checkpoint_when_run_ends_at_ten_jobs(receiver, notifiers):
    notifier = WebhookNotifier()
    notifiers.append(notifier)
    run = make_run(receiver.url(), total=10, notify_every_percent=0)

    run_jobs(notifier, run, 10)
    finish(notifier, run)
    notifier.close(timeout=5)

    assert events_of(receiver.all()) == ["done"]


def test_limit_checkpoint_when_test_run_pauses(receiver, notifiers):
    notifier = WebhookNotifier()
    notifiers.append(notifier)
    run = make_run(receiver.url(), total=12, limit=3, notify_every_percent=25)

    notifier("started", run, {})
    run_jobs(notifier, run, 3)
    run.state = "paused"
    notifier("state", run, {})
    notifier("state", run, {})
    notifier.close(timeout=5)

    posts = receiver.all()
    assert events_of(posts) == ["started", "checkpoint"]
    assert posts[1].body["text"] == (
        'Batch run "catalog" paused after its first 3 test job(s); review the results, then resume it to run '
        'the rest. State: paused, done 3/12, failed 0.')


def test_resume_after_limit_continues_milestones(receiver, notifiers):
    notifier = WebhookNotifier()
    notifiers.append(notifier)
    run = make_run(receiver.url(), total=12, limit=3, notify_every_percent=25)
    notifier("started", run, {})
    run_jobs(notifier, run, 3)
    run.state = "paused"
    notifier("state", run, {})

    # As the engine does on resume: the limit is cleared before the state event.
    run.options.limit = None
    run.state = "running"
    notifier("state", run, {})
    run_jobs(notifier, run, 9)
    finish(notifier, run)
    notifier.close(timeout=5)

    posts = receiver.all()
    assert events_of(posts) == ["started", "checkpoint", "progress", "progress", "done"]
    assert "is 50% through" in posts[2].body["text"]
    assert "is 75% through" in posts[3].body["text"]


def test_scheduled_run_announces_start_once(receiver, notifiers):
    notifier = WebhookNotifier()
    notifiers.append(notifier)
    run = make_run(receiver.url())

    run.state = "running"
    notifier("state", run, {})
    run.state = "paused"
    notifier("state", run, {})
    run.state = "running"
    notifier("state", run, {})
    notifier.close(timeout=5)

    assert events_of(receiver.all()) == ["started"]


def test_retry_failed_does_not_repeat_old_progress(receiver, notifiers):
    notifier = WebhookNotifier()
    notifiers.append(notifier)
    run = make_run(receiver.url(), total=20, notify_every_percent=25)
    run.finish_jobs(done=18, failed=2)
    finish(notifier, run)

    # Retry-failed sets the failed rows back to pending and sends a "state" event.
    run.counts.update(failed=0, pending=2)
    run.state = "running"
    notifier("state", run, {})
    run_jobs(notifier, run, 2)
    finish(notifier, run)
    notifier.close(timeout=5)

    assert events_of(receiver.all()) == ["done", "started", "done"]


def test_failure_and_cancel_are_notified(receiver, notifiers):
    notifier = WebhookNotifier()
    notifiers.append(notifier)
    failed = make_run(receiver.url(), run_id="broken")
    failed.finish_jobs(failed=20)
    cancelled = make_run(receiver.url(), run_id="stopped")

    finish(notifier, failed, "failed")
    finish(notifier, cancelled, "cancelled")
    notifier.close(timeout=5)

    posts = receiver.all()
    assert [(p.body["batch_runner"]["run"]["run_id"], p.body["batch_runner"]["event"]) for p in posts] == [
        ("broken", "failed"), ("stopped", "cancelled")]
    assert posts[0].body["text"] == 'Batch run "broken" failed. State: failed, done 0/20, failed 20.'


def test_run_without_webhook_starts_no_thread():
    notifier = WebhookNotifier()
    run = make_run(None)
    before = len(sender_threads())

    notifier("started", run, {})
    run_jobs(notifier, run, 20)
    finish(notifier, run)

    assert len(sender_threads()) == before
    notifier.close()


# A bad receiver never holds up the engine

def test_hanging_receiver_does_not_delay_listener(hanging_url, notifiers):
    notifier = WebhookNotifier(timeout=2.0)
    notifiers.append(notifier)
    durations = []

    for number in range(50):
        run = make_run(hanging_url, run_id=f"run-{number}")
        started = time.perf_counter()
        notifier("started", run, {})
        finish(notifier, run)
        durations.append(time.perf_counter() - started)

    assert max(durations) < 0.02, f"slowest listener call took {max(durations) * 1000:.1f} ms"


def test_close_does_not_wait_for_hanging_receiver(hanging_url):
    notifier = WebhookNotifier(timeout=5.0)
    notifier("started", make_run(hanging_url), {})

    started = time.perf_counter()
    notifier.close(timeout=0.2)

    assert time.perf_counter() - started < 1.0


def test_queue_is_bounded(hanging_url, notifiers, caplog):
    notifier = WebhookNotifier(timeout=5.0, max_pending=5)
    notifiers.append(notifier)
    caplog.set_level(logging.WARNING, logger="batch_runner.webhooks")

    for number in range(30):
        finish(notifier, make_run(hanging_url, run_id=f"run-{number}"))

    # The sender may already have taken the first post, so run-5 or run-6 is the first one dropped.
    dropped = [r.getMessage() for r in caplog.records if "dropped" in r.getMessage()]
    assert len(dropped) == 1
    assert dropped[0].endswith(": 1 webhook notification(s) dropped because 5 posts are still waiting")
    assert notifier._queue.qsize() <= 5


def test_failed_posts_log_host_only_and_rarely(closed_url, caplog):
    caplog.set_level(logging.INFO, logger="batch_runner.webhooks")
    notifier = WebhookNotifier(timeout=1.0)

    for number in range(5):
        finish(notifier, make_run(closed_url, run_id=f"night-{number}"))
    notifier.close(timeout=10)

    warnings = own_messages(caplog, "night-", logging.WARNING)
    assert len(warnings) == 1
    assert warnings[0].startswith("Run night-0: webhook post to 127.0.0.1 failed (cannot connect:")
    assert all("SECRET" not in r.getMessage() for r in caplog.records)
    assert all("/services/" not in r.getMessage() for r in caplog.records)


def test_throttled_failures_report_their_count(closed_url, caplog):
    caplog.set_level(logging.WARNING, logger="batch_runner.webhooks")
    notifier = WebhookNotifier(timeout=1.0, failure_log_interval=0.0)

    for number in range(3):
        finish(notifier, make_run(closed_url, run_id=f"night-{number}"))
    notifier.close(timeout=10)

    warnings = own_messages(caplog, "night-", logging.WARNING)
    assert len(warnings) == 3
    assert all("1 failure(s) to this host since the last report" in text for text in warnings)


def test_recovery_after_failures_is_logged(receiver, closed_url, caplog):
    caplog.set_level(logging.INFO, logger="batch_runner.webhooks")
    notifier = WebhookNotifier(timeout=1.0)
    # Both URLs are on 127.0.0.1, so they count as one host.
    finish(notifier, make_run(closed_url, run_id="night-1"))
    finish(notifier, make_run(closed_url, run_id="night-2"))
    finish(notifier, make_run(receiver.url(), run_id="night-3"))
    notifier.close(timeout=10)

    messages = own_messages(caplog, "night-")
    assert messages[-1] == "Run night-3: webhook posts to 127.0.0.1 succeed again (1 failure(s) since the last report)"
    assert events_of(receiver.all()) == ["done"]


def test_close_stops_sender_thread(receiver):
    notifier = WebhookNotifier()
    finish(notifier, make_run(receiver.url()))
    assert receiver.next().body["batch_runner"]["event"] == "done"

    notifier.close(timeout=5)

    assert notifier._thread is not None
    assert not notifier._thread.is_alive()
    finish(notifier, make_run(receiver.url(), run_id="after-close"))
    assert receiver.all() == []
