"""Image files: atomic writes of PNG, JPEG and WEBP with the metadata ComfyUI reads back.

What each format keeps of `metadata` (a dict of key to text, normally JSON):

- PNG: every key, one text chunk each, as ComfyUI's SaveImage writes them:
  tEXt when the value is Latin-1, iTXt (UTF-8) otherwise. Dropping the PNG on
  ComfyUI's canvas restores the `workflow` chunk.
- WEBP: up to six keys in EXIF, as ComfyUI's own WEBP saver writes them: one
  ASCII tag of the first image directory per key, holding "<key>:<value>".
  `prompt`, then `workflow`, then the other keys in their order go to tags
  0x0110 (Model), 0x010F (Make), 0x010E (ImageDescription), 0x010D, 0x010C and
  0x010B, which is ComfyUI's layout when both prompt and workflow are given.
  ComfyUI's frontend reads these tags when the WEBP is dropped on the canvas.
- JPEG: the same EXIF tags as WEBP, but a JPEG segment can contain at most
  65,533 bytes, so the largest values are left out until the rest fits. A UI workflow
  is often larger than that. The ComfyUI frontend does not read workflows from
  JPEG files, so use PNG, WEBP or the sidecar JSON to keep the workflow.

EXIF text is ASCII. A value that is JSON is rewritten with `\\uXXXX` escapes,
which is the same JSON value. Any other non-ASCII value gets Python backslash
escapes. A key must be 1 to 79 printable Latin-1 characters for PNG, and also
ASCII without ':' for EXIF. `save_image` leaves out and returns the keys a
format cannot keep, and logs them.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any, Literal

from PIL import Image
from PIL.PngImagePlugin import PngInfo

from .naming.safe_names import MAX_COMPONENT_BYTES, SIDECAR_SUFFIX
from .storage.atomic import write_file_atomically

logger = logging.getLogger(__name__)

ImageFormat = Literal["png", "jpeg", "webp"]
IMAGE_FORMATS: tuple[str, ...] = ("png", "jpeg", "webp")
FILE_EXTENSIONS = {"png": "png", "jpeg": "jpg", "webp": "webp"}

# ComfyUI's SaveImage uses zlib level 4: nearly the size of level 9, much faster.
PNG_COMPRESS_LEVEL = 4

# EXIF tags that ComfyUI's WEBP saver fills, in the order it fills them. Lower
# tag numbers are SHORT or LONG fields in TIFF, which cannot hold text.
EXIF_TEXT_TAGS = (0x0110, 0x010F, 0x010E, 0x010D, 0x010C, 0x010B)


# A JPEG APP1 segment has a 16-bit length that counts its own 2 bytes.
JPEG_MAX_EXIF_BYTES = 65_533

# A PNG text keyword is 1 to 79 printable Latin-1 characters. An EXIF entry is
# ASCII "<key>:<value>" and readers split it at the first colon.
_PNG_KEY = re.compile(r"[\x20-\x7e\xa1-\xff]{1,79}")
_EXIF_KEY = re.compile(r"[\x20-\x39\x3b-\x7e]{1,79}")

_PILLOW_FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}


def save_image(
    image: Image.Image,
    path: Path,
    fmt: ImageFormat,
    quality: int,
    metadata: dict[str, str],
) -> list[str]:
    """Write IMAGE to PATH atomically, with METADATA stored as FMT allows.

    The image goes to a temporary file in PATH's folder, is flushed to disk and
    then renamed over PATH, so PATH contains either the old file or the whole
    new one, never a partial image. Missing folders are created. QUALITY (1-100)
    applies to JPEG and WEBP. JPEG drops an alpha channel.

    Returns the metadata keys that were not stored; see the module docstring.
    Raises ValueError for an unknown format, an invalid quality, or a metadata
    key or value that is not text, and OSError when the file cannot be written.
    """
    _check_arguments(fmt, quality, metadata)

    key_pattern = _PNG_KEY if fmt == "png" else _EXIF_KEY
    storable = {key: value for key, value in metadata.items() if key_pattern.fullmatch(key)}
    left_out = [key for key in metadata if key not in storable]

    options: dict[str, Any] = {"format": _PILLOW_FORMATS[fmt]}
    if fmt == "png":
        options.update(pnginfo=_png_text_chunks(storable), compress_level=PNG_COMPRESS_LEVEL)
    else:
        exif_limit = JPEG_MAX_EXIF_BYTES if fmt == "jpeg" else None
        exif, too_many_or_large = _exif_text_tags(storable, exif_limit)
        left_out += too_many_or_large
        options.update(exif=exif, quality=quality)
    if fmt == "jpeg" and image.mode not in ("RGB", "L", "CMYK"):
        image = image.convert("RGB")

    write_file_atomically(path, lambda stream: image.save(stream, **options))
    if left_out:
        logger.warning("Saved %s without metadata %s: %s cannot store them", path, ", ".join(left_out), fmt.upper())
    return left_out


def read_image_metadata(path: Path) -> dict[str, str]:
    """Return the metadata `save_image` stored in the file at PATH, by key.

    PNG text chunks are returned as they are. EXIF tags of the first image
    directory that hold "<key>:<value>" text are split at the first colon.
    """
    with Image.open(path) as image:
        if image.format == "PNG":
            return {str(key): str(value) for key, value in image.text.items()}

        metadata = {}
        for value in image.getexif().values():
            if isinstance(value, str) and ":" in value:
                key, _, text = value.partition(":")
                metadata[key] = text
        return metadata


def sidecar_path(image_path: Path) -> Path:
    """Return the path of IMAGE_PATH's sidecar: the image's full name followed by ".json"."""
    return image_path.with_name(image_path.name + SIDECAR_SUFFIX)


def write_sidecar(image_path: Path, data: dict[str, Any]) -> Path:
    """Write DATA as indented UTF-8 JSON to IMAGE_PATH's sidecar, atomically, and return its path.

    Raises ValueError if the sidecar name would be longer than a file name may be.
    """
    path = sidecar_path(image_path)
    if len(path.name.encode("utf-8")) > MAX_COMPONENT_BYTES:
        raise ValueError(f"sidecar name for {image_path.name!r} is longer than {MAX_COMPONENT_BYTES} bytes; "
                         "name images with batch_runner.naming, which leaves room for it")

    text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    write_file_atomically(path, lambda stream: stream.write(text.encode("utf-8")))
    return path


def _check_arguments(fmt: str, quality: int, metadata: dict[str, str]) -> None:
    if fmt not in IMAGE_FORMATS:
        raise ValueError(f"unknown image format {fmt!r}; expected one of {', '.join(IMAGE_FORMATS)}")
    if isinstance(quality, bool) or not isinstance(quality, int) or not 1 <= quality <= 100:
        raise ValueError(f"image quality must be a whole number from 1 to 100, got {quality!r}")
    for key, value in metadata.items():
        if not isinstance(key, str):
            raise ValueError(f"metadata key {key!r} must be text")
        if not isinstance(value, str):
            raise ValueError(f"metadata value for {key!r} must be text (JSON for structured data), "
                             f"got {type(value).__name__}")


def _png_text_chunks(metadata: dict[str, str]) -> PngInfo:
    chunks = PngInfo()
    for key, value in metadata.items():
        chunks.add_text(key, value)  # Pillow writes iTXt itself when the value is not Latin-1
    return chunks


def _exif_text_tags(metadata: dict[str, str], max_bytes: int | None) -> tuple[Image.Exif, list[str]]:
    ordered = sorted(metadata, key=lambda key: {"prompt": 0, "workflow": 1}.get(key, 2))
    stored_keys = ordered[:len(EXIF_TEXT_TAGS)]
    left_out = ordered[len(EXIF_TEXT_TAGS):]

    while True:
        exif = Image.Exif()
        for tag, key in zip(EXIF_TEXT_TAGS, stored_keys):
            exif[tag] = f"{key}:{_ascii_text(metadata[key])}"
        if max_bytes is None or len(exif.tobytes()) <= max_bytes or not stored_keys:
            return exif, left_out
        largest = max(stored_keys, key=lambda key: len(metadata[key]))
        stored_keys.remove(largest)
        left_out.append(largest)


def _ascii_text(value: str) -> str:
    if value.isascii():
        return value
    try:
        return json.dumps(json.loads(value))
    except ValueError:
        return value.encode("ascii", "backslashreplace").decode("ascii")
