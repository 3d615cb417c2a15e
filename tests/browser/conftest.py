"""A real ComfyUI and Debian's Chromium, driven by Playwright, for the Batch panel tests.

Chromium is /usr/bin/chromium, which `make browser` installs. Playwright
never downloads a browser of its own here. Every request the page makes to a host
other than the local ComfyUI is aborted, so the frontend's update checks stay
on this machine.

Each test gets a fresh browser context on one shared server. Console
messages go to test-artifacts/console-<test>.log, a failing test leaves a
screenshot beside it, and an uncaught error from the panel's modules fails
the test.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Iterator
from urllib.parse import urlparse

import pytest

from comfyui import ComfyServer, Installation, provision

playwright_api = pytest.importorskip("playwright.sync_api")

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = REPO_ROOT / "examples"
ARTIFACTS = REPO_ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
# Marks console text and stack frames that come from this extension's web folder.
OUR_MODULES = ("/extensions/comfyui-batch-runner/", "[batch-runner]")
# A first visit opens the Templates dialog over the canvas unless the tutorial counts as done.
USER_SETTINGS = {"Comfy.TutorialCompleted": True}
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
# Set to a frontend's static folder (for example an unpacked comfyui-frontend-package wheel's
# comfyui_frontend_package/static) to test the panel with that frontend instead of the bundled one.
FRONTEND_ROOT_VARIABLE = "BATCH_RUNNER_FRONTEND_ROOT"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """Keep each phase's report on the test item, so fixtures can tell whether the test failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture(scope="session")
def installation() -> Installation:
    return provision()


@pytest.fixture(scope="session")
def comfy(installation: Installation, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ComfyServer]:
    """One ComfyUI for every browser test, with the demo job file in its input folder."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing; run `make browser` (or `python3 scripts/browser.py`) first")
    base = tmp_path_factory.mktemp("comfy-browser")
    settings_file = base / "user" / "default" / "comfy.settings.json"
    settings_file.parent.mkdir(parents=True)
    settings_file.write_text(json.dumps(USER_SETTINGS))

    frontend_root = os.environ.get(FRONTEND_ROOT_VARIABLE)
    extra_args = ["--front-end-root", frontend_root] if frontend_root else []
    server = ComfyServer(installation, base, extra_args=extra_args)
    server.start()
    shutil.copyfile(EXAMPLES / "batch_demo_products.csv", server.input_dir / "batch_demo_products.csv")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator["playwright_api.Browser"]:
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _keep_on_loopback(route: "playwright_api.Route") -> None:
    if urlparse(route.request.url).hostname in LOOPBACK_HOSTS or route.request.url.startswith(("data:", "blob:")):
        route.continue_()
    else:
        route.abort()


def _from_our_modules(text: str) -> bool:
    return any(marker in text for marker in OUR_MODULES)


@pytest.fixture
def page(browser: "playwright_api.Browser", comfy: ComfyServer,
         request: pytest.FixtureRequest) -> Iterator["playwright_api.Page"]:
    """ComfyUI's page, loaded and ready, in a fresh browser context."""
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    context.route("**/*", _keep_on_loopback)
    page = context.new_page()
    console_lines: list[str] = []
    our_errors: list[str] = []

    def on_console(message: "playwright_api.ConsoleMessage") -> None:
        console_lines.append(f"{message.type}: {message.text}")
        if message.type == "error" and _from_our_modules(message.text):
            our_errors.append(f"console error: {message.text}")

    def on_page_error(error: "playwright_api.Error") -> None:
        text = f"{error.message}\n{error.stack or ''}"
        console_lines.append(f"uncaught: {text}")
        if _from_our_modules(text):
            our_errors.append(f"uncaught error: {text}")

    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    page.goto(comfy.url)
    page.wait_for_function(
        "() => window.app?.graph && window.app.extensionManager?.getSidebarTabs?.().some(t => t.id === 'batch-runner')",
        timeout=60_000)

    yield page

    ARTIFACTS.mkdir(exist_ok=True)
    name = request.node.name
    (ARTIFACTS / f"console-{name}.log").write_text("\n".join(console_lines) + "\n", encoding="utf-8")
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        page.screenshot(path=str(ARTIFACTS / f"{name}-failure.png"))
    context.close()
    if our_errors:
        pytest.fail("the panel's modules raised errors in the page:\n" + "\n".join(our_errors), pytrace=False)
