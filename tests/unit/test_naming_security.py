"""Output paths never leave the run folder, whatever a row, a run name or a pattern contains."""

from __future__ import annotations

import csv
import os
from datetime import datetime
from pathlib import Path

import pytest

from batch_runner.naming import (
    NamingContext,
    OutputPathError,
    PatternError,
    ensure_inside,
    output_relative_path,
    resolve_output_path,
)
from batch_runner.rows import Row

DATA = Path(__file__).parent / "data"

# Values that would leave a folder, name a device, or hide a separator if used raw.
ESCAPE_VALUES = [
    "../../x",
    "..",
    ".",
    "a/../b",
    "/etc/x",
    "/",
    "..\\..\\x",
    "\\",
    "a\x00b",
    "C:\\x",
    "C:x",
    "\\\\server\\share\\x",
    "//server/share/x",
    "\\\\?\\C:\\x",
    "~/x",
    "$HOME/x",
    "%2e%2e%2fx",
    "\uff0e\uff0e\uff0fx",  # fullwidth "../"
    "../" * 40 + "x" * 300,
    "x/" * 200,
]


def make_context(row_id: str = "r1", run_name: str = "run", seed: int | str | None = 1,
                 **values: str) -> NamingContext:
    return NamingContext(
        row=Row(1, row_id, {"id": row_id, **values}),
        run_name=run_name,
        job_count=1,
        started_at=datetime(2026, 1, 2, 3, 4, 5),
        seed=seed,
    )


def files_outside(root: Path, run_dir: Path) -> list[Path]:
    """Return every file or folder under ROOT that is neither RUN_DIR, inside it, nor on the way to it."""
    allowed = {run_dir, *run_dir.parents}
    strays = []
    for folder, folder_names, file_names in os.walk(root):
        for name in [*folder_names, *file_names]:
            path = Path(folder) / name
            if path not in allowed and run_dir not in path.parents:
                strays.append(path)
    return strays


def save_and_check(root: Path, subfolder: str, name: str, context: NamingContext) -> Path:
    run_dir = root / "output" / "run"
    run_dir.mkdir(parents=True, exist_ok=True)

    path = resolve_output_path(run_dir, subfolder, name, context, "png")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"image")

    assert run_dir in path.parents
    assert Path(os.path.realpath(path)).is_relative_to(os.path.realpath(run_dir))
    assert files_outside(root, run_dir) == []
    return path.relative_to(run_dir)


@pytest.mark.parametrize("value", ESCAPE_VALUES)
def test_row_id_stays_one_component(tmp_path: Path, value: str) -> None:
    relative = save_and_check(tmp_path, "", "{id}", make_context(row_id=value))

    assert len(relative.parts) == 1


@pytest.mark.parametrize("value", ESCAPE_VALUES)
def test_subfolder_column_stays_one_component(tmp_path: Path, value: str) -> None:
    relative = save_and_check(tmp_path, "{style}", "{id}", make_context(style=value))

    assert len(relative.parts) == 2
    assert relative.name == "r1.png"


@pytest.mark.parametrize("value", ESCAPE_VALUES)
def test_name_column_stays_one_component(tmp_path: Path, value: str) -> None:
    relative = save_and_check(tmp_path, "fixed", "{prompt:255}_{index}", make_context(prompt=value))

    assert len(relative.parts) == 2
    assert relative.parts[0] == "fixed"


@pytest.mark.parametrize("value", ESCAPE_VALUES)
def test_run_name_stays_one_component(tmp_path: Path, value: str) -> None:
    relative = save_and_check(tmp_path, "{run}", "{id}", make_context(run_name=value))

    assert len(relative.parts) == 2


@pytest.mark.parametrize("value", ESCAPE_VALUES)
def test_seed_text_stays_one_component(tmp_path: Path, value: str) -> None:
    relative = save_and_check(tmp_path, "", "{seed}", make_context(seed=value))

    assert len(relative.parts) == 1


@pytest.mark.parametrize("value", ESCAPE_VALUES)
def test_value_in_nested_name_pattern_stays_one_component(tmp_path: Path, value: str) -> None:
    relative = save_and_check(tmp_path, "{style}/{style}", "{style}/{id}_{style}", make_context(style=value))

    assert len(relative.parts) == 4


@pytest.mark.parametrize("value, expected", [
    ("../../x", "___.._x.png"),
    ("..", "__.png"),
    (".", "_.png"),
    ("a/../b", "a_.._b.png"),
    ("/etc/x", "_etc_x.png"),
    ("..\\..\\x", "___.._x.png"),
    ("a\x00b", "a_b.png"),
    ("C:\\x", "C__x.png"),
    ("\\\\server\\share\\x", "__server_share_x.png"),
    ("\\\\?\\C:\\x", "____C__x.png"),
    ("~/x", "~_x.png"),
])
def test_unsafe_value_becomes_exact_name(value: str, expected: str) -> None:
    relative = output_relative_path("", "{id}", make_context(row_id=value), "png")

    assert relative.as_posix() == expected


