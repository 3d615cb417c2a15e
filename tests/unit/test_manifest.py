"""The manifest keeps each row's last outcome, tolerates torn lines, and opens as CSV."""

from __future__ import annotations

import csv

from batch_runner.storage.manifest import MANIFEST_JSONL, Manifest, ManifestRecord


def test_last_record_per_row_wins(tmp_path):
    manifest = Manifest(tmp_path)
    manifest.append(ManifestRecord(row=2, row_id="b", status="failed", attempts=1, error={"message": "boom"}))
    manifest.append(ManifestRecord(row=1, row_id="a", status="done", attempts=1, files=["x/a.png"]))
    manifest.append(ManifestRecord(row=2, row_id="b", status="done", attempts=2, files=["x/b.png"]))
    manifest.close()

    latest = Manifest(tmp_path).latest_records()

    assert latest["a"].files == ["x/a.png"]
    assert latest["b"].status == "done"
    assert latest["b"].attempts == 2


def test_large_seed_round_trips_exactly(tmp_path):
    manifest = Manifest(tmp_path)
    manifest.append(ManifestRecord(row=1, row_id="s3", status="done", attempts=1, seed=2**64 - 1))
    manifest.close()

    assert '"seed": "18446744073709551615"' in (tmp_path / MANIFEST_JSONL).read_text()
    assert Manifest(tmp_path).latest_records()["s3"].seed == 18446744073709551615


def test_torn_line_is_skipped(tmp_path):
    manifest = Manifest(tmp_path)
    manifest.append(ManifestRecord(row=1, row_id="a", status="done", attempts=1))
    manifest.close()
    with open(tmp_path / MANIFEST_JSONL, "ab") as target:
        target.write(b'{"row": 2, "row_id": "b", "sta')

    assert list(Manifest(tmp_path).latest_records()) == ["a"]


def test_csv_is_sorted_by_row(tmp_path):
    manifest = Manifest(tmp_path)
    manifest.append(ManifestRecord(row=2, row_id="b", status="failed", attempts=3,
                                   error={"message": "not an image", "node_id": "4", "node_type": "LoadImage"}))
    manifest.append(ManifestRecord(row=1, row_id="a", status="done", attempts=1, files=["s/a.png", "s/a_2.png"],
                                   prompt_text='a "quoted", prompt'))
    path = manifest.write_csv()

    with open(path, newline="", encoding="utf-8") as source:
        rows = list(csv.DictReader(source))

    assert [row["row_id"] for row in rows] == ["a", "b"]
    assert rows[0]["files"] == "s/a.png;s/a_2.png"
    assert rows[0]["prompt_text"] == 'a "quoted", prompt'
    assert rows[1]["error"] == "LoadImage (node 4): not an image"
