"""The preview route: exact resolved values for every format and shape, and one report of all problems."""

from __future__ import annotations

import json

import pytest
from openpyxl import Workbook

from batch_runner.client import ApiError

from support import write_rows

ROWS = [
    {"id": "004", "subject": "a cat's toy, on a rug", "seed": "18446744073709551615", "size": "64"},
    {"id": "005", "subject": 'a sign that says "OPEN"', "seed": "-1", "size": "96"},
]


def graph(source: str, template: str = "photo of {subject}") -> dict:
    return {
        "1": {"class_type": "BatchRunnerSource", "inputs": {"file": source, "row": 1, "id_column": "id"}},
        "2": {"class_type": "BatchRunnerTemplate", "_meta": {"title": "Prompt"},
              "inputs": {"row": ["1", 0], "template": template}},
        "3": {"class_type": "BatchRunnerField", "inputs": {"row": ["1", 0], "column": "size"}},
        "4": {"class_type": "EmptyImage", "_meta": {"title": "Canvas"},
              "inputs": {"width": ["3", 1], "height": 64, "batch_size": 1, "color": 0x336699}},
        "5": {"class_type": "ImageCompositeMasked", "inputs": {"destination": ["4", 0], "source": ["4", 0],
                                                               "x": 8, "y": 8, "resize_source": False}},
        "6": {"class_type": "BatchRunnerSave", "inputs": {"images": ["5", 0], "row": ["1", 0], "subfolder": "",
                                                          "name": "{id}", "format": "png", "quality": 90,
                                                          "prompt_text": ["2", 0]}},
    }


def write_source(folder, kind: str) -> str:
    if kind == "csv":
        write_rows(folder / "jobs.csv", ROWS)
        return "jobs.csv"
    if kind == "tsv":
        lines = ["\t".join(ROWS[0])] + ["\t".join(row.values()) for row in ROWS]
        (folder / "jobs.tsv").write_text("\n".join(lines).replace('"OPEN"', '"OPEN"') + "\n", encoding="utf-8")
        return "jobs.tsv"
    if kind == "xlsx":
        book = Workbook()
        sheet = book.active
        sheet.append(list(ROWS[0]))
        for row in ROWS:
            sheet.append(list(row.values()))
        book.save(folder / "jobs.xlsx")
        return "jobs.xlsx"
    if kind == "json":
        (folder / "jobs.json").write_text(json.dumps(ROWS))
        return "jobs.json"
    if kind == "json-defaults":
        jobs = [{key: value for key, value in row.items() if key != "size"} for row in ROWS]
        jobs[1]["size"] = "96"
        (folder / "defaults.json").write_text(json.dumps({"defaults": {"size": "64"}, "jobs": jobs}))
        return "defaults.json"
    if kind == "jsonl":
        (folder / "jobs.jsonl").write_text("\n".join(json.dumps(row) for row in ROWS) + "\n")
        return "jobs.jsonl"
    raise ValueError(kind)


@pytest.mark.parametrize("kind", ["csv", "tsv", "xlsx", "json", "json-defaults", "jsonl"])
def test_preview_resolves_exact_values(shared_server, client, kind):
    source = write_source(shared_server.input_dir, kind)

    preview = client.preview(graph(source), limit=5)

    assert preview["error_count"] == 0, preview["problems"]
    assert preview["count"] == 2
    jobs = preview["jobs"]
    assert [job["row_id"] for job in jobs] == ["004", "005"]
    assert jobs[0]["values"]["seed"] == "18446744073709551615"
    inputs = [{(entry["node"], entry["input"]): entry["value"] for entry in job["inputs"]} for job in jobs]
    assert inputs[0][("Prompt", "template")] == "photo of a cat's toy, on a rug"
    assert inputs[1][("Prompt", "template")] == 'photo of a sign that says "OPEN"'
    assert inputs[0][("Canvas", "width")] == 64
    assert inputs[1][("Canvas", "width")] == 96


def test_preview_of_template_set(shared_server, client):
    (shared_server.input_dir / "set.json").write_text(json.dumps({
        "template": "professional photo of {product} on {background}",
        "variables": {"product": ["mug", "vase"], "background": ["oak", "marble", "linen"]},
        "combinations": "all",
    }))
    prompt = graph("set.json", template="{prompt}")
    prompt["3"]["inputs"]["column"] = "product"
    prompt["4"]["inputs"]["width"] = 64

    preview = client.preview(prompt, limit=10)

    assert preview["count"] == 6
    texts = [entry["value"] for job in preview["jobs"] for entry in job["inputs"] if entry["node"] == "Prompt"]
    assert texts[0] == "professional photo of mug on oak"
    assert sorted(texts) == sorted(f"professional photo of {p} on {b}"
                                   for p in ("mug", "vase") for b in ("oak", "marble", "linen"))
    assert len({job["row_id"] for job in preview["jobs"]}) == 6


def test_many_bad_rows_in_one_report(shared_server, client):
    rows = [dict(row) for row in ROWS * 3]
    for index, row in enumerate(rows):
        row["id"] = f"r{index + 1}"
    rows[1]["size"] = "0"          # below EmptyImage's minimum width of 1
    rows[3]["size"] = "wide"       # not a number
    rows[4]["seed"] = "18446744073709551616"  # above 2**64 - 1
    rows[5]["id"] = "r1"           # duplicate ID
    write_rows(shared_server.input_dir / "many_bad.csv", rows)

    with pytest.raises(ApiError) as raised:
        client.start_run(graph("many_bad.csv"), "many-bad")

    problems = raised.value.body["problems"]
    located = {(p.get("row"), p.get("column")) for p in problems}
    assert raised.value.status == 400
    assert (2, "size") in located
    assert (4, "size") in located
    assert (5, "seed") in located
    assert any("r1" in json.dumps(p) and "duplicate" in p["message"].lower() for p in problems), problems
    assert not (shared_server.output_dir / "many-bad").exists()


def test_unknown_placeholder_names_each_row(shared_server, client):
    write_rows(shared_server.input_dir / "typo.csv", ROWS)

    preview = client.preview(graph("typo.csv", template="photo of {subjct}, {red|blue}"))

    errors = [p for p in preview["problems"] if p["severity"] == "error"]
    assert {p["row"] for p in errors} == {1, 2}
    assert all(p["column"] == "subjct" for p in errors)
