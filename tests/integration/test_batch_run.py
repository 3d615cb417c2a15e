"""End to end against a real ComfyUI: rows in, named images with their workflow out, resumable."""

from __future__ import annotations

import csv
import json
import time
import urllib.request
from pathlib import Path

import pytest
from PIL import Image

from batch_runner.client import ApiError, BatchClient

from support import EXAMPLES, copy_example, write_rows

STYLES = {"studio", "lifestyle", "flatlay"}


def demo_prompt(source: str = "batch_demo_products.csv") -> dict:
    prompt = json.loads((EXAMPLES / "batch_demo_api.json").read_text())
    prompt["1"]["inputs"]["file"] = source
    return prompt


def demo_rows() -> list[dict]:
    with open(EXAMPLES / "batch_demo_products.csv", newline="", encoding="utf-8") as source:
        return list(csv.DictReader(source))


def row_images(run_dir: Path) -> list[Path]:
    return [path for path in run_dir.rglob("*.png") if not path.name.startswith(("_contact_sheet", "."))]


def read_checkpoint(run_dir: Path) -> list[str]:
    return [json.loads(line) for line in (run_dir / "checkpoint.txt").read_text().splitlines() if line.strip()]


def queue_is_empty(url: str) -> bool:
    with urllib.request.urlopen(url + "/queue") as response:
        queue = json.loads(response.read())
    return not queue["queue_running"] and not queue["queue_pending"]


def test_every_row_saves_named_image_with_workflow(shared_server, client):
    copy_example(shared_server)
    workflow = {"nodes": [], "links": [], "version": 0.4, "extra": {"marker": "demo-workflow"}}

    started = client.start_run(demo_prompt(), "catalog", workflow=workflow)
    final = client.wait(started["run_id"], timeout=300)

    rows = demo_rows()
    assert final["state"] == "done"
    assert final["counts"]["done"] == len(rows)
    assert final["counts"]["failed"] == 0
    run_dir = shared_server.output_dir / "catalog"
    for row in rows:
        image_path = run_dir / row["style"] / f"{row['id']}.png"
        assert image_path.is_file(), f"missing {image_path}"
        with Image.open(image_path) as image:
            assert image.size == (int(row["width"]), int(row["height"]))
            assert json.loads(image.info["workflow"]) == workflow
            prompt = json.loads(image.info["prompt"])
            carried = json.loads(prompt["1"]["inputs"]["batch_row"])
            assert carried["id"] == row["id"]
            assert carried["values"] == row
            assert json.loads(image.info["batch_row"])["id"] == row["id"]
    pngs = sorted(p.relative_to(run_dir).as_posix() for p in row_images(run_dir))
    assert len(pngs) == len(rows)
    assert {p.split("/")[0] for p in pngs} == STYLES
    assert sorted(read_checkpoint(run_dir)) == sorted(row["id"] for row in rows)


def test_rerun_with_same_name_skips_every_row(shared_server, client):
    copy_example(shared_server)
    first = client.start_run(demo_prompt(), "rerun")
    client.wait(first["run_id"], timeout=300)
    run_dir = shared_server.output_dir / "rerun"
    before = {p: p.stat().st_mtime_ns for p in row_images(run_dir)}

    second = client.start_run(demo_prompt(), "rerun")
    final = client.wait(second["run_id"], timeout=60)

    total = len(demo_rows())
    assert second["counts"]["skipped"] == total
    assert second["counts"]["queued"] == 0
    assert "already complete" in second["message"]
    assert final["state"] == "done"
    assert final["counts"]["done"] == 0
    assert {p: p.stat().st_mtime_ns for p in row_images(run_dir)} == before
    assert len(read_checkpoint(run_dir)) == total


