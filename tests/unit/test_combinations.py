"""Template sets: lazy combinations, stable ids, zip and listed modes, matrices with a rows file."""

from __future__ import annotations

import itertools
import json
import time
import tracemalloc
from pathlib import Path

import pytest

from batch_runner.problems import BatchValidationError, Problem
from batch_runner.sources import (
    CombinationSource,
    SourceOptions,
    Variable,
    build_template_set,
    combination_id,
    load_source,
)


def write_set(folder: Path, spec: object, name: str = "set.json") -> Path:
    path = folder / name
    path.write_text(json.dumps(spec), encoding="utf-8")
    return path


def problems_of(path: Path, options: SourceOptions | None = None) -> list[Problem]:
    with pytest.raises(BatchValidationError) as raised:
        load_source(path, options)
    return raised.value.problems


PRODUCT_SET = {
    "template": "professional photo of {product} on {background}, {soft|hard} light",
    "variables": {"product": ["mug", "bag"], "background": ["desk", "beach", "snow"]},
    "combinations": "all",
}


def test_all_combinations_in_order(tmp_path: Path) -> None:
    source = load_source(write_set(tmp_path, PRODUCT_SET))
    rows = list(source)

    assert isinstance(source, CombinationSource)
    assert len(source) == 6
    assert [row.number for row in rows] == [1, 2, 3, 4, 5, 6]
    assert [(row.values["product"], row.values["background"]) for row in rows] == [
        ("mug", "desk"),
        ("mug", "beach"),
        ("mug", "snow"),
        ("bag", "desk"),
        ("bag", "beach"),
        ("bag", "snow"),
    ]
    assert rows[1].values == {
        "product": "mug",
        "background": "beach",
        "prompt": "professional photo of mug on beach, {soft|hard} light",
    }
    assert source.info.columns == ("product", "background", "prompt")
    assert source.info.column_types == {"product": "text", "background": "text", "prompt": "text"}
    assert source.info.format == "json"
    assert "template set: 2 × 3 (all combinations)" in source.info.notes


def test_combinations_default_to_all(tmp_path: Path) -> None:
    spec = {key: value for key, value in PRODUCT_SET.items() if key != "combinations"}

    assert len(load_source(write_set(tmp_path, spec))) == 6


def test_combination_id_known_value() -> None:
    # Pinned: a change would make resumed runs redo every combination.
    assert combination_id([("product", "mug"), ("background", "desk")]) == "c-d408473ef3fef299"
    assert combination_id([("background", "desk"), ("product", "mug")]) == "c-d408473ef3fef299"


def test_ids_are_stable_and_unique(tmp_path: Path) -> None:
    rows = list(load_source(write_set(tmp_path, PRODUCT_SET)))

    assert rows[0].id == combination_id([("product", "mug"), ("background", "desk")])
    assert len({row.id for row in rows}) == 6
    assert [row.id for row in rows] == [row.id for row in load_source(write_set(tmp_path, PRODUCT_SET))]


def test_ids_survive_other_values_changing(tmp_path: Path) -> None:
    before = {
        (row.values["product"], row.values["background"]): row.id
        for row in load_source(write_set(tmp_path, PRODUCT_SET, "before.json"))
    }
    changed = dict(PRODUCT_SET, variables={"product": ["lamp", "bag", "mug"], "background": ["snow", "desk", "beach"]})
    after = {
        (row.values["product"], row.values["background"]): row.id
        for row in load_source(write_set(tmp_path, changed, "after.json"))
    }

    assert all(after[key] == row_id for key, row_id in before.items())


def test_ids_survive_template_edit(tmp_path: Path) -> None:
    edited = dict(PRODUCT_SET, template="photo of {product} on {background}")

    before = [row.id for row in load_source(write_set(tmp_path, PRODUCT_SET, "a.json"))]
    after = [row.id for row in load_source(write_set(tmp_path, edited, "b.json"))]

    assert before == after


def test_variable_values_become_text(tmp_path: Path) -> None:
    spec = {"template": "{n} at {cfg}", "variables": {"n": [1, 18446744073709551615], "cfg": 7.5, "hires": [True]}}

    source = load_source(write_set(tmp_path, spec))

    assert [row.values for row in source] == [
        {"n": "1", "cfg": "7.5", "hires": "true", "prompt": "1 at 7.5"},
        {"n": "18446744073709551615", "cfg": "7.5", "hires": "true", "prompt": "18446744073709551615 at 7.5"},
    ]
    assert source.info.column_types == {"n": "int", "cfg": "float", "hires": "bool", "prompt": "text"}


def test_zip_pairs_lists(tmp_path: Path) -> None:
    spec = {"template": "{a}-{b}", "variables": {"a": ["1", "2", "3"], "b": ["x", "y", "z"]}, "combinations": "zip"}

    source = load_source(write_set(tmp_path, spec))

    assert len(source) == 3
    assert [row.values["prompt"] for row in source] == ["1-x", "2-y", "3-z"]
    assert "template set: 3 (lists zipped)" in source.info.notes


