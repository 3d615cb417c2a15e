"""Row ids from an id column (trimmed, non-empty, unique) and ids derived from row content."""

from __future__ import annotations

import re

import pytest

from batch_runner.ids import DerivedIds, content_id, derived_ids, find_id_column, ids_from_column
from batch_runner.problems import BatchValidationError


def test_id_column_keeps_text_exactly() -> None:
    assert ids_from_column(["004", " bowl_a ", "Ä-1"], "id") == ["004", "bowl_a", "Ä-1"]


def test_id_problems_listed_together() -> None:
    with pytest.raises(BatchValidationError) as raised:
        ids_from_column(["a", "", "b", "a", "  ", "b", "a"], "sku", file="jobs.csv")

    problems = raised.value.problems
    assert len(problems) == 4
    blank_rows = [problem.row for problem in problems if problem.value == ""]
    assert blank_rows == [2, 5]
    duplicate_a = next(problem for problem in problems if problem.value == "a")
    assert duplicate_a.row == 4
    assert duplicate_a.column == "sku"
    assert duplicate_a.file == "jobs.csv"
    assert "rows 1, 4, 7" in duplicate_a.message
    duplicate_b = next(problem for problem in problems if problem.value == "b")
    assert "rows 3, 6" in duplicate_b.message


def test_ids_that_differ_only_by_spaces_are_duplicates() -> None:
    with pytest.raises(BatchValidationError) as raised:
        ids_from_column(["x", " x"], "id")

    assert [problem.value for problem in raised.value.problems] == ["x"]


def test_find_id_column_prefers_exact_name() -> None:
    assert find_id_column(["ID", "id", "prompt"], "id") == "id"


def test_find_id_column_ignores_case_when_unambiguous() -> None:
    assert find_id_column(["ID", "prompt"], "id") == "ID"
    assert find_id_column(["Id", "ID", "prompt"], "id") is None
    assert find_id_column(["prompt"], "id") is None


def test_content_id_shape_and_stability() -> None:
    row_id = content_id({"prompt": "a fox", "seed": "7"})

    assert re.fullmatch(r"r-[0-9a-f]{12}", row_id)
    assert row_id == content_id({"seed": "7", "prompt": "a fox"})


def test_content_id_known_value() -> None:
    # Pinned: a change to the hashing would make resumed runs redo every row.
    assert content_id({"prompt": "a fox", "seed": "7"}) == "r-c84f0039666e"


def test_content_id_ignores_empty_cells() -> None:
    assert content_id({"prompt": "a fox", "style": ""}) == content_id({"prompt": "a fox"})


def test_content_id_changes_with_any_value() -> None:
    assert content_id({"prompt": "a fox"}) != content_id({"prompt": "a fox "})
    assert content_id({"a": "bc"}) != content_id({"ab": "c"})


def test_identical_rows_get_numbered_suffixes_in_file_order() -> None:
    same = {"prompt": "a blue bowl", "seed": "7"}
    other = {"prompt": "a red bowl", "seed": "7"}

    ids = derived_ids([same, other, same, same])

    base = content_id(same)
    assert ids == [base, content_id(other), f"{base}-2", f"{base}-3"]


def test_reordering_rows_keeps_their_ids() -> None:
    rows = [{"prompt": f"item {number}"} for number in range(5)]

    forward = dict(zip((row["prompt"] for row in rows), derived_ids(rows)))
    backward = dict(zip((row["prompt"] for row in reversed(rows)), derived_ids(list(reversed(rows)))))

    assert forward == backward


def test_derived_ids_are_unique_for_many_rows() -> None:
    assigner = DerivedIds()
    ids = [assigner.next_id({"n": str(number % 1000)}) for number in range(3000)]

    assert len(set(ids)) == 3000
