"""Turning a source file's bytes into text, with the encoding detected and announced.

Detection order: a byte-order mark (UTF-8, UTF-16 or UTF-32, either byte
order), then UTF-16 without a mark when the NUL-byte pattern shows it, then
strict UTF-8, then Windows-1252 when allowed. Every fallback is logged at
WARNING and recorded in the notes. Bytes that no candidate defines raise an
error naming the line and byte offset. No byte is replaced or dropped.
"""

from __future__ import annotations

import codecs
import logging
from dataclasses import dataclass

from ..problems import BatchValidationError, Problem

logger = logging.getLogger(__name__)

WINDOWS_1252 = "cp1252"
ENCODING_ALLOWED = "UTF-8 (with or without BOM), UTF-16 with BOM, or Windows-1252"

# (mark, codec that consumes the mark, name reported in SourceInfo). Longest
# marks first, because the UTF-32 LE mark starts with the UTF-16 LE mark.
_BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32", "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32", "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig", "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16", "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16", "utf-16-be"),
)
_NUL_SAMPLE_BYTES = 4096


@dataclass(frozen=True)
class DecodedText:
    """A file's text, the codec that decoded it, and notes announcing any guess."""

    text: str
    encoding: str
    notes: tuple[str, ...] = ()


def decode_source(
    data: bytes, file: str, encoding: str | None = None, *, allow_windows_1252: bool = True
) -> DecodedText:
    """Decode a whole source file; raise BatchValidationError naming the line and byte that fail."""
    if encoding is not None:
        return DecodedText(_decode_strict(data, encoding, file), encoding)

    for mark, codec, name in _BYTE_ORDER_MARKS:
        if data.startswith(mark):
            return DecodedText(_decode_strict(data, codec, file), name)

    utf16 = _guess_utf16_without_mark(data)
    if utf16 is not None:
        note = f"decoded as {utf16.upper()}: the file has no byte-order mark, but its NUL bytes show UTF-16"
        logger.warning("%s: %s", file, note)
        return DecodedText(_decode_strict(data, utf16, file), utf16, (note,))

    try:
        return DecodedText(_without_nul(data.decode("utf-8"), file), "utf-8")
    except UnicodeDecodeError as utf8_error:
        if not allow_windows_1252:
            problem = _undecodable_problem(data, utf8_error, "the file is not valid UTF-8", file)
            raise BatchValidationError([problem]) from None
        return _decode_windows_1252(data, utf8_error, file)


def _decode_windows_1252(data: bytes, utf8_error: UnicodeDecodeError, file: str) -> DecodedText:
    try:
        text = data.decode(WINDOWS_1252)
    except UnicodeDecodeError as error:
        problem = _undecodable_problem(
            data, error, "the file is neither valid UTF-8 nor valid Windows-1252", file
        )
        raise BatchValidationError([problem]) from None

    byte = data[utf8_error.start]
    line = _line_of_offset(data, utf8_error.start, "utf-8")
    note = (
        f"decoded as Windows-1252 because the file is not valid UTF-8"
        f" (first invalid byte 0x{byte:02X} on line {line}); save it as UTF-8 to avoid this guess"
    )
    logger.warning("%s: %s", file, note)
    return DecodedText(_without_nul(text, file), WINDOWS_1252, (note,))


def _decode_strict(data: bytes, encoding: str, file: str) -> str:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        problem = _undecodable_problem(data, error, f"the file is not valid {encoding}", file)
        raise BatchValidationError([problem]) from None

    # A mark left in front when the caller named a plain codec such as utf-8 or utf-16-le.
    return _without_nul(text.removeprefix("\ufeff"), file)


def _guess_utf16_without_mark(data: bytes) -> str | None:
    sample = data[:_NUL_SAMPLE_BYTES]
    if b"\x00" not in sample:
        return None

    # Text in UTF-16 has a NUL in one byte of nearly every ASCII character.
    half = max(len(sample) // 2, 1)
    even_nuls = sample[0::2].count(0) / half
    odd_nuls = sample[1::2].count(0) / half
    if odd_nuls > 0.3 and even_nuls < 0.05:
        return "utf-16-le"
    if even_nuls > 0.3 and odd_nuls < 0.05:
        return "utf-16-be"
    return None


def _without_nul(text: str, file: str) -> str:
    position = text.find("\x00")
    if position < 0:
        return text

    line = text.count("\n", 0, position) + 1
    raise BatchValidationError(
        [
            Problem(
                message=(
                    f"the file contains a NUL character on line {line}, so it is not a text file"
                    f" in a supported encoding; save it again as UTF-8 text"
                ),
                file=file,
                allowed=ENCODING_ALLOWED,
            )
        ]
    )


def _undecodable_problem(data: bytes, error: UnicodeDecodeError, failure: str, file: str) -> Problem:
    byte_text = f"0x{data[error.start]:02X}"
    line = _line_of_offset(data, error.start, error.encoding)
    return Problem(
        message=(
            f"{failure}: byte {byte_text} on line {line} (byte offset {error.start})"
            f" cannot be decoded; save the file as UTF-8 (in Excel: CSV UTF-8) or set the option encoding"
        ),
        file=file,
        value=byte_text,
        allowed=ENCODING_ALLOWED,
    )


def _line_of_offset(data: bytes, offset: int, encoding: str) -> int:
    prefix = data[:offset].decode(encoding, errors="replace")
    return prefix.count("\n") + 1
