"""Image files: atomic writes and metadata that reads back exactly, per format."""

from __future__ import annotations

import json
import logging
import os
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from batch_runner.image_files import (
    EXIF_TEXT_TAGS,
    read_image_metadata,
    save_image,
    sidecar_path,
    write_sidecar,
)
from batch_runner.storage.atomic import TEMP_FILE_PREFIX, write_file_atomically

PROMPT = {"3": {"class_type": "KSampler", "inputs": {"seed": 42, "steps": 20, "cfg": 7.5}}}
WORKFLOW = {"last_node_id": 9, "nodes": [{"id": 3, "type": "KSampler", "widgets_values": [42, "fixed"]}]}
BATCH_ROW = {"run": "night", "id": "東京-1", "values": {"prompt": "a café at night"}}


def comfy_metadata() -> dict[str, str]:
    """Metadata the way the saver node builds it: JSON text per key."""
    return {
        "prompt": json.dumps(PROMPT),
        "workflow": json.dumps(WORKFLOW),
        "batch_row": json.dumps(BATCH_ROW, ensure_ascii=False),
    }


def gradient(mode: str = "RGB", size: tuple[int, int] = (64, 48)) -> Image.Image:
    image = Image.new("RGB", size)
    image.putdata([(x * 4 % 256, y * 5 % 256, (x + y) % 256) for y in range(size[1]) for x in range(size[0])])
    return image.convert(mode)


