"""Run engine behaviour against a real ComfyUI: retries, timeouts, pause, cancel, limits and checks."""

from __future__ import annotations

import json
import time
import urllib.request
import uuid

import pytest
from PIL import Image

from batch_runner.client import BatchClient

from support import EXAMPLES, copy_example, run_async, write_rows


def load_image_graph(source: str) -> dict:
    """Source -> LoadImage (its image set per row by the column 'Reference.image') -> batch saver."""
    return {
        "1": {"class_type": "BatchRunnerSource", "_meta": {"title": "Jobs"},
              "inputs": {"file": source, "row": 1, "id_column": "id"}},
        "2": {"class_type": "LoadImage", "_meta": {"title": "Reference"}, "inputs": {"image": "good_1.png"}},
        "3": {"class_type": "BatchRunnerSave", "_meta": {"title": "Save"},
              "inputs": {"images": ["2", 0], "row": ["1", 0], "subfolder": "", "name": "{id}",
                         "format": "png", "quality": 95}},
    }


def demo_graph(source: str) -> dict:
    prompt = json.loads((EXAMPLES / "batch_demo_api.json").read_text())
    prompt["1"]["inputs"]["file"] = source
    return prompt


def demo_rows(count: int = 12, size: int = 256) -> list[dict]:
    rows = []
    styles = ["studio", "lifestyle", "flatlay"]
    for index in range(1, count + 1):
        rows.append({"id": f"item-{index:03d}", "prompt": f"product {index}", "negative": "", "style": styles[index % 3],
                     "color": f"#{(index * 40) % 256:02x}8040", "accent": "#203040", "width": str(size),
                     "height": str(size), "blur": "3", "seed": str(index)})
    return rows


def write_gradient(path, seed: int) -> None:
    image = Image.new("RGB", (64, 64))
    image.putdata([((x * 4 + seed) % 256, (y * 4) % 256, (x + y + seed) % 256) for y in range(64) for x in range(64)])
    image.save(path)


def history(url: str) -> dict:
    with urllib.request.urlopen(url + "/history") as response:
        return json.loads(response.read())