def test_traversal_case_rows_get_exact_paths(tmp_path: Path) -> None:
    with open(DATA / "name-traversal" / "jobs.csv", encoding="utf-8", newline="") as source:
        rows = list(csv.DictReader(source))
    run_dir = tmp_path / "output" / "run"

    written = []
    for row in rows:
        context = make_context(row_id=row["id"], prompt=row["prompt"], style=row["style"])
        written.append(save_and_check(tmp_path, "{style}", "{id}", context).as_posix())

    assert written == ["product/___.._custom_nodes_evil___init__.png", "___.._.._tmp/lamp_01.png"]
    assert not (tmp_path / "output" / "custom_nodes").exists()
    assert not (tmp_path / "tmp").exists()
    assert sorted(path.relative_to(run_dir).as_posix() for path in run_dir.rglob("*.png")) == sorted(written)


@pytest.mark.parametrize("pattern", [
    "../x",
    "a/../../x",
    "..",
    "/abs",
    "/",
    "a\\..\\x",
    "..\\x",
    "\\\\server\\share",
    "C:\\x",
    ".../x",
])
def test_escaping_pattern_is_rejected(tmp_path: Path, pattern: str) -> None:
    with pytest.raises(PatternError):
        resolve_output_path(tmp_path, pattern, "{id}", make_context(), "png")
    with pytest.raises(PatternError):
        resolve_output_path(tmp_path, "", pattern + "/{id}", make_context(), "png")

    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("pattern, expected", [
    ("C:/x", "C_/x/r1.png"),
    ("./a/./b", "a/b/r1.png"),
    ("a..b/.x", "a..b/_x/r1.png"),
    ("a\x00b", "a_b/r1.png"),
])
def test_odd_but_harmless_pattern_stays_inside(tmp_path: Path, pattern: str, expected: str) -> None:
    relative = save_and_check(tmp_path, pattern, "{id}", make_context())

    assert relative.as_posix() == expected


def test_symlinked_folder_leading_outside_is_rejected(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    outside = tmp_path / "outside"
    run_dir.mkdir()
    outside.mkdir()
    (run_dir / "style").symlink_to(outside, target_is_directory=True)

    with pytest.raises(OutputPathError, match="outside the run folder"):
        resolve_output_path(run_dir, "{style}", "{id}", make_context(style="style"), "png")
    with pytest.raises(OutputPathError):
        resolve_output_path(run_dir, "style/deeper", "{id}", make_context(), "png")

    assert list(outside.iterdir()) == []


def test_symlinked_file_leading_outside_is_rejected(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    target = tmp_path / "outside.png"
    run_dir.mkdir()
    target.write_bytes(b"precious")
    (run_dir / "r1.png").symlink_to(target)

    with pytest.raises(OutputPathError):
        resolve_output_path(run_dir, "", "{id}", make_context(), "png")

    assert target.read_bytes() == b"precious"


def test_symlink_staying_inside_is_allowed(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    (run_dir / "real").mkdir(parents=True)
    (run_dir / "alias").symlink_to(run_dir / "real", target_is_directory=True)

    path = resolve_output_path(run_dir, "alias", "{id}", make_context(), "png")

    assert path == run_dir / "alias" / "r1.png"


def test_symlinked_run_folder_itself_is_allowed(tmp_path: Path) -> None:
    real_run = tmp_path / "disk" / "run"
    real_run.mkdir(parents=True)
    linked_run = tmp_path / "run"
    linked_run.symlink_to(real_run, target_is_directory=True)

    path = resolve_output_path(linked_run, "a", "{id}", make_context(), "png")

    assert path == linked_run / "a" / "r1.png"


def test_ensure_inside_rejects_sibling_with_common_prefix(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    run_dir.mkdir()

    with pytest.raises(OutputPathError):
        ensure_inside(run_dir, tmp_path / "run-other" / "x.png")
    with pytest.raises(OutputPathError):
        ensure_inside(run_dir, run_dir / ".." / "x.png")
    with pytest.raises(OutputPathError):
        ensure_inside(run_dir, run_dir)
    ensure_inside(run_dir, run_dir / "x.png")


def test_component_limits_hold_for_every_escape_value() -> None:
    for value in ESCAPE_VALUES:
        relative = output_relative_path("{style}", "{id}", make_context(row_id=value, style=value), "png")

        for part in relative.parts:
            assert part not in ("", ".", "..")
            assert "/" not in part
            assert "\\" not in part
            assert "\x00" not in part
            assert len(part.encode("utf-8")) <= 255