def png_chunks(path: Path) -> list[tuple[bytes, bytes]]:
    """Return (type, data) of every chunk of the PNG at PATH, read without Pillow."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, position = [], 8
    while position < len(data):
        (length,) = struct.unpack(">I", data[position:position + 4])
        chunk_type = data[position + 4:position + 8]
        chunks.append((chunk_type, data[position + 8:position + 8 + length]))
        position += 12 + length
    return chunks


# PNG

def test_png_keeps_every_key_as_text_chunk(tmp_path: Path) -> None:
    path = tmp_path / "out.png"

    left_out = save_image(gradient(), path, "png", 95, comfy_metadata())

    assert left_out == []
    with Image.open(path) as image:
        assert image.text == comfy_metadata()
        assert json.loads(image.text["prompt"]) == PROMPT
        assert json.loads(image.text["workflow"]) == WORKFLOW
        assert json.loads(image.text["batch_row"]) == BATCH_ROW


def test_png_uses_text_chunk_types_like_comfyui(tmp_path: Path) -> None:
    path = tmp_path / "out.png"

    save_image(gradient(), path, "png", 95, comfy_metadata())

    text_chunks = [(kind, data) for kind, data in png_chunks(path) if kind in (b"tEXt", b"iTXt", b"zTXt")]
    assert [kind for kind, _ in text_chunks] == [b"tEXt", b"tEXt", b"iTXt"]
    assert text_chunks[0][1] == b"prompt\x00" + json.dumps(PROMPT).encode("latin-1")
    assert text_chunks[1][1] == b"workflow\x00" + json.dumps(WORKFLOW).encode("latin-1")
    assert text_chunks[2][1] == b"batch_row\x00\x00\x00\x00\x00" + json.dumps(BATCH_ROW, ensure_ascii=False).encode()


def test_png_keeps_pixels_exactly(tmp_path: Path) -> None:
    path = tmp_path / "out.png"
    original = gradient("RGBA")

    save_image(original, path, "png", 95, {})

    with Image.open(path) as image:
        assert image.mode == "RGBA"
        assert image.tobytes() == original.tobytes()


def test_png_keeps_large_workflow(tmp_path: Path) -> None:
    path = tmp_path / "out.png"
    workflow = json.dumps({"nodes": [{"id": number, "title": "x" * 50} for number in range(5000)]})

    save_image(gradient(), path, "png", 95, {"workflow": workflow})

    assert read_image_metadata(path) == {"workflow": workflow}


def test_png_leaves_out_key_it_cannot_name(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "out.png"
    metadata = {"prompt": "{}", "k" * 80: "{}", "東京": "{}", "": "{}", "with:colon": "{}"}

    with caplog.at_level(logging.WARNING, logger="batch_runner.image_files"):
        left_out = save_image(gradient(), path, "png", 95, metadata)

    assert left_out == ["k" * 80, "東京", ""]
    assert read_image_metadata(path) == {"prompt": "{}", "with:colon": "{}"}
    assert "cannot store them" in caplog.text


# WEBP

def test_webp_stores_metadata_in_comfyui_exif_tags(tmp_path: Path) -> None:
    path = tmp_path / "out.webp"

    left_out = save_image(gradient(), path, "webp", 90, comfy_metadata())

    assert left_out == []
    with Image.open(path) as image:
        exif = image.getexif()
        assert exif[0x0110] == "prompt:" + json.dumps(PROMPT)
        assert exif[0x010F] == "workflow:" + json.dumps(WORKFLOW)
        assert exif[0x010E] == "batch_row:" + json.dumps(BATCH_ROW)
        assert json.loads(exif[0x010E].partition(":")[2]) == BATCH_ROW


def test_webp_metadata_reads_back_as_same_json(tmp_path: Path) -> None:
    path = tmp_path / "out.webp"

    save_image(gradient(), path, "webp", 90, comfy_metadata())

    metadata = read_image_metadata(path)
    assert set(metadata) == {"prompt", "workflow", "batch_row"}
    assert {key: json.loads(value) for key, value in metadata.items()} == {
        "prompt": PROMPT, "workflow": WORKFLOW, "batch_row": BATCH_ROW,
    }


def test_webp_escapes_non_ascii_plain_text(tmp_path: Path) -> None:
    path = tmp_path / "out.webp"

    save_image(gradient(), path, "webp", 90, {"note": "café 東京"})

    assert read_image_metadata(path) == {"note": "caf\\xe9 \\u6771\\u4eac"}


def test_webp_keeps_at_most_six_keys(tmp_path: Path) -> None:
    path = tmp_path / "out.webp"
    metadata = {f"key{number}": f'"{number}"' for number in range(8)}
    metadata["prompt"] = "{}"

    left_out = save_image(gradient(), path, "webp", 90, metadata)

    assert left_out == ["key5", "key6", "key7"]
    assert read_image_metadata(path) == {"prompt": "{}", **{f"key{number}": f'"{number}"' for number in range(5)}}
    assert len(EXIF_TEXT_TAGS) == 6


def test_webp_leaves_out_key_with_colon(tmp_path: Path) -> None:
    path = tmp_path / "out.webp"

    left_out = save_image(gradient(), path, "webp", 90, {"a:b": "1", "prompt": "{}"})

    assert left_out == ["a:b"]
    assert read_image_metadata(path) == {"prompt": "{}"}


def test_webp_quality_changes_file_size(tmp_path: Path) -> None:
    low, high = tmp_path / "low.webp", tmp_path / "high.webp"
    image = gradient(size=(256, 256))

    save_image(image, low, "webp", 10, {})
    save_image(image, high, "webp", 95, {})

    assert low.stat().st_size < high.stat().st_size


# JPEG

def test_jpeg_stores_metadata_in_exif(tmp_path: Path) -> None:
    path = tmp_path / "out.jpg"

    left_out = save_image(gradient(), path, "jpeg", 90, comfy_metadata())

    assert left_out == []
    with Image.open(path) as image:
        assert image.format == "JPEG"
        assert image.getexif()[0x0110] == "prompt:" + json.dumps(PROMPT)
    assert json.loads(read_image_metadata(path)["workflow"]) == WORKFLOW


def test_jpeg_drops_largest_values_beyond_64k(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "out.jpg"
    workflow = json.dumps({"nodes": ["x" * 100] * 800})  # about 82 KB
    metadata = {"prompt": json.dumps(PROMPT), "workflow": workflow, "batch_row": json.dumps(BATCH_ROW)}

    with caplog.at_level(logging.WARNING, logger="batch_runner.image_files"):
        left_out = save_image(gradient(), path, "jpeg", 90, metadata)

    assert left_out == ["workflow"]
    assert set(read_image_metadata(path)) == {"prompt", "batch_row"}
    assert "without metadata workflow" in caplog.text


def test_jpeg_drops_alpha(tmp_path: Path) -> None:
    path = tmp_path / "out.jpg"

    save_image(gradient("RGBA"), path, "jpeg", 90, {})

    with Image.open(path) as image:
        assert image.mode == "RGB"
        assert image.size == (64, 48)


def test_jpeg_quality_changes_file_size(tmp_path: Path) -> None:
    low, high = tmp_path / "low.jpg", tmp_path / "high.jpg"
    image = gradient(size=(256, 256))

    save_image(image, low, "jpeg", 10, {})
    save_image(image, high, "jpeg", 95, {})

    assert low.stat().st_size < high.stat().st_size


# Arguments

@pytest.mark.parametrize("fmt, quality, metadata, message", [
    ("gif", 90, {}, "unknown image format 'gif'"),
    ("PNG", 90, {}, "unknown image format 'PNG'"),
    ("png", 0, {}, "quality must be a whole number from 1 to 100, got 0"),
    ("jpeg", 101, {}, "got 101"),
    ("jpeg", True, {}, "got True"),
    ("webp", 90.0, {}, "got 90.0"),
    ("png", 90, {"prompt": {"a": 1}}, "metadata value for 'prompt' must be text"),
    ("png", 90, {1: "x"}, "metadata key 1 must be text"),
])
def test_save_image_rejects_invalid_arguments(tmp_path: Path, fmt, quality, metadata, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        save_image(gradient(), tmp_path / "x", fmt, quality, metadata)

    assert list(tmp_path.iterdir()) == []


# Atomic writes

def test_save_image_replaces_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "out.png"
    path.write_bytes(b"old")

    save_image(gradient(), path, "png", 95, {})

    with Image.open(path) as image:
        assert image.size == (64, 48)
    assert [entry.name for entry in tmp_path.iterdir()] == ["out.png"]


def test_failed_write_keeps_old_file_and_no_temp(tmp_path: Path) -> None:
    path = tmp_path / "out.png"
    path.write_bytes(b"old image")

    def write_half_then_fail(stream) -> None:
        stream.write(b"half an ima")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_file_atomically(path, write_half_then_fail)

    assert path.read_bytes() == b"old image"
    assert [entry.name for entry in tmp_path.iterdir()] == ["out.png"]


def test_failed_encode_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "out.webp"

    def encode_half_then_fail(image, stream, **options) -> None:
        stream.write(b"RIFF....WEBP")
        raise OSError("encoder error")

    monkeypatch.setattr(Image.Image, "save", encode_half_then_fail)
    with pytest.raises(OSError, match="encoder error"):
        save_image(gradient(), path, "webp", 90, {})

    assert list(tmp_path.iterdir()) == []


def test_save_image_creates_missing_folders(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "out.png"

    save_image(gradient(), path, "png", 95, {})

    assert path.is_file()


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_saved_file_gets_umask_permissions(tmp_path: Path) -> None:
    path = tmp_path / "out.png"
    umask = os.umask(0o022)
    os.umask(umask)

    save_image(gradient(), path, "png", 95, {})

    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_temp_name_short_for_long_names(tmp_path: Path) -> None:
    path = tmp_path / ("東" * 80 + ".png")  # 244 bytes
    seen: list[str] = []

    def record_folder(stream) -> None:
        seen.extend(name for name in os.listdir(tmp_path) if name.startswith(TEMP_FILE_PREFIX))
        stream.write(b"x")

    write_file_atomically(path, record_folder)

    assert len(seen) == 1
    assert len(seen[0].encode("utf-8")) <= 32
    assert path.read_bytes() == b"x"


# Sidecars

def test_write_sidecar_writes_exact_json(tmp_path: Path) -> None:
    image_path = tmp_path / "0001_東京.png"

    written = write_sidecar(image_path, {"row": BATCH_ROW, "seed": 42})

    assert written == tmp_path / "0001_東京.png.json"
    assert written == sidecar_path(image_path)
    assert written.read_text(encoding="utf-8") == json.dumps(
        {"row": BATCH_ROW, "seed": 42}, ensure_ascii=False, indent=1) + "\n"


def test_write_sidecar_fits_next_to_longest_image_name(tmp_path: Path) -> None:
    image_path = tmp_path / ("x" * 246 + ".png")  # 250 bytes, the naming limit

    written = write_sidecar(image_path, {})

    assert len(written.name.encode("utf-8")) == 255
    assert json.loads(written.read_text(encoding="utf-8")) == {}


def test_write_sidecar_rejects_name_over_limit(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="longer than 255 bytes"):
        write_sidecar(tmp_path / ("x" * 247 + ".png"), {})


def test_png_checksums_are_valid(tmp_path: Path) -> None:
    path = tmp_path / "out.png"

    save_image(gradient(), path, "png", 95, comfy_metadata())

    data = path.read_bytes()
    position = 8
    while position < len(data):
        (length,) = struct.unpack(">I", data[position:position + 4])
        body = data[position + 4:position + 8 + length]
        (checksum,) = struct.unpack(">I", data[position + 8 + length:position + 12 + length])
        assert zlib.crc32(body) == checksum
        position += 12 + length
