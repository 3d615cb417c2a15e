"""The checkpoint survives crashes: torn entries, appended garbage, and IDs with any characters."""

from __future__ import annotations

import json
import logging

from batch_runner.storage.checkpoint import CHECKPOINT_FILE, Checkpoint


def write_entries(run_dir, ids):
    Checkpoint.open(run_dir)
    checkpoint = Checkpoint.open(run_dir)
    for row_id in ids:
        checkpoint.mark_done(row_id)
    checkpoint.close()


def test_entries_survive_reopen(tmp_path):
    ids = ["004", "mug 01", "line\nbreak", "quote\"d", "ünïcode ✓", ""]
    write_entries(tmp_path, ids)

    reopened = Checkpoint.open(tmp_path)

    assert reopened.completed == set(ids)
    assert reopened.damage == []


def test_torn_last_entry_is_dropped_and_reported(tmp_path, caplog):
    write_entries(tmp_path, ["row-1", "row-2", "row-3"])
    path = tmp_path / CHECKPOINT_FILE
    raw = path.read_bytes()
    last_start = raw.rstrip(b"\n").rfind(b"\n") + 1
    torn = raw[: last_start + 4]  # cut the entry for row-3 in half
    path.write_bytes(torn + b"\x8f\x00garbage\xff")

    with caplog.at_level(logging.WARNING):
        checkpoint = Checkpoint.open(tmp_path)

    assert checkpoint.completed == {"row-1", "row-2"}
    assert len(checkpoint.damage) == 1
    assert checkpoint.damage[0].line == 3
    assert checkpoint.damage[0].byte_offset == last_start
    assert str(path) in caplog.text
    assert f"byte {last_start}" in caplog.text
    backups = list(tmp_path.glob(f"{CHECKPOINT_FILE}.damaged-*"))
    assert len(backups) == 1
    assert backups[0].read_bytes() == torn + b"\x8f\x00garbage\xff"


def test_repaired_checkpoint_appends_cleanly(tmp_path):
    write_entries(tmp_path, ["a", "b"])
    path = tmp_path / CHECKPOINT_FILE
    path.write_bytes(path.read_bytes() + b'"c')  # a crash mid-append

    checkpoint = Checkpoint.open(tmp_path)
    checkpoint.mark_done("c")
    checkpoint.close()

    lines = path.read_text().splitlines()
    assert [json.loads(line) for line in lines] == ["a", "b", "c"]
    assert Checkpoint.open(tmp_path).completed == {"a", "b", "c"}


def test_entry_without_final_newline_counts(tmp_path):
    (tmp_path / CHECKPOINT_FILE).write_bytes(b'"a"\n"b"')

    checkpoint = Checkpoint.open(tmp_path)
    checkpoint.mark_done("c")
    checkpoint.close()

    assert Checkpoint.open(tmp_path).completed == {"a", "b", "c"}


def test_mark_done_twice_writes_once(tmp_path):
    checkpoint = Checkpoint.open(tmp_path)
    checkpoint.mark_done("x")
    checkpoint.mark_done("x")
    checkpoint.close()

    assert (tmp_path / CHECKPOINT_FILE).read_text() == '"x"\n'


def test_non_string_json_line_is_damage(tmp_path):
    (tmp_path / CHECKPOINT_FILE).write_text('"a"\n12\n{"id": 1}\n"b"\n')

    checkpoint = Checkpoint.open(tmp_path)

    assert checkpoint.completed == {"a", "b"}
    assert [d.line for d in checkpoint.damage] == [2, 3]
