"""Contact sheets: pages of captioned thumbnails for looking over a whole batch at once."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from PIL import Image, ImageDraw, ImageFont, UnidentifiedImageError, features

from .image_files import save_image

logger = logging.getLogger(__name__)

DEFAULT_COLUMNS = 10
DEFAULT_THUMB_SIZE = 192  # pixels, the longer side of each thumbnail
MAX_PER_PAGE = 100

CAPTION_FONT_SIZE = 14  # pixels; used when Pillow has FreeType
ELLIPSIS = "..."  # three dots, because the bitmap fallback font has no "…"

_MARGIN = 8
_CAPTION_PADDING = 4
_BACKGROUND = (255, 255, 255)
_CAPTION_COLOUR = (20, 20, 20)
_PLACEHOLDER_FILL = (225, 225, 225)
_PLACEHOLDER_LINES = (160, 160, 160)


@dataclass(frozen=True)
class _Layout:
    columns: int
    thumb_size: int
    caption_height: int

    @property
    def cell_width(self) -> int:
        return self.thumb_size + _MARGIN

    @property
    def cell_height(self) -> int:
        return self.thumb_size + self.caption_height + _MARGIN

    def page_size(self, count: int) -> tuple[int, int]:
        columns = min(count, self.columns)
        rows = math.ceil(count / self.columns)
        return columns * self.cell_width + _MARGIN, rows * self.cell_height + _MARGIN

    def cell_origin(self, position: int) -> tuple[int, int]:
        row, column = divmod(position, self.columns)
        return _MARGIN + column * self.cell_width, _MARGIN + row * self.cell_height


def make_contact_sheet(
    images: Sequence[tuple[str, Path | None]],
    out_path: Path,
    columns: int = DEFAULT_COLUMNS,
    thumb_size: int = DEFAULT_THUMB_SIZE,
    per_page: int = MAX_PER_PAGE,
) -> list[Path]:
    """Draw IMAGES (caption, path) as a grid of thumbnails, PER_PAGE per page, and return the pages.

    The first page is OUT_PATH and later ones add "_2", "_3", ... to its stem
    (contact_sheet.png, contact_sheet_2.png). A path that is None, missing or
    unreadable is drawn as a grey placeholder saying so, with its caption.
    Captions too wide for a cell end in "...". Only one source image is open at
    a time, so memory use stays at one page plus one image. No pages are
    written for an empty IMAGES.
    """
    if columns < 1 or thumb_size < 16 or per_page < 1:
        raise ValueError(f"invalid contact sheet layout: columns={columns}, thumb_size={thumb_size}, "
                         f"per_page={per_page}; expected columns and per_page of 1 or more, thumb_size of 16 or more")

    font = _load_font()
    layout = _Layout(columns, thumb_size, _line_height(font) + 2 * _CAPTION_PADDING)
    pages = [images[start:start + per_page] for start in range(0, len(images), per_page)]
    written = []
    unreadable = 0

    for number, entries in enumerate(pages, start=1):
        page_path = out_path if number == 1 else out_path.with_name(f"{out_path.stem}_{number}{out_path.suffix}")
        page, page_unreadable = _draw_page(entries, layout, font)
        save_image(page, page_path, "png", 100, {})
        written.append(page_path)
        unreadable += page_unreadable

    logger.info("Contact sheet %s: %d images on %d pages, %d missing or unreadable",
                out_path, len(images), len(written), unreadable)
    return written


def _draw_page(
    entries: Sequence[tuple[str, Path | None]],
    layout: _Layout,
    font: ImageFont.ImageFont | ImageFont.FreeTypeFont,
) -> tuple[Image.Image, int]:
    page = Image.new("RGB", layout.page_size(len(entries)), _BACKGROUND)
    draw = ImageDraw.Draw(page)
    unreadable = 0

    for position, (caption, path) in enumerate(entries):
        left, top = layout.cell_origin(position)
        thumbnail, problem = _load_thumbnail(path, layout.thumb_size)
        if thumbnail is None:
            unreadable += 1
            _draw_placeholder(draw, left, top, layout.thumb_size, problem, font)
        else:
            offset_x = (layout.thumb_size - thumbnail.width) // 2
            offset_y = (layout.thumb_size - thumbnail.height) // 2
            page.paste(thumbnail, (left + offset_x, top + offset_y))
            thumbnail.close()

        text = fit_caption(caption, layout.thumb_size, draw, font)
        draw.text((left, top + layout.thumb_size + _CAPTION_PADDING), text, fill=_CAPTION_COLOUR, font=font)
    return page, unreadable


def _load_thumbnail(path: Path | None, size: int) -> tuple[Image.Image | None, str]:
    if path is None or not path.is_file():
        return None, "missing"
    try:
        with Image.open(path) as image:
            image.draft("RGB", (size, size))  # JPEG decodes at a reduced scale
            image.thumbnail((size, size))
            return image.convert("RGB"), ""
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError, ValueError) as error:
        logger.warning("Contact sheet: drawing a placeholder for unreadable image %s: %s", path, error)
        return None, "unreadable"


def _draw_placeholder(
    draw: ImageDraw.ImageDraw,
    left: int,
    top: int,
    size: int,
    label: str,
    font: ImageFont.ImageFont | ImageFont.FreeTypeFont,
) -> None:
    right, bottom = left + size - 1, top + size - 1
    draw.rectangle((left, top, right, bottom), fill=_PLACEHOLDER_FILL, outline=_PLACEHOLDER_LINES)
    draw.line((left, top, right, bottom), fill=_PLACEHOLDER_LINES)
    draw.line((left, bottom, right, top), fill=_PLACEHOLDER_LINES)
    label_width = draw.textlength(label, font=font)
    label_left = left + (size - label_width) / 2
    label_top = top + (size - _line_height(font)) / 2
    # A backing box keeps the label readable where it crosses the diagonals.
    draw.rectangle((label_left - 2, label_top - 1, label_left + label_width + 2, label_top + _line_height(font)),
                   fill=_PLACEHOLDER_FILL)
    draw.text((label_left, label_top), label, fill=_CAPTION_COLOUR, font=font)


def fit_caption(
    caption: str,
    max_width: float,
    draw: ImageDraw.ImageDraw,
    font: ImageFont.ImageFont | ImageFont.FreeTypeFont,
) -> str:
    """Return CAPTION on one line, ending in "..." if it is wider than MAX_WIDTH pixels in FONT."""
    text = " ".join(caption.split())
    if not isinstance(font, ImageFont.FreeTypeFont):
        # The bitmap fallback font can only encode Latin-1.
        text = text.encode("latin-1", "replace").decode("latin-1")
    if draw.textlength(text, font=font) <= max_width:
        return text

    # Binary search for the longest start of the text that fits with the ellipsis.
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if draw.textlength(text[:middle] + ELLIPSIS, font=font) <= max_width:
            low = middle
        else:
            high = middle - 1
    return text[:low] + ELLIPSIS


def _load_font() -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    # NOTE: Pillow's default FreeType font has Latin glyphs only, so CJK and
    # emoji captions are drawn as empty boxes. Bundling a wider font would fix it.
    if features.check("freetype2"):
        try:
            return ImageFont.load_default(size=CAPTION_FONT_SIZE)
        except TypeError:  # Pillow before 10.1 takes no size
            pass
    return ImageFont.load_default()


def _line_height(font: ImageFont.ImageFont | ImageFont.FreeTypeFont) -> int:
    left, top, right, bottom = font.getbbox("Ag")
    return int(bottom) + 2
