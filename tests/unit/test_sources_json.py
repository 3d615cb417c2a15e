"""JSON job lists, jobs with defaults, and JSONL: scalars as exact text, errors located."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from batch_runner.ids import content_id
from batch_runner.problems import BatchValidationError, Problem
from batch_runner.sources import SourceOptions, load_source


def write(folder: Path, name: str, data: str | bytes) -> Path:
    path = folder / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def problems_of(path: Path, options: SourceOptions | None = None) -> list[Problem]:
    with pytest.raises(BatchValidationError) as raised:
        load_source(path, options)
    return raised.value.problems


def test_list_of_jobs(tmp_path: Path) -> None:
    path = write(tmp_path, "jobs.json", json.dumps([{"id": "a", "prompt": "a fox"}, {"id": "b", "prompt": "a cat"}]))

    source = load_source(path)

    assert [(row.number, row.id, row.values) for row in source] == [
        (1, "a", {"id": "a", "prompt": "a fox"}),
        (2, "b", {"id": "b", "prompt": "a cat"}),
    ]
    assert source.info.format == "json"
    assert source.info.columns == ("id", "prompt")
    assert source.info.encoding == "utf-8"


def test_scalars_become_exact_text(tmp_path: Path) -> None:
    text = (
        '[{"id": 4, "seed": 18446744073709551615, "cfg": 7.50, "tiny": 1e-7,'
        ' "big": 1.5e300, "hires": true, "flip": false, "note": null, "name": "Ærø"}]'
    )

    [row] = list(load_source(write(tmp_path, "jobs.json", text)))

    assert row.id == "4"
    assert row.values == {
        "id": "4",
        "seed": "18446744073709551615",
        "cfg": "7.5",
        "tiny": "1e-07",
        "big": "1.5e+300",
        "hires": "true",
        "flip": "false",
        "note": "",
        "name": "Ærø",
    }


def test_columns_are_union_in_first_seen_order(tmp_path: Path) -> None:
    path = write(tmp_path, "jobs.json", json.dumps([{"id": "a", "prompt": "x"}, {"id": "b", "seed": 3, "prompt": "y"}]))

    source = load_source(path)

    assert source.info.columns == ("id", "prompt", "seed")
    assert [row.values for row in source] == [
        {"id": "a", "prompt": "x", "seed": ""},
        {"id": "b", "prompt": "y", "seed": "3"},
    ]


def test_defaults_are_overridden_per_job(tmp_path: Path) -> None:
    document = {
        "defaults": {"negative": "blurry", "cfg": 7, "steps": 30},
        "jobs": [{"id": "a", "prompt": "x"}, {"id": "b", "prompt": "y", "cfg": 5.5, "negative": None}],
    }

    source = load_source(write(tmp_path, "jobs.json", json.dumps(document)))

    assert source.info.columns == ("negative", "cfg", "steps", "id", "prompt")
    assert [row.values for row in source] == [
        {"negative": "blurry", "cfg": "7", "steps": "30", "id": "a", "prompt": "x"},
        {"negative": "", "cfg": "5.5", "steps": "30", "id": "b", "prompt": "y"},
    ]


def test_derived_ids_without_id_key(tmp_path: Path) -> None:
    source = load_source(write(tmp_path, "jobs.json", json.dumps([{"prompt": "a fox"}, {"prompt": "a fox"}])))

    base = content_id({"prompt": "a fox"})
    assert [row.id for row in source] == [base, f"{base}-2"]


def test_nested_values_name_job_and_key(tmp_path: Path) -> None:
    document = {"jobs": [{"id": "a", "lora": {"name": "x"}}, {"id": "b", "tags": ["a", "b"]}]}

    problems = problems_of(write(tmp_path, "jobs.json", json.dumps(document)))

    assert [(problem.row, problem.column) for problem in problems] == [(1, "lora"), (2, "tags")]
    assert problems[0].message.startswith("jobs[0], key 'lora': a nested object is not a cell value")
    assert problems[1].message.startswith("jobs[1], key 'tags': a list is not a cell value")
    assert problems[1].value == '["a", "b"]'


def test_nested_default_reported_once(tmp_path: Path) -> None:
    document = {"defaults": {"extra": [1]}, "jobs": [{"id": "a"}, {"id": "b"}]}

    problems = problems_of(write(tmp_path, "jobs.json", json.dumps(document)))

    assert len(problems) == 1
    assert problems[0].message.startswith("defaults, key 'extra'")


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_non_finite_numbers_rejected(tmp_path: Path, literal: str) -> None:
    problems = problems_of(write(tmp_path, "jobs.json", f'[{{"id": "a", "cfg": {literal}}}]'))

    assert problems[0].column == "cfg"
    assert f"{literal} is not a finite number" in problems[0].message


def test_invalid_json_names_line_and_column(tmp_path: Path) -> None:
    problems = problems_of(write(tmp_path, "jobs.json", '[\n  {"id": "a"},\n  {"id": "b",}\n]\n'))

    assert problems[0].message.startswith("invalid JSON on line 3, column 14:")


def test_job_that_is_not_an_object(tmp_path: Path) -> None:
    problems = problems_of(write(tmp_path, "jobs.json", '[{"id": "a"}, "b"]'))

    assert problems[0].row == 2
    assert "[1] must be an object" in problems[0].message


def test_unknown_key_next_to_jobs(tmp_path: Path) -> None:
    problems = problems_of(write(tmp_path, "jobs.json", '{"defualts": {}, "jobs": [{"id": "a"}]}'))

    assert problems[0].column == "defualts"
    assert problems[0].allowed == "defaults, jobs"


@pytest.mark.parametrize("text", ['{"rows": []}', "42", '"jobs"'])
def test_unsupported_shape(tmp_path: Path, text: str) -> None:
    problems = problems_of(write(tmp_path, "jobs.json", text))

    assert "none of the supported shapes" in problems[0].message


def test_json_with_bom(tmp_path: Path) -> None:
    source = load_source(write(tmp_path, "jobs.json", b'\xef\xbb\xbf[{"id": "a"}]'))

    assert [row.id for row in source] == ["a"]


def test_json_must_be_unicode(tmp_path: Path) -> None:
    problems = problems_of(write(tmp_path, "jobs.json", '[{"id": "café"}]'.encode("cp1252")))

    assert "not valid UTF-8: byte 0xE9 on line 1" in problems[0].message


def test_id_problems_in_json(tmp_path: Path) -> None:
    text = '[{"id": "a", "prompt": "x"}, {"id": "", "prompt": "y"}, {"id": "a", "prompt": "z"}]'

    problems = problems_of(write(tmp_path, "jobs.json", text))


    assert [(problem.row, problem.value) for problem in problems] == [(2, ""), (3, "a")]


def test_empty_job_list(tmp_path: Path) -> None:
    assert "lists no jobs" in problems_of(write(tmp_path, "jobs.json", "[]"))[0].message
    assert "have no keys" in problems_of(write(tmp_path, "jobs.json", "[{}]"))[0].message


# JSONL


def test_jsonl_lines_and_blank_lines(tmp_path: Path) -> None:
    text = '{"id": "a", "seed": 18446744073709551615}\n\n   \n{"id": "b", "prompt": "x\\ny"}\r\n'

    source = load_source(write(tmp_path, "jobs.jsonl", text))

    assert source.info.format == "json"
    assert [row.values for row in source] == [
        {"id": "a", "seed": "18446744073709551615", "prompt": ""},
        {"id": "b", "seed": "", "prompt": "x\ny"},
    ]


def test_jsonl_keeps_unicode_line_separators_inside_strings(tmp_path: Path) -> None:
    text = '{"id": "a", "prompt": "one\u2028two\u0085three"}\n'

    [row] = list(load_source(write(tmp_path, "jobs.jsonl", text)))

    assert row.values["prompt"] == "one\u2028two\u0085three"


def test_jsonl_reports_every_bad_line(tmp_path: Path) -> None:
    text = '{"id": "a"}\n{"id": \n\n[1, 2]\n{"id": "d", "x": {}}\n'

    problems = problems_of(write(tmp_path, "jobs.jsonl", text))

    assert len(problems) == 2
    assert problems[0].message.startswith("invalid JSON on line 2, column")
    assert problems[1].message.startswith("line 4 must be a JSON object")


def test_jsonl_nested_value_names_line(tmp_path: Path) -> None:
    problems = problems_of(write(tmp_path, "jobs.jsonl", '{"id": "a"}\n\n{"id": "b", "x": {}}\n'))

    assert problems[0].message.startswith("line 3, key 'x': a nested object")
    assert problems[0].row == 2
