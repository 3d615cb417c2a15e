"""A small HTTP client for the /batch-runner/ routes, used by the headless command, the demo and tests.

Standard library only, so the command runs with any Python 3.10+ and no install.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

FINAL_STATES = {"done", "failed", "cancelled"}


@dataclass
class ApiError(Exception):
    """Raised when the server responds with an error status; `body` is its JSON response when it sent one."""

    status: int
    message: str
    body: dict[str, Any]

    def __str__(self) -> str:
        return f"HTTP {self.status}: {self.message}"


class BatchClient:
    def __init__(self, server_url: str, timeout: float = 60.0) -> None:
        self.base = server_url.rstrip("/")
        self.timeout = timeout

    def request(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:
            raw = error.read()
            try:
                answer = json.loads(raw)
            except json.JSONDecodeError:
                answer = {"error": raw.decode("utf-8", "replace")[:500]}
            raise ApiError(error.code, answer.get("error", error.reason), answer) from None
        return json.loads(raw) if raw else None

    def get_text(self, path: str) -> str:
        with urllib.request.urlopen(self.base + path, timeout=self.timeout) as response:
            return response.read().decode("utf-8")

    # Routes

    def preview(self, prompt: dict, options: dict | None = None, limit: int = 5) -> dict:
        return self.request("POST", "/batch-runner/preview", {"prompt": prompt, "options": options or {},
                                                              "limit": limit})

    def start_run(self, prompt: dict, name: str, options: dict | None = None,
                  workflow: dict | None = None) -> dict:
        body: dict[str, Any] = {"prompt": prompt, "name": name, "options": options or {}}
        if workflow is not None:
            body["workflow"] = workflow
        return self.request("POST", "/batch-runner/runs", body)

    def run(self, run_id: str) -> dict:
        return self.request("GET", f"/batch-runner/runs/{_quote(run_id)}")

    def runs(self) -> list[dict]:
        return self.request("GET", "/batch-runner/runs")["runs"]

    def control(self, run_id: str, action: str, body: dict | None = None) -> dict:
        return self.request("POST", f"/batch-runner/runs/{_quote(run_id)}/{action}", body or {})

    def upload_source(self, name: str, content: bytes, overwrite: bool = False) -> str:
        answer = self.request("POST", "/batch-runner/sources", {
            "name": name, "content_base64": base64.b64encode(content).decode("ascii"), "overwrite": overwrite})
        return answer["name"]

    def wait(self, run_id: str, timeout: float = 600.0, interval: float = 0.2,
             until: set[str] | None = None) -> dict:
        """Poll the run until it reaches one of UNTIL (default: a final state) and return it."""
        until = until or FINAL_STATES
        deadline = time.monotonic() + timeout
        while True:
            state = self.run(run_id)
            if state["state"] in until:
                return state
            if time.monotonic() > deadline:
                raise TimeoutError(f"run {run_id} is still {state['state']} after {timeout:.0f} s: {state['counts']}")
            time.sleep(interval)


def _quote(text: str) -> str:
    return urllib.request.quote(text, safe="")