def test_invalid_row_enqueues_nothing(shared_server, client):
    rows = (EXAMPLES / "batch_demo_products.csv").read_text().splitlines()
    fields = rows[5].split(",")
    fields[-2] = "99"  # blur radius above ImageBlur's maximum of 31, on data row 5
    rows[5] = ",".join(fields)
    (shared_server.input_dir / "bad_row5.csv").write_text("\n".join(rows) + "\n")

    with pytest.raises(ApiError) as raised:
        client.start_run(demo_prompt("bad_row5.csv"), "bad-batch")

    assert raised.value.status == 400
    problems = raised.value.body["problems"]
    assert any(p.get("row") == 5 and p.get("column") == "blur" and p.get("value") == "99" for p in problems), problems
    assert all(p.get("row") in (5, None) for p in problems)
    assert queue_is_empty(shared_server.url)
    assert not (shared_server.output_dir / "bad-batch").exists()


def test_restart_finishes_only_missing_rows(start_server, tmp_path):
    base = tmp_path / "restart"
    server = start_server(base)
    rows = demo_rows()
    # Large images make each job take long enough to stop the server mid-run.
    write_rows(server.input_dir / "slow.csv", [{**row, "width": "1536", "height": "1536"} for row in rows])
    prompt = demo_prompt("slow.csv")
    client = BatchClient(server.url)
    client.start_run(prompt, "restart")
    _wait_for_done_count(client, "restart", 3)
    server.stop()

    run_dir = base / "output" / "restart"
    done_before = set(read_checkpoint(run_dir))
    assert 0 < len(done_before) < len(rows)

    server = start_server(base)
    client = BatchClient(server.url)
    restored = client.run("restart")
    assert restored["state"] == "paused"
    again = client.start_run(prompt, "restart")
    assert again["counts"]["skipped"] == len(done_before)
    final = client.wait("restart", timeout=600)

    assert final["state"] == "done"
    assert final["counts"]["done"] == len(rows) - len(done_before)
    entries = read_checkpoint(run_dir)
    assert len(entries) == len(set(entries)) == len(rows)
    for row in rows:
        assert len(list(run_dir.glob(f"*/{row['id']}*.png"))) == 1


def _wait_for_done_count(client: BatchClient, run_id: str, count: int, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while client.run(run_id)["counts"]["done"] < count:
        assert time.monotonic() < deadline, "the run made no progress"
        time.sleep(0.1)


def test_sd15_example_validates_with_a_checkpoint_installed(shared_server, client):
    copy_example(shared_server)
    checkpoints = shared_server.base_dir / "models" / "checkpoints"
    checkpoints.mkdir(parents=True, exist_ok=True)
    (checkpoints / "v1-5-pruned-emaonly.safetensors").write_bytes(b"")
    prompt = json.loads((EXAMPLES / "batch_txt2img_sd15_api.json").read_text())

    preview = client.preview(prompt, limit=1)

    assert preview["error_count"] == 0, preview["problems"]
    assert preview["count"] == 12
    inputs = {(entry["node"], entry["input"]): entry["value"] for entry in preview["jobs"][0]["inputs"]}
    assert inputs[("KSampler", "seed")] == 101
    assert inputs[("Encode negative", "text")] == "blurry, low quality, text"
    assert inputs[("Positive prompt", "template")] == \
        "white ceramic mug on a walnut table, soft window light, studio product photography, high detail"


def test_missing_checkpoint_is_reported_before_queuing(shared_server, client):
    copy_example(shared_server)
    prompt = json.loads((EXAMPLES / "batch_txt2img_sd15_api.json").read_text())
    prompt["2"]["inputs"]["ckpt_name"] = "not-installed.safetensors"

    with pytest.raises(ApiError) as raised:
        client.start_run(prompt, "no-model")

    assert raised.value.status == 400
    messages = " ".join(problem["message"] for problem in raised.value.body["problems"])
    assert "Load Checkpoint" in messages
    assert "ckpt_name" in json.dumps(raised.value.body["problems"])
    assert queue_is_empty(shared_server.url)
