"""Contact sheets: pages of captioned thumbnails, with placeholders for missing images."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from batch_runner.contact_sheet import ELLIPSIS, _load_font, fit_caption, make_contact_sheet

PLACEHOLDER_FILL = (225, 225, 225)
BACKGROUND = (255, 255, 255)
MARGIN = 8


def coloured(tmp_path: Path, name: str, colour: tuple[int, int, int], size: tuple[int, int] = (300, 200)) -> Path:
    path = tmp_path / name
    Image.new("RGB", size, colour).save(path)
    return path


def caption_height() -> int:
    left, top, right, bottom = _load_font().getbbox("Ag")
    return int(bottom) + 2 + 2 * 4


def cell_origin(position: int, columns: int, thumb_size: int) -> tuple[int, int]:
    row, column = divmod(position, columns)
    return MARGIN + column * (thumb_size + MARGIN), MARGIN + row * (thumb_size + caption_height() + MARGIN)


def test_sheet_draws_thumbnails_and_placeholders(tmp_path: Path) -> None:
    red = coloured(tmp_path, "red.png", (255, 0, 0))
    blue = coloured(tmp_path, "blue.png", (0, 0, 255), size=(100, 400))
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image")
    images = [("row-1", red), ("row-2", tmp_path / "absent.png"), ("row-3", broken), ("row-4", blue),
              ("row-5", None)]
    out = tmp_path / "sheets" / "contact_sheet.png"

    pages = make_contact_sheet(images, out, columns=3, thumb_size=64)

    assert pages == [out]
    with Image.open(out) as sheet:
        sheet = sheet.convert("RGB")
    assert sheet.size == (3 * 72 + MARGIN, 2 * (64 + caption_height() + MARGIN) + MARGIN)

    red_left, red_top = cell_origin(0, 3, 64)
    assert sheet.getpixel((red_left + 32, red_top + 32)) == (255, 0, 0)
    assert sheet.getpixel((red_left + 32, red_top + 2)) == BACKGROUND  # 300x200 fits as 64x43, centred

    for position in (1, 2, 4):
        left, top = cell_origin(position, 3, 64)
        assert sheet.getpixel((left + 32, top + 3)) == PLACEHOLDER_FILL

    blue_left, blue_top = cell_origin(3, 3, 64)
    assert sheet.getpixel((blue_left + 32, blue_top + 32)) == (0, 0, 255)
    assert sheet.getpixel((blue_left + 2, blue_top + 32)) == BACKGROUND  # 100x400 fits as 16x64


def test_captions_are_drawn_under_thumbnails(tmp_path: Path) -> None:
    red = coloured(tmp_path, "red.png", (255, 0, 0))
    out = tmp_path / "contact_sheet.png"

    make_contact_sheet([("caption", red)], out, columns=1, thumb_size=64)

    with Image.open(out) as sheet:
        band = sheet.convert("L").crop((MARGIN, MARGIN + 64, MARGIN + 64, MARGIN + 64 + caption_height()))
    assert band.getextrema()[0] < 128  # some dark caption pixels


def test_many_images_split_into_pages(tmp_path: Path) -> None:
    red = coloured(tmp_path, "red.png", (255, 0, 0), size=(32, 32))
    images = [(f"row-{number}", red) for number in range(250)]
    out = tmp_path / "contact_sheet.png"

    pages = make_contact_sheet(images, out, columns=10, thumb_size=32)

    assert pages == [out, tmp_path / "contact_sheet_2.png", tmp_path / "contact_sheet_3.png"]
    sizes = []
    for page in pages:
        with Image.open(page) as sheet:
            sizes.append(sheet.size)
    row_height = 32 + caption_height() + MARGIN
    assert sizes == [
        (10 * 40 + MARGIN, 10 * row_height + MARGIN),
        (10 * 40 + MARGIN, 10 * row_height + MARGIN),
        (10 * 40 + MARGIN, 5 * row_height + MARGIN),
    ]


def test_per_page_limit_is_configurable(tmp_path: Path) -> None:
    red = coloured(tmp_path, "red.png", (255, 0, 0), size=(16, 16))

    pages = make_contact_sheet([("a", red)] * 7, tmp_path / "sheet.png", columns=2, thumb_size=16, per_page=3)

    assert [page.name for page in pages] == ["sheet.png", "sheet_2.png", "sheet_3.png"]


def test_empty_list_writes_nothing(tmp_path: Path) -> None:
    assert make_contact_sheet([], tmp_path / "contact_sheet.png") == []
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("columns, thumb_size, per_page", [(0, 64, 100), (3, 8, 100), (3, 64, 0)])
def test_invalid_layout_is_rejected(tmp_path: Path, columns: int, thumb_size: int, per_page: int) -> None:
    with pytest.raises(ValueError, match="invalid contact sheet layout"):
        make_contact_sheet([("a", None)], tmp_path / "s.png", columns=columns, thumb_size=thumb_size,
                           per_page=per_page)


def test_long_caption_is_ellipsised() -> None:
    font = _load_font()
    draw = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    caption = "a very long row identifier that cannot fit under one thumbnail " * 3

    text = fit_caption(caption, 100, draw, font)

    assert text.endswith(ELLIPSIS)
    assert caption.startswith(text[:-len(ELLIPSIS)])
    assert draw.textlength(text, font=font) <= 100
    assert draw.textlength(text[:-len(ELLIPSIS)] + caption[len(text) - len(ELLIPSIS)] + ELLIPSIS, font=font) > 100


def test_short_caption_is_unchanged() -> None:
    draw = ImageDraw.Draw(Image.new("RGB", (1, 1)))

    assert fit_caption("row-1", 100, draw, _load_font()) == "row-1"


def test_caption_line_breaks_become_spaces() -> None:
    draw = ImageDraw.Draw(Image.new("RGB", (1, 1)))

    assert fit_caption("a\nb\tc", 500, draw, _load_font()) == "a b c"


def test_unicode_caption_is_drawn(tmp_path: Path) -> None:
    red = coloured(tmp_path, "red.png", (255, 0, 0), size=(16, 16))

    pages = make_contact_sheet([("😀🎨東京の夜景" * 12, red)], tmp_path / "s.png", thumb_size=64)

    assert len(pages) == 1


def test_large_source_image_is_thumbnailed(tmp_path: Path) -> None:
    big = coloured(tmp_path, "big.jpg", (0, 128, 0), size=(4000, 3000))

    [page] = make_contact_sheet([("big", big)], tmp_path / "s.png", thumb_size=64)

    with Image.open(page) as sheet:
        assert sheet.size == (72 + MARGIN, 64 + caption_height() + MARGIN + MARGIN)
        red, green, blue = sheet.convert("RGB").getpixel((MARGIN + 32, MARGIN + 32))
    assert red < 20
    assert blue < 20
    assert math.isclose(green, 128, abs_tol=4)
