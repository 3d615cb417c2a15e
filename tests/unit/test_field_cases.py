"""Inputs that broke batch tools in the field, each checked for its exact right behaviour."""

from __future__ import annotations

from pathlib import Path

from batch_runner.ids import content_id
from batch_runner.seeds import parse_seed, seed_problems
from batch_runner.sources import load_source
from batch_runner.templates import render, template_problems

DATA = Path(__file__).parent / "data"


def test_csv_bom_header_is_clean(tmp_path: Path) -> None:
    path = DATA / "csv-bom" / "jobs.csv"
    without_mark = tmp_path / "jobs.csv"
    without_mark.write_bytes(path.read_bytes().removeprefix(b"\xef\xbb\xbf"))

    source = load_source(path)
    rows = list(source)

    assert source.info.columns == ("name", "prompt")
    assert [row.values for row in rows] == [
        {"name": "sneaker_01", "prompt": "white sneaker on concrete"},
        {"name": "sneaker_02", "prompt": "red sneaker on grass"},
    ]
    assert [(row.id, row.values) for row in rows] == [(row.id, row.values) for row in load_source(without_mark)]


def test_csv_cp1252_decoded_and_announced() -> None:
    source = load_source(DATA / "csv-cp1252" / "jobs.csv")

    assert [row.values for row in source] == [
        {"id": "cake_01", "prompt": "slice of Schwarzwälder Kirschtorte on a plate… close-up"},
        {"id": "cake_02", "prompt": "crème brûlée in a ramekin"},
    ]
    assert source.info.encoding == "cp1252"
    assert source.info.notes[0].startswith("decoded as Windows-1252 because the file is not valid UTF-8")


def test_csv_multiline_quoted_field() -> None:
    rows = list(load_source(DATA / "csv-multiline" / "jobs.csv"))

    assert [(row.number, row.id) for row in rows] == [(1, "mug_01"), (2, "mug_02")]
    assert rows[0].values == {
        "id": "mug_01",
        "prompt": "studio photo of a ceramic mug\non a walnut table, soft light",
        "negative": "blurry, low quality",
    }
    assert rows[1].values == {"id": "mug_02", "prompt": "studio photo of a travel mug on slate", "negative": "blurry"}


def test_identical_rows_get_distinct_ids(tmp_path: Path) -> None:
    path = DATA / "identical-rows" / "jobs.csv"
    no_id_column = tmp_path / "jobs.csv"
    no_id_column.write_text("prompt,seed\na blue bowl,7\na blue bowl,7\n", encoding="utf-8")

    with_ids = list(load_source(path))
    derived = list(load_source(no_id_column))

    assert [row.id for row in with_ids] == ["bowl_a", "bowl_b"]
    assert [row.values for row in with_ids] == [
        {"id": "bowl_a", "prompt": "a blue bowl", "seed": "7"},
        {"id": "bowl_b", "prompt": "a blue bowl", "seed": "7"},
    ]
    base = content_id({"prompt": "a blue bowl", "seed": "7"})
    assert [row.id for row in derived] == [base, f"{base}-2"]


def test_prompt_quotes_exact() -> None:
    rows = list(load_source(DATA / "prompt-quotes" / "jobs.csv"))

    assert [(row.id, row.values["prompt"]) for row in rows] == [
        ("toy_01", "a cat's toy on a rug"),
        ("toy_02", "a ladybird on a leaf"),
        ("toy_03", 'a sign that says "OPEN"'),
    ]


def test_seed_large_exact_and_out_of_range() -> None:
    path = DATA / "seed-large" / "jobs.csv"
    source = load_source(path)
    rows = list(source)

    assert [parse_seed(row.values["seed"]) for row in rows[:3]] == [4294967296, 112358132141, 18446744073709551615]
    assert source.info.column_types["seed"] == "int"

    problems = seed_problems(rows, "seed", file=str(path))

    assert len(problems) == 1
    assert problems[0].row == 4
    assert problems[0].row_id == "s4"
    assert problems[0].column == "seed"
    assert problems[0].value == "18446744073709551616"
    assert (problems[0].allowed or "").startswith("0 to 18446744073709551615")


def test_template_braces_pass_through() -> None:
    template = "{subject} holding a {cat|dog}, (soft light:1.2)"

    assert render(template, {"subject": "a girl"}) == "a girl holding a {cat|dog}, (soft light:1.2)"
    assert render("{{subject}} is {subject}", {"subject": "a girl"}) == "{subject} is a girl"

    problems = template_problems("{subjet} holding a {cat|dog}", {"subject"}, file="jobs.csv", row=1, row_id="g1")
    assert [(problem.row, problem.row_id, problem.value) for problem in problems] == [(1, "g1", "subjet")]
