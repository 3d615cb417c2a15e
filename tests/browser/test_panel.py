"""The Batch panel in ComfyUI's real frontend: choose, preview, run, follow, retry, reload."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from urllib.parse import urljoin

from PIL import Image

from comfyui import ComfyServer

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = REPO_ROOT / "examples"
ARTIFACTS = REPO_ROOT / "test-artifacts"
DEMO_WORKFLOW = REPO_ROOT / "example_workflows" / "batch_demo.json"
DEMO_CSV = "batch_demo_products.csv"
RUN_TIMEOUT_MS = 120_000
# The Batch tab's sidebar button. Frontend 1.32.9 marks it with a class, and 1.58.1 with a data-testid.
TAB_BUTTON = ".batch-runner-tab-button, [data-testid=batch-runner-tab-button]"
# A toast. Frontend 1.32.9 shows PrimeVue toasts, and 1.58.1 its own toasts marked with a data-testid.
TOAST = ".p-toast-message, [data-testid=toast]"
# A dialog. Frontend 1.32.9 shows PrimeVue dialogs, and 1.58.1 Reka UI dialogs.
DIALOG = ".p-dialog, [data-reka-dialog-content]"


class PanelDriver:
    """Steps a person takes in the Batch panel, as Playwright calls."""

    def __init__(self, page, server: ComfyServer) -> None:
        self.page = page
        self.server = server

    def open(self) -> None:
        self.page.click(TAB_BUTTON)
        self.page.wait_for_selector(".batch-runner-panel")

    def load_demo_workflow(self) -> None:
        workflow = json.loads(DEMO_WORKFLOW.read_text())
        self.page.evaluate("async (workflow) => { await app.loadGraphData(workflow); }", workflow)

    def choose_source(self, name: str) -> None:
        self.page.wait_for_selector(f"#batch-runner-source option[value='{name}']", state="attached")
        self.page.select_option("#batch-runner-source", name)
        self.wait_for_preview()

    def wait_for_preview(self) -> None:
        self.page.wait_for_selector("[data-section=preview][data-status=ready], [data-section=preview][data-status=failed]")

    def set_option(self, name: str, value: str) -> None:
        self.page.fill(f".batch-runner-panel [name={name}]", value)

    def section_text(self, section: str) -> str:
        return self.page.inner_text(f"[data-section={section}]")

    def start_run(self, name: str) -> None:
        self.set_option("name", name)
        self.page.click("[data-test=run]")
        self.run_card(name).wait_for()

    def run_card(self, run_id: str):
        return self.page.locator(f".batch-runner-run[data-run-id='{run_id}']")

    def wait_for_state(self, run_id: str, state: str) -> None:
        self.run_card(run_id).locator(f".batch-runner-badge-{state}").wait_for(timeout=RUN_TIMEOUT_MS)

    def wait_for_stats(self, run_id: str, text: str) -> None:
        self.page.wait_for_function(
            "([runId, text]) => document.querySelector(`.batch-runner-run[data-run-id='${runId}'] [data-test=run-stats]`)"
            "?.textContent.includes(text)", arg=[run_id, text], timeout=RUN_TIMEOUT_MS)

    def screenshot_panel(self, path: Path) -> None:
        """Save the whole panel. The sidebar scrolls, so the window is made tall enough for all of it."""
        viewport = self.page.viewport_size
        panel_height = self.page.evaluate("() => document.querySelector('.batch-runner-panel').scrollHeight")
        self.page.set_viewport_size({"width": viewport["width"], "height": max(viewport["height"], panel_height + 150)})
        self.page.locator(".batch-runner-panel").evaluate("(element) => element.scrollIntoView({block: 'start'})")
        # Thumbnails load lazily, so they load only once the taller window shows them.
        self.page.wait_for_function("() => [...document.querySelectorAll('.batch-runner-thumbnails img')]"
                                    ".every((image) => image.complete && image.naturalWidth > 0)")
        box = self.page.locator(".batch-runner-panel").bounding_box()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(path), clip=box)
        self.page.set_viewport_size(viewport)


def write_bad_blur_csv(server: ComfyServer, name: str) -> None:
    """Write the demo rows with a blur radius of 99 on data row 5. ImageBlur allows 1 to 31."""
    lines = (EXAMPLES / DEMO_CSV).read_text().splitlines()
    fields = lines[5].split(",")
    fields[-2] = "99"
    lines[5] = ",".join(fields)
    (server.input_dir / name).write_text("\n".join(lines) + "\n")


def write_gradient_png(path: Path) -> None:
    # A gradient, because the run marks a single flat colour as a suspect output.
    image = Image.new("RGB", (64, 48))
    image.putdata([(x * 4, y * 5, 128) for y in range(48) for x in range(64)])
    image.save(path)


def add_photo_graph(page) -> None:
    """Replace the graph by Batch Source -> Load Image "Photo" -> Batch Save, built in the canvas."""
    page.evaluate("""async () => {
        app.graph.clear();
        const source = LiteGraph.createNode('BatchRunnerSource');
        source.pos = [40, 120];
        app.graph.add(source);
        const photo = LiteGraph.createNode('LoadImage');
        photo.title = 'Photo';
        photo.pos = [420, 120];
        app.graph.add(photo);
        photo.widgets.find((widget) => widget.name === 'image').value = 'good.png';
        const save = LiteGraph.createNode('BatchRunnerSave');
        save.pos = [820, 120];
        app.graph.add(save);
        save.widgets.find((widget) => widget.name === 'subfolder').value = '';
        photo.connect(0, save, save.findInputSlot('images'));
        source.connect(0, save, save.findInputSlot('row'));
        app.graph.setDirtyCanvas(true, true);
    }""")


def test_source_node_hides_row_input(page, comfy):
    panel = PanelDriver(page, comfy)
    panel.load_demo_workflow()

    loaded_inputs = page.evaluate(
        "() => app.graph.nodes.find((node) => node.comfyClass === 'BatchRunnerSource').inputs.map((i) => i.name)")
    created_inputs = page.evaluate(
        "() => LiteGraph.createNode('BatchRunnerSource').inputs.map((input) => input.name)")
    source_inputs = page.evaluate("async () => (await app.graphToPrompt()).output['1'].inputs")

    assert "batch_row" not in loaded_inputs
    assert "batch_row" not in created_inputs
    assert "batch_row" not in source_inputs
    assert source_inputs["file"] == DEMO_CSV
    assert source_inputs["id_column"] == "id"


def test_alt_b_opens_panel(page, comfy):
    page.keyboard.press("Alt+b")

    page.wait_for_selector(".batch-runner-panel", timeout=10_000)
    assert page.evaluate("() => app.extensionManager.sidebarTab.activeSidebarTabId") == "batch-runner"


def test_demo_batch_runs_and_persists(page, comfy):
    panel = PanelDriver(page, comfy)
    panel.load_demo_workflow()
    panel.open()
    panel.choose_source(DEMO_CSV)

    preview = panel.section_text("preview")
    assert "12 rows, 10 columns" in preview
    assert "Prompt \u203a template (template)" in preview
    assert "white ceramic mug on a walnut table, soft window light, studio product photo" in preview
    assert "Soften \u203a blur_radius \u2190 blur" in preview
    assert page.is_enabled("[data-test=run]")

    panel.set_option("limit", "4")
    panel.start_run("panel-demo")
    panel.wait_for_state("panel-demo", "paused")
    panel.wait_for_stats("panel-demo", "4 / 12 done")
    card = panel.run_card("panel-demo")
    assert card.locator(".batch-runner-thumbnails img").count() == 4
    assert "paused after the first 4" in card.inner_text()
    panel.screenshot_panel(ARTIFACTS / "panel-mid-run.png")

    card.locator("[data-test=resume]").click()
    panel.wait_for_state("panel-demo", "done")
    panel.wait_for_stats("panel-demo", "12 / 12 done")
    page.locator(TOAST, has_text='Run "panel-demo" done').wait_for()
    run_dir = comfy.output_dir / "panel-demo"
    # Files starting with "_" are the run's contact sheets, not row outputs.
    saved = sorted(path.relative_to(run_dir).as_posix() for path in run_dir.rglob("*.png")
                   if not path.name.startswith("_"))
    assert len(saved) == 12
    assert "studio/mug-001.png" in saved

    manifest_href = card.locator("[data-test=manifest-csv]").get_attribute("href")
    manifest = page.request.get(urljoin(comfy.url, manifest_href))
    assert manifest.status == 200
    rows = list(csv.DictReader(io.StringIO(manifest.text())))
    assert len(rows) == 12

    page.reload()
    page.wait_for_function("() => window.app?.extensionManager?.getSidebarTabs?.().some(t => t.id === 'batch-runner')")
    panel.open()
    panel.wait_for_state("panel-demo", "done")
    assert "12 / 12 done" in panel.run_card("panel-demo").inner_text()


def test_bad_row_blocks_run(page, comfy):
    write_bad_blur_csv(comfy, "bad_blur_row5.csv")
    panel = PanelDriver(page, comfy)
    panel.load_demo_workflow()
    panel.open()
    panel.choose_source("bad_blur_row5.csv")

    problems = page.locator("[data-test=problems] li")
    assert problems.count() == 1
    text = problems.first.inner_text()
    assert text.startswith("Row 5 (tote-002), column blur:")
    assert "Value: 99" in text
    assert "batch-runner-error" in problems.first.get_attribute("class")
    assert "1 error" in panel.section_text("preview")
    assert page.is_disabled("[data-test=run]")
    assert "Fix the errors in the preview" in panel.section_text("actions")

    panel.set_option("limit", "2")
    assert page.is_disabled("[data-test=run]")
    assert not list(comfy.output_dir.glob("bad_blur_row5*"))


def test_retry_failed_reruns_row(page, comfy):
    write_gradient_png(comfy.input_dir / "good.png")
    (comfy.input_dir / "bad.png").write_text("this text file is not an image\n")
    (comfy.input_dir / "photos.csv").write_text("id,Photo.image\np1,good.png\np2,bad.png\np3,good.png\n")
    panel = PanelDriver(page, comfy)
    add_photo_graph(page)
    panel.open()
    panel.choose_source("photos.csv")

    preview = panel.section_text("preview")
    assert "3 rows, 2 columns" in preview
    assert "Photo \u203a image \u2190 Photo.image" in preview
    assert page.is_enabled("[data-test=run]")

    panel.set_option("retries", "0")
    panel.start_run("panel-photos")
    panel.wait_for_state("panel-photos", "done")
    card = panel.run_card("panel-photos")
    card.locator("[data-test=failures]").wait_for()
    failure = card.locator("[data-test=failures] li")
    assert failure.count() == 1
    failure_text = failure.first.inner_text()
    assert re.match(r"Row 2 \(p2\) failed in LoadImage \(node \d+\), 1 attempt: ", failure_text), failure_text
    assert "cannot identify image file" in failure_text
    assert "2 / 3 done - 1 failed" in card.locator("[data-test=run-stats]").inner_text()
    page.locator(TOAST, has_text="row 2 (p2) failed in LoadImage").wait_for()
    card.scroll_into_view_if_needed()
    panel.screenshot_panel(ARTIFACTS / "panel-failed-row.png")

    write_gradient_png(comfy.input_dir / "bad.png")
    card.locator("[data-test=retry-failed]").click()
    panel.wait_for_stats("panel-photos", "3 / 3 done")
    panel.wait_for_state("panel-photos", "done")
    card.locator("[data-test=failures]").wait_for(state="detached")
    assert card.locator("[data-test=retry-failed]").count() == 0
    assert (comfy.output_dir / "panel-photos" / "p2.png").is_file()


def test_cancel_paused_run_after_confirm(page, comfy):
    panel = PanelDriver(page, comfy)
    panel.load_demo_workflow()
    panel.open()
    panel.choose_source(DEMO_CSV)
    panel.set_option("limit", "2")
    panel.start_run("panel-cancel")
    panel.wait_for_state("panel-cancel", "paused")
    card = panel.run_card("panel-cancel")
    assert card.locator("[data-test=resume]").is_visible()

    card.locator("[data-test=cancel]").click()
    dialog = page.locator(DIALOG, has_text='Cancel run "panel-cancel"?')
    # 1.32.9 names the button with aria-label. 1.58.1 names it by its text, after an icon glyph that is part of the name.
    dialog.get_by_role("button", name=re.compile(r"\bConfirm$")).click()

    panel.wait_for_state("panel-cancel", "cancelled")
    assert "2 / 12 done" in card.locator("[data-test=run-stats]").inner_text()
    assert card.locator("[data-test=resume]").count() == 0
    assert card.locator("[data-test=cancel]").count() == 0


def test_upload_chooses_and_previews_file(page, comfy):
    demo_lines = (EXAMPLES / DEMO_CSV).read_text().splitlines()
    content = "\n".join(demo_lines[:4]) + "\n"
    panel = PanelDriver(page, comfy)
    panel.load_demo_workflow()
    panel.open()

    page.set_input_files("[data-test=upload-input]", files=[
        {"name": "uploaded_jobs.csv", "mimeType": "text/csv", "buffer": content.encode()}])
    page.wait_for_function("() => document.querySelector('#batch-runner-source').value === 'uploaded_jobs.csv'")
    panel.wait_for_preview()

    assert (comfy.input_dir / "uploaded_jobs.csv").read_text() == content
    assert "3 rows, 10 columns" in panel.section_text("preview")
    assert page.is_enabled("[data-test=run]")
