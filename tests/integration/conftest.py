"""Real ComfyUI servers on 127.0.0.1 for the integration tests."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator

import pytest

from comfyui import ComfyServer, Installation, provision

from batch_runner.client import BatchClient



@pytest.fixture(scope="session")
def installation() -> Installation:
    return provision()


@pytest.fixture
def start_server(installation: Installation, tmp_path: Path) -> Iterator[Callable[..., ComfyServer]]:
    """Start ComfyUI servers on a base folder of this test; every one is stopped at the end."""
    started: list[ComfyServer] = []

    def start(base_dir: Path | None = None, extra_args: list[str] | None = None,
              extra_env: dict[str, str] | None = None) -> ComfyServer:
        server = ComfyServer(installation, base_dir or tmp_path / "comfy", extra_args=extra_args,
                             extra_env=extra_env)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def shared_server(installation: Installation, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ComfyServer]:
    """One server for a whole test module, for tests that leave it running normally."""
    server = ComfyServer(installation, tmp_path_factory.mktemp("comfy"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def client(shared_server: ComfyServer) -> BatchClient:
    return BatchClient(shared_server.url)
