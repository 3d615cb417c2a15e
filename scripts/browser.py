"""Make sure Debian's Chromium is installed for the browser tests.

`make test` and `make test-browser` run this before pytest. The tests drive
/usr/bin/chromium through Playwright for Python, and never download a browser
build of Playwright's own. When Chromium is missing it is installed with
apt-get, which needs root.

Only standard-library imports: this file runs before any venv exists.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
APT_PACKAGE = "chromium"


def chromium_version(executable: Path = CHROMIUM) -> str | None:
    """Return Chromium's version line, or None when it is missing or does not start."""
    if not executable.exists():
        return None
    try:
        completed = subprocess.run([str(executable), "--version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if completed.returncode != 0:
        return None
    return completed.stdout.strip() or completed.stderr.strip()


def install_chromium() -> None:
    """Install Debian's chromium package with apt-get, or exit with a message saying what to run instead."""
    if shutil.which("apt-get") is None:
        sys.exit(f"{CHROMIUM} is missing and this system has no apt-get. "
                 "Install Chromium with your package manager so that it is at /usr/bin/chromium.")
    if os.geteuid() != 0:
        sys.exit(f"{CHROMIUM} is missing and installing it needs root. Run:\n"
                 f"  sudo apt-get update && sudo apt-get install -y {APT_PACKAGE}")

    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print(f"Installing {APT_PACKAGE} with apt-get (a few minutes on the first run)", flush=True)
    subprocess.run(["apt-get", "update"], check=True, env=environment)
    subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", APT_PACKAGE], check=True,
                   env=environment)


def main() -> None:
    version = chromium_version()
    if version is None:
        install_chromium()
        version = chromium_version()
    if version is None:
        sys.exit(f"{CHROMIUM} still does not start after installing {APT_PACKAGE}; "
                 f"run '{CHROMIUM} --version' to see why.")
    print(f"Browser for the panel tests: {version} at {CHROMIUM}")


if __name__ == "__main__":
    main()
