"""Grouping jobs by loader inputs so each model loads once, keeping file order otherwise."""

from __future__ import annotations

from batch_runner.binding import plan_batch
from batch_runner.ordering import order_jobs
from batch_runner.rows import Row
from batch_runner.run_options import Ordering, RunOptions

from test_binding import DictCatalog, graph


def rows(models):
    return [Row(i, f"r{i}", {"id": f"r{i}", "Model.ckpt_name": model, "steps": "1", "subject": "x"})
            for i, model in enumerate(models, start=1)]


def test_group_models_runs_each_model_back_to_back():
    options = RunOptions(ordering=Ordering.GROUP_MODELS)
    batch_plan, _ = plan_batch(graph(), ("id", "Model.ckpt_name", "steps", "subject"), DictCatalog(), options)
    jobs = rows(["a", "b", "a", "c", "b", "a"])

    ordered = order_jobs(batch_plan, jobs, options)

    assert [row.id for row in ordered] == ["r1", "r3", "r6", "r2", "r5", "r4"]


def test_file_order_is_kept_by_default():
    options = RunOptions()
    batch_plan, _ = plan_batch(graph(), ("id", "Model.ckpt_name", "steps", "subject"), DictCatalog(), options)
    jobs = rows(["a", "b", "a"])

    assert order_jobs(batch_plan, jobs, options) == jobs


def test_named_group_inputs_count():
    options = RunOptions(ordering=Ordering.GROUP_MODELS, group_inputs=["lora"])
    batch_plan, _ = plan_batch(graph(), ("id", "lora", "steps", "subject"), DictCatalog(), options)
    jobs = [Row(i, f"r{i}", {"id": f"r{i}", "lora": lora}) for i, lora in enumerate(["x", "y", "x"], start=1)]

    assert [row.id for row in order_jobs(batch_plan, jobs, options)] == ["r1", "r3", "r2"]
