"""Helpers shared by the integration and browser tests."""

from __future__ import annotations

import asyncio
import csv
import shutil
import socket
import threading
from pathlib import Path

from comfyui import ComfyServer

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def copy_example(server: ComfyServer, name: str = "batch_demo_products.csv", as_name: str | None = None) -> str:
    target = server.input_dir / (as_name or name)
    shutil.copyfile(EXAMPLES / name, target)
    return target.name


def write_rows(path: Path, rows: list[dict]) -> None:
    """Write ROWS as a UTF-8 CSV with a header taken from the first row."""
    with open(path, "w", newline="", encoding="utf-8") as target:
        writer = csv.DictWriter(target, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def run_async(coroutine_function, *args):
    """Run an async test body in a thread of its own.

    Playwright's sync API keeps an event loop running on the main thread while
    the browser tests' session lasts, and asyncio.run() refuses to start there.
    """
    outcome: dict = {}

    def target() -> None:
        try:
            outcome["value"] = asyncio.run(coroutine_function(*args))
        except BaseException as error:  # handed back to the test thread below
            outcome["error"] = error

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def closed_port() -> int:
    """Return a port on 127.0.0.1 that nothing listens on, so connections to it are refused."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port
