"""Webhook notifications from a real run, and a hanging webhook that must not slow the run."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from support import copy_example
from test_engine import demo_graph


class Receiver(ThreadingHTTPServer):
    """A webhook endpoint on 127.0.0.1 that records every JSON body, or never responds when `hang` is set."""

    def __init__(self, hang: bool = False) -> None:
        self.bodies: list[dict] = []
        self.hang = hang
        self.release = threading.Event()
        super().__init__(("127.0.0.1", 0), ReceiverHandler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"

    def close(self) -> None:
        self.release.set()
        self.shutdown()
        self.server_close()


class ReceiverHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.bodies.append(json.loads(body))
        if self.server.hang:
            self.server.release.wait(30)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def test_run_posts_start_and_finish(shared_server, client):
    copy_example(shared_server)
    receiver = Receiver()
    try:
        client.start_run(demo_graph("batch_demo_products.csv"), "notified", {"webhook_url": receiver.url})
        client.wait("notified", timeout=120)
        deadline = time.monotonic() + 10
        while not any(b["batch_runner"]["event"] == "done" for b in receiver.bodies):
            assert time.monotonic() < deadline, receiver.bodies
            time.sleep(0.05)
    finally:
        receiver.close()

    events = [body["batch_runner"]["event"] for body in receiver.bodies]
    assert events[0] == "started"
    assert events[-1] == "done"
    assert "progress" in events
    for body in receiver.bodies:
        assert body["text"] == body["content"]
        assert "notified" in body["text"]
    assert "12" in receiver.bodies[-1]["text"]


def test_hanging_webhook_does_not_slow_the_run(shared_server, client):
    copy_example(shared_server)
    client.start_run(demo_graph("batch_demo_products.csv"), "quiet")
    baseline = client.wait("quiet", timeout=120)
    receiver = Receiver(hang=True)
    try:
        client.start_run(demo_graph("batch_demo_products.csv"), "hanging-hook", {"webhook_url": receiver.url})
        final = client.wait("hanging-hook", timeout=120)
    finally:
        receiver.close()

    assert final["state"] == "done"
    assert final["counts"]["done"] == 12
    took = final["finished_at"] - final["started_at"]
    usual = baseline["finished_at"] - baseline["started_at"]
    assert took < usual + 2.0, (took, usual)
