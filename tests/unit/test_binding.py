"""Binding rows to a graph: field nodes, templates, "<node title>.<input>" columns and seeds."""

from __future__ import annotations

import json

from batch_runner.binding import plan_batch
from batch_runner.catalog import node_spec_from_input_types
from batch_runner.rows import Row
from batch_runner.run_options import RunOptions, SeedMode

NODE_TYPES = {
    "KSampler": {"required": {
        "seed": ("INT", {"default": 0, "min": 0, "max": 0xFFFFFFFFFFFFFFFF}),
        "steps": ("INT", {"default": 20, "min": 1, "max": 10000}),
        "cfg": ("FLOAT", {"default": 8.0, "min": 0.0, "max": 100.0}),
        "sampler_name": (["euler", "euler_ancestral", "dpmpp_2m"],),
    }},
    "CheckpointLoaderSimple": {"required": {"ckpt_name": (["sd15.safetensors", "sdxl.safetensors"],)}},
    "LoadImage": {"required": {"image": (["a.png"], {"image_upload": True})}},
    "BatchRunnerSource": {"required": {"file": (["jobs.csv"],), "row": ("INT", {"min": 1})}},
    "BatchRunnerField": {"required": {"row": ("BATCH_ROW",), "column": ("STRING", {})}},
    "BatchRunnerTemplate": {"required": {"row": ("BATCH_ROW",), "template": ("STRING", {})}},
}


class DictCatalog:
    def node_spec(self, class_type):
        declared = NODE_TYPES.get(class_type)
        return node_spec_from_input_types(class_type, declared) if declared else None


def graph() -> dict:
    return {
        "1": {"class_type": "BatchRunnerSource", "inputs": {"file": "jobs.csv", "row": 1}},
        "2": {"class_type": "CheckpointLoaderSimple", "_meta": {"title": "Model"},
              "inputs": {"ckpt_name": "sd15.safetensors"}},
        "3": {"class_type": "KSampler", "_meta": {"title": "Sampler"},
              "inputs": {"seed": 5, "steps": 20, "cfg": 7.0, "sampler_name": "euler"}},
        "4": {"class_type": "BatchRunnerField", "inputs": {"row": ["1", 0], "column": "steps"}},
        "5": {"class_type": "BatchRunnerTemplate", "inputs": {"row": ["1", 0], "template": "a {subject}, {a|b}"}},
    }


def plan(columns, prompt=None, **options):
    built = graph() if prompt is None else prompt
    built["3"]["inputs"]["steps"] = ["4", 1]
    return plan_batch(built, tuple(columns), DictCatalog(), RunOptions(**options))


def test_title_columns_bind_and_convert():
    batch_plan, problems = plan(["id", "steps", "subject", "Model.ckpt_name", "Sampler.cfg"])
    row = Row(1, "r1", {"id": "r1", "steps": "30", "subject": "cat", "Model.ckpt_name": "sdxl.safetensors",
                        "Sampler.cfg": "4.5"})

    prompt = batch_plan.build_prompt(row, None, {"run": "test", "count": 1})

    assert problems == []
    assert batch_plan.check_row(row) == []
    assert prompt["2"]["inputs"]["ckpt_name"] == "sdxl.safetensors"
    assert prompt["3"]["inputs"]["cfg"] == 4.5
    payload = json.loads(prompt["1"]["inputs"]["batch_row"])
    assert payload["values"]["subject"] == "cat"
    assert payload["id"] == "r1"
    assert payload["run"] == "test"


def test_bad_values_report_row_column():
    batch_plan, _ = plan(["id", "steps", "subject", "Model.ckpt_name", "Sampler.sampler_name", "Sampler.cfg"])
    row = Row(7, "r7", {"id": "r7", "steps": "0", "subject": "dog", "Model.ckpt_name": "sd16.safetensors",
                        "Sampler.sampler_name": "eulr", "Sampler.cfg": "high"})

    problems = {p.column: p for p in batch_plan.check_row(row)}

    assert set(problems) == {"steps", "Model.ckpt_name", "Sampler.sampler_name", "Sampler.cfg"}
    assert all(p.row == 7 and p.row_id == "r7" for p in problems.values())
    assert problems["steps"].value == "0"
    assert "minimum 1" in problems["steps"].message
    assert "'sd15.safetensors'" in problems["Model.ckpt_name"].allowed
    assert "did you mean 'euler'" in problems["Sampler.sampler_name"].message
    assert problems["Sampler.cfg"].value == "high"


