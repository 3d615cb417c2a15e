"""Quality checks: missing, wrongly sized, unreadable and blank images are caught, real ones pass."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from PIL import Image

from batch_runner.quality import (
    DEFAULT_MIN_BYTES,
    DEFAULT_UNIFORM_THRESHOLD,
    ImageStats,
    QualityOptions,
    QualityResult,
    check_image_file,
)


def save(image: Image.Image, path: Path, **options) -> Path:
    image.save(path, **options)
    return path


def noise(size: int = 256, seed: int = 1) -> Image.Image:
    generator = random.Random(seed)
    return Image.frombytes("RGB", (size, size), bytes(generator.randrange(256) for _ in range(size * size * 3)))


def horizontal_gradient(low: int, high: int, size: int = 512) -> Image.Image:
    row = bytes(low + (high - low) * x // (size - 1) for x in range(size))
    return Image.frombytes("L", (size, size), row * size).convert("RGB")


def test_missing_file_fails(tmp_path: Path) -> None:
    path = tmp_path / "absent.png"

    result = check_image_file(path)

    assert result == QualityResult(False, [f"file is missing: {path}"])


def test_real_content_passes(tmp_path: Path) -> None:
    path = save(noise(), tmp_path / "noise.png")

    result = check_image_file(path)

    assert result.ok
    assert result.reasons == []
    assert result.stats is not None
    assert (result.stats.width, result.stats.height, result.stats.format) == (256, 256, "PNG")
    assert result.stats.file_bytes == path.stat().st_size
    assert min(result.stats.stddev) > 50


def test_black_image_fails_as_blank(tmp_path: Path) -> None:
    path = save(Image.new("RGB", (512, 512)), tmp_path / "black.png")

    result = check_image_file(path, min_bytes=None)

    assert not result.ok
    assert result.reasons == [
        "image is blank (all black): every channel's standard deviation is below 2 (largest 0.00)"
    ]
    assert result.stats == ImageStats(path.stat().st_size, 512, 512, "PNG", (0.0, 0.0, 0.0), (0.0, 0.0, 0.0))


def test_small_blank_file_lists_both_reasons(tmp_path: Path) -> None:
    path = save(Image.new("RGB", (512, 512)), tmp_path / "black.png")
    size = path.stat().st_size

    result = check_image_file(path, min_bytes=1024)

    assert size < 1024
    assert result.reasons == [
        f"file is too small: {size} bytes, expected at least 1024",
        "image is blank (all black): every channel's standard deviation is below 2 (largest 0.00)",
    ]


def test_white_image_fails_as_blank(tmp_path: Path) -> None:
    path = save(Image.new("RGB", (300, 200), (255, 255, 255)), tmp_path / "white.webp", quality=75)

    result = check_image_file(path, min_bytes=None)

    assert result.reasons == [
        "image is blank (all white): every channel's standard deviation is below 2 (largest 0.00)"
    ]


@pytest.mark.parametrize("suffix", [".jpg", ".webp"])
def test_flat_colour_after_lossy_compression_fails(tmp_path: Path, suffix: str) -> None:
    path = save(Image.new("RGB", (512, 512), (120, 30, 200)), tmp_path / f"flat{suffix}", quality=75)

    result = check_image_file(path, min_bytes=None)

    assert not result.ok
    assert result.stats is not None
    assert max(result.stats.stddev) < 1
    assert result.reasons[0].startswith("image is blank (one flat colour, RGB about (")


def test_faint_gradient_passes(tmp_path: Path) -> None:
    path = save(horizontal_gradient(100, 140), tmp_path / "faint.png")

    result = check_image_file(path)

    assert result.ok, result.reasons
    assert result.stats is not None
    assert 10 < max(result.stats.stddev) < 13


def test_mostly_black_with_small_detail_passes(tmp_path: Path) -> None:
    image = Image.new("RGB", (1024, 1024))
    image.paste(noise(96), (400, 400))
    path = save(image, tmp_path / "detail.png")

    result = check_image_file(path)

    assert result.ok, result.reasons


def test_rgba_and_grey_images_are_measured(tmp_path: Path) -> None:
    transparent = save(Image.new("RGBA", (128, 128), (0, 0, 0, 0)), tmp_path / "clear.png")
    grey = save(noise().convert("L"), tmp_path / "grey.png")

    assert not check_image_file(transparent, min_bytes=None).ok
    assert check_image_file(grey).ok


def test_size_bounds_are_checked(tmp_path: Path) -> None:
    path = save(noise(), tmp_path / "noise.png")
    size = path.stat().st_size

    too_large = check_image_file(path, max_bytes=size - 1)
    too_small = check_image_file(path, min_bytes=size + 1)

    assert too_large.reasons == [f"file is too large: {size} bytes, expected at most {size - 1}"]
    assert too_small.reasons == [f"file is too small: {size} bytes, expected at least {size + 1}"]
    assert check_image_file(path, min_bytes=size, max_bytes=size).ok


def test_empty_file_fails(tmp_path: Path) -> None:
    path = tmp_path / "empty.png"
    path.write_bytes(b"")

    result = check_image_file(path)

    assert not result.ok
    assert result.reasons[0] == "file is too small: 0 bytes, expected at least 32"
    assert result.reasons[1].startswith("not a readable image: ")
    assert result.stats == ImageStats(0)


def test_truncated_image_fails(tmp_path: Path) -> None:
    whole = save(noise(), tmp_path / "whole.png")
    path = tmp_path / "truncated.png"
    path.write_bytes(whole.read_bytes()[:5000])

    result = check_image_file(path)

    assert not result.ok
    assert len(result.reasons) == 1
    assert result.reasons[0].startswith("not a readable image: ")


def test_text_file_fails(tmp_path: Path) -> None:
    path = tmp_path / "note.png"
    path.write_text("not an image at all " * 100)

    result = check_image_file(path)

    assert [reason.split(":")[0] for reason in result.reasons] == ["not a readable image"]


def test_options_can_turn_checks_off(tmp_path: Path) -> None:
    path = save(Image.new("RGB", (64, 64)), tmp_path / "black.png")

    assert QualityOptions(min_bytes=None, uniform_threshold=None).check(path).ok
    assert QualityOptions(min_bytes=0, uniform_threshold=0).check(path).ok
    assert not QualityOptions().check(path).ok


def test_options_default_to_documented_values() -> None:
    options = QualityOptions()

    assert (options.min_bytes, options.max_bytes, options.uniform_threshold) == (32, None, 2.0)
    assert (DEFAULT_MIN_BYTES, DEFAULT_UNIFORM_THRESHOLD) == (32, 2.0)


def test_smallest_real_images_pass_size_check(tmp_path: Path) -> None:
    for suffix in (".png", ".jpg", ".webp"):
        path = save(Image.new("RGB", (1, 1)), tmp_path / f"dot{suffix}")

        assert check_image_file(path, uniform_threshold=None).ok, suffix


def test_smooth_small_gradient_passes(tmp_path: Path) -> None:
    path = save(Image.linear_gradient("L").convert("RGB"), tmp_path / "smooth.webp", quality=75)

    assert path.stat().st_size < 1024
    assert check_image_file(path).ok
