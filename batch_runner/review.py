"""Contact sheets for a finished run: one for the whole delivery and one per subfolder."""

from __future__ import annotations

import logging
from collections import defaultdict
from pathlib import Path, PurePosixPath

from .contact_sheet import make_contact_sheet
from .storage.manifest import ManifestRecord

logger = logging.getLogger(__name__)

# The leading underscore keeps the sheet apart from row images, which the
# output plan never names like this (it reserves the name).
CONTACT_SHEET = "_contact_sheet.png"


def write_contact_sheets(run_dir: Path, records: list[ManifestRecord]) -> list[Path]:
    """Draw every done or suspect row's images, captioned with the row ID; returns the pages written.

    Per-subfolder sheets go into the subfolder itself, beside the images they show.
    """
    delivered = [record for record in sorted(records, key=lambda r: r.row) if record.status in ("done", "suspect")]
    everything = [(record.row_id, run_dir / name) for record in delivered for name in record.files]
    if not everything:
        return []

    pages = make_contact_sheet(everything, run_dir / CONTACT_SHEET)
    by_folder: dict[str, list[tuple[str, Path]]] = defaultdict(list)
    for record in delivered:
        for name in record.files:
            folder = PurePosixPath(name).parent.as_posix()
            if folder != ".":
                by_folder[folder].append((record.row_id, run_dir / name))
    for folder, images in sorted(by_folder.items()):
        pages += make_contact_sheet(images, run_dir / folder / CONTACT_SHEET)
    logger.info("Contact sheets written for %s: %d page(s)", run_dir.name, len(pages))
    return pages