def wait_for(predicate, timeout: float = 120, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(interval)


def test_failing_row_is_retried_then_run_continues(shared_server, client):
    for index in (1, 2, 4, 5):
        write_gradient(shared_server.input_dir / f"good_{index}.png", index)
    (shared_server.input_dir / "broken.png").write_text("this is not an image")
    write_rows(shared_server.input_dir / "refs.csv",
               [{"id": f"r{index}", "Reference.image": "broken.png" if index == 3 else f"good_{index}.png"}
                for index in range(1, 6)])

    client.start_run(load_image_graph("refs.csv"), "row-fails", {"retries": 2, "retry_delay": 0.1})
    final = client.wait("row-fails", timeout=120)

    assert final["state"] == "done"
    assert final["counts"]["done"] == 4
    assert final["counts"]["failed"] == 1
    [failed] = final["failed_rows"]
    assert failed["row_id"] == "r3"
    assert failed["attempts"] == 3
    assert failed["error"]["node_id"] == "2"
    assert failed["error"]["node_type"] == "LoadImage"
    assert failed["error"]["message"]
    run_dir = shared_server.output_dir / "row-fails"
    assert sorted(p.name for p in run_dir.glob("*.png") if not p.name.startswith("_contact_sheet")) == \
        ["r1.png", "r2.png", "r4.png", "r5.png"]

    write_gradient(shared_server.input_dir / "broken.png", 3)
    retried = client.control("row-fails", "retry-failed")
    assert retried["retried"] == 1
    again = client.wait("row-fails", timeout=120)
    assert again["state"] == "done"
    assert again["counts"]["done"] == 5
    assert again["counts"]["failed"] == 0
    manifest = [json.loads(line) for line in (run_dir / "manifest.jsonl").read_text().splitlines()]
    assert [record["row_id"] for record in manifest if record["status"] == "done"].count("r3") == 1
    assert [record["row_id"] for record in manifest].count("r1") == 1


def test_timeout_interrupts_only_the_slow_job(shared_server, client):
    rows = demo_rows(3)
    rows[0].update(width="2048", height="2048", blur="31")
    write_rows(shared_server.input_dir / "slow_first.csv", rows)

    client.start_run(demo_graph("slow_first.csv"), "timeouts", {"timeout": 0.5, "retries": 0})
    final = client.wait("timeouts", timeout=300)

    assert final["state"] == "done"
    assert final["counts"]["failed"] == 1
    assert final["counts"]["done"] == 2
    [failed] = final["failed_rows"]
    assert failed["row_id"] == "item-001"
    assert failed["error"]["type"] == "timeout"
    assert "timed out after 0.5 s" in failed["error"]["message"]


def test_pause_stops_feeding_and_resume_finishes(shared_server, client):
    write_rows(shared_server.input_dir / "pausable.csv", demo_rows(10, size=1024))
    client.start_run(demo_graph("pausable.csv"), "pausable")
    wait_for(lambda: client.run("pausable")["counts"]["done"] >= 2)

    paused = client.control("pausable", "pause")
    assert paused["state"] == "paused"
    wait_for(lambda: client.run("pausable")["counts"]["queued"] == 0, timeout=60)
    settled = client.run("pausable")["counts"]["done"]
    time.sleep(1.0)
    assert client.run("pausable")["counts"]["done"] == settled
    assert settled < 10

    client.control("pausable", "resume")
    final = client.wait("pausable", timeout=300)
    assert final["state"] == "done"
    assert final["counts"]["done"] == 10


def test_cancel_removes_queued_jobs(shared_server, client):
    write_rows(shared_server.input_dir / "cancel.csv", demo_rows(10, size=1024))
    client.start_run(demo_graph("cancel.csv"), "cancel-me")
    wait_for(lambda: client.run("cancel-me")["counts"]["done"] >= 1)

    client.control("cancel-me", "cancel", {"interrupt": True})
    final = client.wait("cancel-me", timeout=60)

    assert final["state"] == "cancelled"
    assert final["counts"]["failed"] == 0
    assert final["counts"]["done"] < 10
    assert final["counts"]["pending"] == 10 - final["counts"]["done"]
    with urllib.request.urlopen(shared_server.url + "/queue") as response:
        queue = json.loads(response.read())
    assert queue["queue_pending"] == []


def test_limit_pauses_after_first_jobs(shared_server, client):
    write_rows(shared_server.input_dir / "first_n.csv", demo_rows(6))
    client.start_run(demo_graph("first_n.csv"), "first-n", {"limit": 2})

    paused = client.wait("first-n", until={"paused", "done"}, timeout=120)
    assert paused["state"] == "paused"
    assert paused["counts"]["done"] == 2
    assert "first 2" in paused["note"]

    client.control("first-n", "resume")
    final = client.wait("first-n", timeout=120)
    assert final["counts"]["done"] == 6


def test_user_prompt_runs_between_batch_jobs(shared_server, client):
    write_rows(shared_server.input_dir / "shared_queue.csv", demo_rows(8, size=1024))
    client.start_run(demo_graph("shared_queue.csv"), "shared-queue")
    wait_for(lambda: client.run("shared-queue")["counts"]["done"] >= 1)

    user_prompt = {"1": {"class_type": "EmptyImage", "inputs": {"width": 32, "height": 32, "batch_size": 1,
                                                                 "color": 123456}},
                   "2": {"class_type": "PreviewImage", "inputs": {"images": ["1", 0]}}}
    request = urllib.request.Request(shared_server.url + "/prompt", method="POST",
                                     data=json.dumps({"prompt": user_prompt,
                                                      "client_id": uuid.uuid4().hex}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        user_prompt_id = json.loads(response.read())["prompt_id"]

    wait_for(lambda: user_prompt_id in history(shared_server.url), timeout=60)
    during = client.run("shared-queue")
    final = client.wait("shared-queue", timeout=300)

    assert during["state"] == "running"
    assert during["counts"]["done"] < 8
    assert final["counts"]["done"] == 8
    # The engine removes its own prompts from ComfyUI's in-memory history once recorded.
    assert list(history(shared_server.url)) == [user_prompt_id]


def test_identical_rows_each_get_their_file(shared_server, client):
    source = shared_server.input_dir / "identical.csv"
    source.write_text("id,prompt,seed\nbowl_a,a blue bowl,7\nbowl_b,a blue bowl,7\n")
    graph = {
        "1": {"class_type": "BatchRunnerSource", "inputs": {"file": "identical.csv", "row": 1, "id_column": "id"}},
        "2": {"class_type": "EmptyImage", "inputs": {"width": 64, "height": 64, "batch_size": 1, "color": 255}},
        "3": {"class_type": "ImageCompositeMasked",
              "inputs": {"destination": ["2", 0], "source": ["4", 0], "x": 8, "y": 8, "resize_source": False}},
        "4": {"class_type": "EmptyImage", "inputs": {"width": 16, "height": 16, "batch_size": 1, "color": 0xFF0000}},
        "5": {"class_type": "BatchRunnerTemplate", "inputs": {"row": ["1", 0], "template": "{prompt}"}},
        "6": {"class_type": "BatchRunnerSave",
              "inputs": {"images": ["3", 0], "row": ["1", 0], "subfolder": "", "name": "{id}",
                         "format": "png", "quality": 95, "prompt_text": ["5", 0]}},
    }

    client.start_run(graph, "identical")
    final = client.wait("identical", timeout=60)

    assert final["counts"]["done"] == 2
    run_dir = shared_server.output_dir / "identical"
    records = {json.loads(line)["row_id"]: json.loads(line)
               for line in (run_dir / "manifest.jsonl").read_text().splitlines()}
    assert records["bowl_a"]["files"] == ["bowl_a.png"]
    assert records["bowl_b"]["files"] == ["bowl_b.png"]
    assert records["bowl_b"]["prompt_text"] == "a blue bowl"
    assert (run_dir / "bowl_a.png").is_file()
    assert (run_dir / "bowl_b.png").is_file()


@pytest.mark.parametrize("retry_suspects", [False, True])
def test_black_image_is_flagged_suspect(shared_server, client, retry_suspects):
    copy_example(shared_server)
    graph = demo_graph("batch_demo_products.csv")
    graph["7"]["inputs"]["color"] = 0
    graph["5"]["inputs"]["color"] = 0
    name = f"black-{retry_suspects}"

    client.start_run(graph, name, {"retry_suspects": retry_suspects, "retries": 1, "retry_delay": 0.05,
                                   "limit": 2})
    final = client.wait(name, until={"paused", "done", "failed"}, timeout=120)

    assert final["counts"]["suspect"] == 2
    assert final["counts"]["done"] == 0
    rows = client.run(name)["failed_rows"]
    assert {row["status"] for row in rows} == {"suspect"}
    assert all("flat" in row["error"]["message"] or "black" in row["error"]["message"] for row in rows)
    assert {row["attempts"] for row in rows} == ({2} if retry_suspects else {1})


def test_contact_sheet_and_csv_manifest_written(shared_server, client):
    copy_example(shared_server)
    client.start_run(demo_graph("batch_demo_products.csv"), "review")
    client.wait("review", timeout=120)
    run_dir = shared_server.output_dir / "review"

    wait_for(lambda: (run_dir / "_contact_sheet.png").exists(), timeout=30)
    for style in ("studio", "lifestyle", "flatlay"):
        wait_for(lambda: (run_dir / style / "_contact_sheet.png").exists(), timeout=30)
    manifest_csv = BatchClient(shared_server.url).get_text("/batch-runner/runs/review/manifest?format=csv")
    lines = manifest_csv.strip().splitlines()
    assert lines[0].startswith("row,row_id,status")
    assert len(lines) == 13
    assert lines[1].startswith("1,mug-001,done,1,101,studio/mug-001.png,")


def test_two_runs_share_the_executor(shared_server, client):
    write_rows(shared_server.input_dir / "share_a.csv", demo_rows(6, size=768))
    write_rows(shared_server.input_dir / "share_b.csv", demo_rows(6, size=768))
    client.start_run(demo_graph("share_a.csv"), "share-a")
    client.start_run(demo_graph("share_b.csv"), "share-b")

    client.wait("share-a", timeout=300)
    client.wait("share-b", timeout=300)

    def spans(name):
        lines = (shared_server.output_dir / name / "manifest.jsonl").read_text().splitlines()
        return sorted((record["started_at"], record["finished_at"]) for record in map(json.loads, lines))

    first_a, first_b = spans("share-a"), spans("share-b")
    # Interleaved: each run started its second job before the other run finished its last.
    assert first_a[1][0] < first_b[-1][1]
    assert first_b[1][0] < first_a[-1][1]


def test_scheduled_run_waits_for_its_start_time(shared_server, client):
    from datetime import datetime, timedelta, timezone

    copy_example(shared_server)
    start_at = (datetime.now(timezone.utc) + timedelta(seconds=3)).isoformat()

    started = client.start_run(demo_graph("batch_demo_products.csv"), "scheduled", {"start_at": start_at})
    assert started["state"] == "scheduled"
    time.sleep(1.0)
    assert client.run("scheduled")["counts"]["done"] == 0

    final = client.wait("scheduled", timeout=120)
    assert final["state"] == "done"
    assert final["started_at"] >= datetime.fromisoformat(start_at).timestamp() - 0.5


def test_progress_reaches_the_browser_over_websocket(shared_server, client):
    import asyncio

    import aiohttp

    copy_example(shared_server)
    events: list[dict] = []

    async def listen() -> None:
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(shared_server.url + "/ws?clientId=" + uuid.uuid4().hex) as socket:
                await asyncio.get_running_loop().run_in_executor(
                    None, lambda: client.start_run(demo_graph("batch_demo_products.csv"), "watched"))
                async for message in socket:
                    if message.type != aiohttp.WSMsgType.TEXT:
                        continue
                    data = json.loads(message.data)
                    if data["type"].startswith("batch-runner."):
                        events.append(data)
                        if data["data"]["event"] == "finished":
                            return

    run_async(asyncio.wait_for, listen(), 120)

    kinds = [event["data"]["event"] for event in events]
    assert kinds[0] == "started"
    assert kinds[-1] == "finished"
    assert kinds.count("job") == 12
    final = events[-1]["data"]["run"]
    assert final["counts"]["done"] == 12
    assert final["state"] == "done"
    progress = [event for event in events if event["type"] == "batch-runner.progress"]
    assert progress and all("eta_seconds" in event["data"]["run"] for event in progress)
