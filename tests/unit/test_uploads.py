"""Uploaded job files land in the input folder under a safe name and never overwrite by accident."""

from __future__ import annotations

import pytest

from batch_runner.uploads import UploadError, safe_upload_name, save_upload


def test_names_are_reduced_to_safe_file_names():
    assert safe_upload_name("../../custom_nodes/evil.csv") == "evil.csv"
    assert safe_upload_name("C:\\Users\\me\\jobs:v2.CSV") == "jobs_v2.csv"
    assert safe_upload_name(" .jobs.json") == "jobs.json"


def test_unsupported_extension_is_rejected():
    with pytest.raises(UploadError, match="not a supported job file"):
        safe_upload_name("script.py")


def test_existing_file_is_kept(tmp_path):
    assert save_upload(tmp_path, "jobs.csv", b"id\n1\n") == "jobs.csv"
    assert save_upload(tmp_path, "jobs.csv", b"id\n1\n") == "jobs.csv"
    assert save_upload(tmp_path, "jobs.csv", b"id\n2\n") == "jobs_2.csv"
    assert (tmp_path / "jobs.csv").read_bytes() == b"id\n1\n"
    assert save_upload(tmp_path, "jobs.csv", b"id\n3\n", overwrite=True) == "jobs.csv"
    assert (tmp_path / "jobs.csv").read_bytes() == b"id\n3\n"
