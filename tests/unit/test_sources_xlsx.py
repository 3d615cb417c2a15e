"""XLSX sources: every cell as text without float guessing, sheet choice and layout quirks."""

from __future__ import annotations

import datetime
from pathlib import Path

import openpyxl
import pytest

from batch_runner.problems import BatchValidationError, Problem
from batch_runner.sources import SourceOptions, load_source


def workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def problems_of(path: Path, options: SourceOptions | None = None) -> list[Problem]:
    with pytest.raises(BatchValidationError) as raised:
        load_source(path, options)
    return raised.value.problems


def test_cells_become_exact_text(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "jobs.xlsx",
        {
            "Jobs": [
                ["id", "width", "cfg", "ratio", "upscale", "day", "at", "clock", "note", "code"],
                [
                    "004",
                    4.0,
                    7.5,
                    0.125,
                    True,
                    datetime.datetime(2024, 5, 1),
                    datetime.datetime(2024, 5, 1, 13, 45),
                    datetime.time(6, 30),
                    None,
                    1024,
                ],
                ["005", 768, 1e-05, 2.0, False, datetime.date(2023, 12, 31), None, None, "a fox", -3],
            ]
        },
    )

    source = load_source(path)
    rows = [row.values for row in source]

    assert rows[0] == {
        "id": "004",
        "width": "4",
        "cfg": "7.5",
        "ratio": "0.125",
        "upscale": "true",
        "day": "2024-05-01",
        "at": "2024-05-01T13:45:00",
        "clock": "06:30:00",
        "note": "",
        "code": "1024",
    }
    assert rows[1] == {
        "id": "005",
        "width": "768",
        "cfg": "1e-05",
        "ratio": "2",
        "upscale": "false",
        "day": "2023-12-31",
        "at": "",
        "clock": "",
        "note": "a fox",
        "code": "-3",
    }
    assert [row.id for row in source] == ["004", "005"]
    assert source.info.format == "xlsx"
    assert source.info.sheet == "Jobs"
    assert source.info.encoding is None
    assert source.info.column_types["width"] == "int"
    assert source.info.column_types["cfg"] == "float"
    assert source.info.column_types["upscale"] == "bool"
    assert source.info.column_types["note"] == "text"


def test_large_whole_number_is_flagged_as_rounded(tmp_path: Path) -> None:
    path = workbook(tmp_path / "jobs.xlsx", {"Jobs": [["id", "seed"], ["a", 18446744073709551615.0], ["b", 42]]})

    source = load_source(path)
    seeds = [row.values["seed"] for row in source]

    # The file contains a rounded double; the exact digits depend on how openpyxl wrote it.
    assert seeds[0].isdigit()
    assert seeds[0] != "18446744073709551615"
    assert seeds[1] == "42"
    assert any(note.startswith("cells B2 hold whole numbers above 2**53") for note in source.info.notes)


def test_seed_stored_as_text_stays_exact(tmp_path: Path) -> None:
    path = workbook(tmp_path / "jobs.xlsx", {"Jobs": [["id", "seed"], ["a", "18446744073709551615"]]})

    source = load_source(path)

    assert [row.values["seed"] for row in source] == ["18446744073709551615"]
    assert source.info.notes == ()


def test_first_sheet_is_default(tmp_path: Path) -> None:
    path = workbook(tmp_path / "jobs.xlsx", {"First": [["id"], ["one"]], "Second": [["id"], ["two"]]})

    assert [row.id for row in load_source(path)] == ["one"]


def test_sheet_chosen_by_name(tmp_path: Path) -> None:
    path = workbook(tmp_path / "jobs.xlsx", {"First": [["id"], ["one"]], "Second": [["id"], ["two"]]})

    source = load_source(path, SourceOptions(sheet="Second"))

    assert [row.id for row in source] == ["two"]
    assert source.info.sheet == "Second"


def test_unknown_sheet_lists_sheet_names(tmp_path: Path) -> None:
    path = workbook(tmp_path / "jobs.xlsx", {"First": [["id"], ["one"]], "Second": [["id"], ["two"]]})

    problems = problems_of(path, SourceOptions(sheet="Third"))

    assert problems[0].value == "Third"
    assert problems[0].allowed == "First, Second"


def test_table_away_from_top_left_corner(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["C3"], sheet["D3"] = "id", "prompt"
    sheet["C4"], sheet["D4"] = "a", "a fox"
    sheet["C6"], sheet["D6"] = "b", "a cat"
    book.save(tmp_path / "jobs.xlsx")

    source = load_source(tmp_path / "jobs.xlsx")

    assert source.info.columns == ("id", "prompt")
    assert [(row.number, row.values) for row in source] == [
        (1, {"id": "a", "prompt": "a fox"}),
        (2, {"id": "b", "prompt": "a cat"}),
    ]


def test_values_beyond_header_are_reported(tmp_path: Path) -> None:
    path = workbook(tmp_path / "jobs.xlsx", {"Jobs": [["id", "prompt"], ["a", "x", "stray"], ["b", "y"]]})

    problems = problems_of(path)

    assert [(problem.row, problem.value) for problem in problems] == [(1, "stray")]
    assert "delete them or add a column name" in problems[0].message


def test_duplicate_header_in_sheet(tmp_path: Path) -> None:
    path = workbook(tmp_path / "jobs.xlsx", {"Jobs": [["id", "prompt", "prompt"], ["a", "x", "y"]]})

    assert problems_of(path)[0].column == "prompt"


def test_derived_ids_match_csv(tmp_path: Path) -> None:
    path = workbook(tmp_path / "jobs.xlsx", {"Jobs": [["prompt", "seed"], ["a fox", 7]]})
    (tmp_path / "jobs.csv").write_text("prompt,seed\na fox,7\n", encoding="utf-8")

    assert [row.id for row in load_source(path)] == [row.id for row in load_source(tmp_path / "jobs.csv")]


def test_empty_sheet(tmp_path: Path) -> None:
    path = workbook(tmp_path / "jobs.xlsx", {"Jobs": []})

    assert "is empty" in problems_of(path)[0].message


def test_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "jobs.xlsx"
    path.write_bytes(b"id,prompt\na,b\n")

    assert "not a readable XLSX workbook" in problems_of(path)[0].message