def test_zip_needs_equal_lengths(tmp_path: Path) -> None:
    spec = {"template": "{a}-{b}", "variables": {"a": ["1", "2", "3"], "b": ["x", "y"]}, "combinations": "zip"}

    problems = problems_of(write_set(tmp_path, spec))

    assert "a: 3, b: 2" in problems[0].message


def test_listed_combinations(tmp_path: Path) -> None:
    chosen = [{"product": "bag", "background": "snow"}, {"background": "desk", "product": "mug"}]
    spec = dict(PRODUCT_SET, combinations=chosen)

    rows = list(load_source(write_set(tmp_path, spec)))

    assert [row.values["prompt"] for row in rows] == [
        "professional photo of bag on snow, {soft|hard} light",
        "professional photo of mug on desk, {soft|hard} light",
    ]
    assert rows[1].id == combination_id([("product", "mug"), ("background", "desk")])


def test_listed_combination_problems(tmp_path: Path) -> None:
    spec = dict(
        PRODUCT_SET,
        combinations=[
            {"product": "mug"},
            {"product": "cup", "background": "desk"},
            {"product": "mug", "background": "desk", "colour": "red"},
            {"product": "bag", "background": "snow"},
            {"product": "bag", "background": "snow"},
        ],
    )

    problems = problems_of(write_set(tmp_path, spec))
    located = [(problem.row, problem.column, problem.value) for problem in problems]

    assert located == [(1, "background", None), (2, "product", "cup"), (3, "colour", None), (5, None, None)]
    assert "combination 5 repeats combination 4" in problems[3].message
    assert problems[1].allowed == "'mug', 'bag'"


def test_listed_combination_that_is_not_object(tmp_path: Path) -> None:
    spec = dict(PRODUCT_SET, combinations=[{"product": "mug", "background": "desk"}, "mug"], template="{nope}")

    problems = problems_of(write_set(tmp_path, spec))

    assert [(problem.row, problem.column, problem.value) for problem in problems] == [
        (2, "combinations", '"mug"'),
        (None, "template", "nope"),
    ]


def test_unknown_combinations_mode(tmp_path: Path) -> None:
    problems = problems_of(write_set(tmp_path, dict(PRODUCT_SET, combinations="every")))

    assert problems[0].value == "every"
    assert "'all', 'zip'" in (problems[0].allowed or "")


def test_unknown_placeholder_is_named(tmp_path: Path) -> None:
    problems = problems_of(write_set(tmp_path, dict(PRODUCT_SET, template="{product} on {backgorund}")))

    assert [problem.value for problem in problems] == ["backgorund"]
    assert "{backgorund}" in problems[0].message


def test_variable_named_prompt_rejected(tmp_path: Path) -> None:
    spec = {"template": "{prompt}", "variables": {"prompt": ["a"]}}

    problems = problems_of(write_set(tmp_path, spec))

    assert any(problem.column == "prompt" and "may not be named 'prompt'" in problem.message for problem in problems)


def test_variable_problems(tmp_path: Path) -> None:
    spec = {"template": "{a} {b} {c}", "variables": {"a": [], "b": ["x", "x"], "c": [{"k": 1}]}, "extra": 1}

    problems = problems_of(write_set(tmp_path, spec))
    messages = [problem.message for problem in problems]

    assert any("unknown key 'extra'" in message for message in messages)
    assert any(message.startswith("variables.c[0]: a nested object") for message in messages)
    assert any("variable 'a' has no values" in message for message in messages)
    assert any("variable 'b' lists 'x' more than once" in message for message in messages)
    assert len(problems) == 4


def test_template_must_be_text(tmp_path: Path) -> None:
    problems = problems_of(write_set(tmp_path, {"template": ["a"], "variables": {"a": ["x"]}}))

    assert [problem.column for problem in problems] == ["template"]


# Matrix with a rows file


def test_matrix_crosses_rows_with_combinations(tmp_path: Path) -> None:
    (tmp_path / "products.csv").write_text("id,product\nm1,mug\nb1,bag\n", encoding="utf-8")
    spec = {
        "template": "{product} ({id}) in {light} light",
        "variables": {"light": ["soft", "hard"]},
        "rows": "products.csv",
    }

    source = load_source(write_set(tmp_path, spec))
    rows = list(source)

    assert len(source) == 4
    assert source.info.columns == ("id", "product", "light", "prompt")
    assert [row.values["prompt"] for row in rows] == [
        "mug (m1) in soft light",
        "mug (m1) in hard light",
        "bag (b1) in soft light",
        "bag (b1) in hard light",
    ]
    assert rows[0].id == "m1~" + combination_id([("light", "soft")])
    assert "crossed with 2 row(s)" in source.info.notes[-1]


