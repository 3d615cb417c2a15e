"""Names from hostile and awkward row values, saved through a real ComfyUI: safe, confined, traceable."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from PIL import Image

CASES = Path(__file__).resolve().parents[1] / "unit" / "data"


def graph(source: str, subfolder: str) -> dict:
    return {
        "1": {"class_type": "BatchRunnerSource", "inputs": {"file": source, "row": 1, "id_column": "id"}},
        "2": {"class_type": "EmptyImage", "inputs": {"width": 48, "height": 48, "batch_size": 1, "color": 0x224466}},
        "3": {"class_type": "EmptyImage", "inputs": {"width": 16, "height": 16, "batch_size": 1, "color": 0xEEDD00}},
        "4": {"class_type": "ImageCompositeMasked",
              "inputs": {"destination": ["2", 0], "source": ["3", 0], "x": 4, "y": 4, "resize_source": False}},
        "5": {"class_type": "BatchRunnerTemplate", "inputs": {"row": ["1", 0], "template": "{prompt}"}},
        "6": {"class_type": "BatchRunnerSave", "inputs": {"images": ["4", 0], "row": ["1", 0], "subfolder": subfolder,
                                                          "name": "{id}", "format": "png", "quality": 90,
                                                          "prompt_text": ["5", 0]}},
    }


def manifest(run_dir: Path) -> dict[str, dict]:
    records = {}
    for line in (run_dir / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        records[record["row_id"]] = record
    return records


def files_under(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def run_case(server, client, case: str, subfolder: str) -> Path:
    shutil.copyfile(CASES / case / "jobs.csv", server.input_dir / f"{case}.csv")
    client.start_run(graph(f"{case}.csv", subfolder), case)
    final = client.wait(case, timeout=120)
    assert final["state"] == "done", final
    assert final["counts"]["failed"] == 0
    return server.output_dir / case


def test_colon_in_id_gives_windows_safe_name(shared_server, client):
    run_dir = run_case(shared_server, client, "name-colon", "")

    record = manifest(run_dir)["(car:1.5), houses"]
    assert record["files"] == ["(car_1.5), houses.png"]
    with Image.open(run_dir / record["files"][0]) as image:
        assert image.size == (48, 48)


def test_long_ids_fit_and_stay_distinct(shared_server, client):
    run_dir = run_case(shared_server, client, "name-too-long", "")

    records = manifest(run_dir)
    names = [record["files"][0] for record in records.values()]
    assert len(records) >= 1
    assert len(set(names)) == len(names)
    for name in names:
        assert len(name.encode("utf-8")) <= 255
        assert name.endswith(".png")
        assert (run_dir / name).is_file()


def test_traversal_values_stay_inside_run_folder(shared_server, client):
    before = files_under(shared_server.base_dir)

    run_dir = run_case(shared_server, client, "name-traversal", "{style}")

    records = manifest(run_dir)
    assert records["../../custom_nodes/evil/__init__"]["files"] == ["product/___.._custom_nodes_evil___init__.png"]
    assert records["lamp_01"]["files"] == ["___.._.._tmp/lamp_01.png"]
    created = files_under(shared_server.base_dir) - before
    outside = [name for name in created if not name.startswith("output/name-traversal/")
               and name != "input/name-traversal.csv" and not name.startswith("user/")
               and name != "comfyui.log"]
    assert outside == []
    assert not (shared_server.base_dir / "custom_nodes" / "evil").exists()
