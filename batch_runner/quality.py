"""Output checks after a job: is the image there, a sensible size, and not one flat colour?

A blank result is a common silent failure (a VAE overflow in half precision
decodes to all black, a safety filter returns a black square), and ComfyUI
reports such a job as a success. These checks let the run mark it as suspect.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageStat, UnidentifiedImageError

from .quality_settings import DEFAULT_MAX_BYTES, DEFAULT_MIN_BYTES, DEFAULT_UNIFORM_THRESHOLD

logger = logging.getLogger(__name__)

# The image is measured on a copy at most this many pixels on its longer side,
# which keeps memory and time small while fine detail still moves the deviation.
SAMPLE_SIZE = 256

# Mean levels below or above which a flat image is reported as black or white.
_BLACK_LEVEL = 8
_WHITE_LEVEL = 247


@dataclass(frozen=True)
class QualityOptions:
    """Thresholds of `check_image_file`; a None or 0 threshold turns that check off."""

    min_bytes: int | None = DEFAULT_MIN_BYTES
    max_bytes: int | None = DEFAULT_MAX_BYTES
    uniform_threshold: float | None = DEFAULT_UNIFORM_THRESHOLD

    def check(self, path: Path) -> QualityResult:
        return check_image_file(path, self.min_bytes, self.max_bytes, self.uniform_threshold)


@dataclass(frozen=True)
class ImageStats:
    """Measurements of one file: size in bytes, pixel size, and per-channel mean and standard deviation."""

    file_bytes: int
    width: int | None = None
    height: int | None = None
    format: str | None = None
    mean: tuple[float, ...] = ()
    stddev: tuple[float, ...] = ()


@dataclass(frozen=True)
class QualityResult:
    """The verdict on one file; `reasons` lists every failed check as a sentence."""

    ok: bool
    reasons: list[str] = field(default_factory=list)
    stats: ImageStats | None = None


def check_image_file(
    path: Path,
    min_bytes: int | None = DEFAULT_MIN_BYTES,
    max_bytes: int | None = DEFAULT_MAX_BYTES,
    uniform_threshold: float | None = DEFAULT_UNIFORM_THRESHOLD,
) -> QualityResult:
    """Check that PATH exists, is MIN_BYTES to MAX_BYTES long, decodes, and is not one flat colour.

    Every check runs, so the result lists all reasons at once. The image is
    flat when the standard deviation of every RGB channel, measured on a copy
    at most SAMPLE_SIZE pixels wide, is below UNIFORM_THRESHOLD (0-255 scale).
    """
    try:
        file_bytes = path.stat().st_size
    except FileNotFoundError:
        return QualityResult(False, [f"file is missing: {path}"])

    reasons = _size_reasons(file_bytes, min_bytes, max_bytes)
    try:
        stats = _measure(path, file_bytes)
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError, ValueError) as error:
        logger.info("Quality check of %s: cannot decode the image: %s", path, error)
        reasons.append(f"not a readable image: {error}")
        return QualityResult(False, reasons, ImageStats(file_bytes))

    if uniform_threshold and stats.stddev and max(stats.stddev) < uniform_threshold:
        reasons.append(_uniform_reason(stats, uniform_threshold))
    return QualityResult(not reasons, reasons, stats)


def _size_reasons(file_bytes: int, min_bytes: int | None, max_bytes: int | None) -> list[str]:
    if min_bytes and file_bytes < min_bytes:
        return [f"file is too small: {file_bytes} bytes, expected at least {min_bytes}"]
    if max_bytes and file_bytes > max_bytes:
        return [f"file is too large: {file_bytes} bytes, expected at most {max_bytes}"]
    return []


def _measure(path: Path, file_bytes: int) -> ImageStats:
    # NOTE: 16-bit and float images ("I;16", "I", "F") are clipped to 0-255 by
    # the RGB conversion, so their deviation is measured on the clipped values.
    with Image.open(path) as image:
        width, height, image_format = image.width, image.height, image.format
        image.draft("RGB", (SAMPLE_SIZE, SAMPLE_SIZE))  # JPEG decodes at a reduced scale
        image.thumbnail((SAMPLE_SIZE, SAMPLE_SIZE))
        sample = image.convert("RGB")

    statistics = ImageStat.Stat(sample)
    return ImageStats(
        file_bytes=file_bytes,
        width=width,
        height=height,
        format=image_format,
        mean=tuple(round(value, 2) for value in statistics.mean),
        stddev=tuple(round(value, 2) for value in statistics.stddev),
    )


def _uniform_reason(stats: ImageStats, threshold: float) -> str:
    if max(stats.mean) < _BLACK_LEVEL:
        looks = "all black"
    elif min(stats.mean) > _WHITE_LEVEL:
        looks = "all white"
    else:
        colour = ", ".join(f"{value:.0f}" for value in stats.mean)
        looks = f"one flat colour, RGB about ({colour})"
    return (f"image is blank ({looks}): every channel's standard deviation is below {threshold:g} "
            f"(largest {max(stats.stddev):.2f})")