def test_matrix_passes_on_rows_file_notes(tmp_path: Path) -> None:
    (tmp_path / "rows.csv").write_bytes("id,subject\nr1,crème\n".encode("cp1252"))
    spec = {"template": "{subject}, {style}", "variables": {"style": ["ink"]}, "rows": "rows.csv"}

    source = load_source(write_set(tmp_path, spec))

    assert [row.values["prompt"] for row in source] == ["crème, ink"]
    assert source.info.encoding == "utf-8"
    assert source.info.notes[0].startswith(f"{tmp_path / 'rows.csv'}: decoded as Windows-1252")


def test_matrix_rows_file_may_be_json(tmp_path: Path) -> None:
    (tmp_path / "rows.json").write_text('[{"id": "r1", "subject": "fox"}]', encoding="utf-8")
    spec = {"template": "{subject}, {style}", "variables": {"style": ["ink"]}, "rows": "rows.json"}

    assert [row.values["prompt"] for row in load_source(write_set(tmp_path, spec))] == ["fox, ink"]


def test_matrix_column_conflicts(tmp_path: Path) -> None:
    (tmp_path / "rows.csv").write_text("id,light,prompt\n1,dim,x\n", encoding="utf-8")
    spec = {"template": "{light}", "variables": {"light": ["soft"]}, "rows": "rows.csv"}

    problems = problems_of(write_set(tmp_path, spec))

    assert {problem.column for problem in problems} == {"light", "prompt"}


def test_matrix_rows_file_problems_are_reported(tmp_path: Path) -> None:
    spec = {"template": "{light} {product}", "variables": {"light": ["soft"], "none": []}, "rows": "missing.csv"}

    problems = problems_of(write_set(tmp_path, spec))

    assert problems[0].file == str(tmp_path / "missing.csv")
    assert "file not found" in problems[0].message
    assert "variable 'none' has no values" in problems[1].message
    assert len(problems) == 2


def test_rows_file_may_not_be_template_set(tmp_path: Path) -> None:
    write_set(tmp_path, {"template": "{x}", "variables": {"x": ["1"]}, "rows": "outer.json"}, "inner.json")
    outer = write_set(tmp_path, {"template": "{y}", "variables": {"y": ["2"]}, "rows": "inner.json"}, "outer.json")

    problems = problems_of(outer)

    assert "itself a template set" in problems[0].message


# Size, laziness and the cap


def test_cap_checked_before_expanding(tmp_path: Path) -> None:
    values = [str(index) for index in range(1000)]
    spec = {"template": "{a}{b}{c}", "variables": {"a": values, "b": values, "c": values}}
    path = write_set(tmp_path, spec)

    start = time.perf_counter()
    problems = problems_of(path)
    elapsed = time.perf_counter() - start

    assert "makes 1,000,000,000 jobs (1000 × 1000 × 1000 (all combinations))" in problems[0].message
    assert "raise the option max_jobs" in problems[0].message
    assert elapsed < 2


def test_million_combinations_are_lazy(tmp_path: Path) -> None:
    values = [str(index) for index in range(100)]
    spec = {"template": "{a}/{b}/{c}", "variables": {"a": values, "b": values, "c": values}}
    source = load_source(write_set(tmp_path, spec), SourceOptions(max_jobs=1_000_000))

    assert len(source) == 1_000_000

    tracemalloc.start()
    rows = iter(source)
    first = next(rows)
    after_first, _ = tracemalloc.get_traced_memory()
    consumed = 1 + sum(1 for _ in itertools.islice(rows, 99_999))
    after_many, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    assert first.values["prompt"] == "0/0/0"
    assert consumed == 100_000
    # Holding every row would take hundreds of MiB; a lazy iterator stays flat.
    assert after_many - after_first < 64 * 1024
    assert peak < 1024 * 1024


def test_last_combination_without_expanding(tmp_path: Path) -> None:
    source = build_template_set(
        "{a}{b}", [Variable("a", ("x", "y")), Variable("b", ("1", "2", "3"))], "all", file="inline"
    )

    *_, last = source

    assert (last.number, last.values["prompt"]) == (6, "y3")


def test_build_template_set_directly() -> None:
    source = build_template_set(
        "photo of {product}", [Variable("product", ("mug", "bag"))], [{"product": "bag"}], file="node"
    )

    assert [row.values for row in source] == [{"product": "bag", "prompt": "photo of bag"}]
    assert source.info.path == "node"


def test_coverage_rows_hold_every_value():
    from batch_runner.sources import Variable, build_template_set

    source = build_template_set("{a} {b}", [Variable("a", ("1", "2", "3")), Variable("b", ("x", "y"))])

    covered = list(source.coverage_rows())

    assert len(covered) == 3
    assert {row.values["a"] for row in covered} == {"1", "2", "3"}
    assert {row.values["b"] for row in covered} == {"x", "y"}
    assert {row.id for row in covered} <= {row.id for row in source}