def test_unknown_input_and_ambiguous_title_are_errors():
    prompt = graph()
    prompt["6"] = {"class_type": "KSampler", "_meta": {"title": "Sampler"},
                   "inputs": {"seed": 1, "steps": 1, "cfg": 1.0, "sampler_name": "euler"}}
    _, problems = plan(["id", "steps", "subject", "Model.ckpt", "Sampler.cfg"], prompt=prompt)

    messages = [p.message for p in problems]
    assert any("has no input 'ckpt'" in m for m in messages)
    assert any("2 nodes are titled 'Sampler'" in m for m in messages)


def test_node_id_reference_and_plain_data_column():
    batch_plan, problems = plan(["id", "steps", "subject", "3.steps", "price.usd"])

    assert [binding.node_id for binding in batch_plan.column_bindings] == ["3"]
    assert [p.severity.value for p in problems] == ["warning", "warning"]


def test_template_placeholder_without_column_names_row():
    batch_plan, _ = plan(["id", "steps"])
    [problem] = batch_plan.check_row(Row(3, "r3", {"id": "r3", "steps": "20"}))

    assert problem.row == 3
    assert problem.column == "subject"
    assert "{{subject}}" in problem.allowed


def test_seed_column_range_is_checked():
    batch_plan, _ = plan(["id", "steps", "subject", "seed"])
    values = {"id": "s", "steps": "1", "subject": "fox"}

    assert batch_plan.check_row(Row(1, "s1", {**values, "seed": "18446744073709551615"})) == []
    assert batch_plan.check_row(Row(2, "s2", {**values, "seed": "-1"})) == []
    assert batch_plan.check_row(Row(3, "s3", {**values, "seed": ""})) == []
    [problem] = batch_plan.check_row(Row(4, "s4", {**values, "seed": "18446744073709551616"}))
    assert problem.column == "seed"
    assert "18446744073709551615" in problem.allowed


def test_seed_without_column_sets_seed_widgets():
    batch_plan, _ = plan(["id", "steps", "subject"], seed_mode=SeedMode.DERIVED)
    prompt = batch_plan.build_prompt(Row(1, "r", {"id": "r", "steps": "2", "subject": "x"}), 2**64 - 1,
                                     {"run": "t", "count": 1})

    assert batch_plan.seed_targets == [("3", "seed")]
    assert prompt["3"]["inputs"]["seed"] == 18446744073709551615


def test_seed_column_gets_chosen_seed():
    batch_plan, _ = plan(["id", "steps", "subject", "seed"])
    prompt = batch_plan.build_prompt(Row(1, "r", {"id": "r", "steps": "2", "subject": "x", "seed": "-1"}), 42,
                                     {"run": "t", "count": 1})

    assert json.loads(prompt["1"]["inputs"]["batch_row"])["values"]["seed"] == "42"
    assert prompt["3"]["inputs"]["seed"] == 5


def test_input_image_must_stay_inside_input_folder(tmp_path):
    (tmp_path / "input").mkdir()
    (tmp_path / "input" / "ok.png").write_bytes(b"x")
    (tmp_path / "secret.png").write_bytes(b"x")
    prompt = {"1": {"class_type": "BatchRunnerSource", "inputs": {"file": "jobs.csv", "row": 1}},
              "2": {"class_type": "LoadImage", "_meta": {"title": "Ref"}, "inputs": {"image": "a.png"}}}
    batch_plan, _ = plan_batch(prompt, ("id", "Ref.image"), DictCatalog(), RunOptions(), tmp_path / "input")

    def check(value):
        return batch_plan.check_row(Row(1, "r", {"id": "r", "Ref.image": value}))

    assert check("ok.png") == []
    assert "outside" in check("../secret.png")[0].message
    assert "outside" in check(str(tmp_path / "secret.png"))[0].message
    assert "not found" in check("missing.png")[0].message
