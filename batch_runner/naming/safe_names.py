"""Safe path components: one folder or file name that Windows, macOS and Linux all accept.

Every rule replaces text with `_` and never deletes it, so two different inputs
rarely collapse into the same name and a reader can still recognise the input.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

REPLACEMENT = "_"

# Windows rejects these in any file name. "/" and "\" are here as well, so text
# that passes through `safe_component` can never add a folder level.
FORBIDDEN_CHARACTERS = frozenset('<>:"/\\|?*')

# Explicit bidirectional formatting characters. They are legal in file names but
# can make "gpj.exe" display as "exe.jpg", so they are replaced like controls.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

# Device names that Windows reserves in every folder, with or without an extension
# ("nul.txt" too), compared case-insensitively. Source: Microsoft's "Naming Files,
# Paths, and Namespaces" page, which lists COM0-9, COM¹²³, LPT0-9 and LPT¹²³.
WINDOWS_RESERVED_NAMES = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"{device}{digit}" for device in ("COM", "LPT") for digit in "0123456789\u00b9\u00b2\u00b3"}
)

# Most file systems (ext4, APFS, NTFS) limit one name to 255 bytes or 255 UTF-16
# code units. UTF-8 never uses fewer bytes than UTF-16 uses code units, so a
# 255-byte limit satisfies both.
MAX_COMPONENT_BYTES = 255

# An image name stays 5 bytes shorter so that its sidecar "<image name>.json" also fits.
SIDECAR_SUFFIX = ".json"
MAX_FILE_NAME_BYTES = MAX_COMPONENT_BYTES - len(SIDECAR_SUFFIX)

HASH_SEPARATOR = "~"
HASH_LENGTH = 8  # hex digits of SHA-256: 32 bits, enough to tell apart names in one folder

_ZERO_WIDTH_JOINER = "\u200d"

# One pattern for every character `_is_unsafe_character` rejects: Unicode
# category Cc is exactly U+0000-U+001F and U+007F-U+009F, and Cs is
# U+D800-U+DFFF. A regular expression is several times faster than a
# per-character test, which matters when a batch names 100,000 rows.
_UNSAFE_CHARACTER = re.compile(
    "[" + re.escape("".join(sorted(FORBIDDEN_CHARACTERS | BIDI_CONTROLS))) + "\x00-\x1f\x7f-\x9f\ud800-\udfff]"
)


def safe_component(text: str) -> str:
    """Return TEXT as one folder or file name that every common file system accepts.

    The text is first NFC-normalised, the form most Linux and Windows tools
    produce, so names typed on macOS match names typed elsewhere. Then each
    unsafe character becomes `_`: the characters in FORBIDDEN_CHARACTERS,
    control characters (Unicode category Cc, which covers ASCII 0-31 and 127),
    lone surrogates and bidirectional controls. Leading dots and spaces and trailing dots and spaces
    become `_` too, so the result is never ".", ".." or a hidden file. A Windows
    device name gets `_` after the device part ("nul.txt" becomes "nul_.txt"). An
    empty result becomes "_". The length is not limited here; see `fit_component`.
    """
    text = unicodedata.normalize("NFC", text)
    text = _UNSAFE_CHARACTER.sub(REPLACEMENT, text)
    text = _replace_edge_dots_and_spaces(text)
    text = _suffix_reserved_device_name(text)
    return text or REPLACEMENT


def fit_component(name: str, max_bytes: int = MAX_COMPONENT_BYTES) -> str:
    """Return NAME cut to MAX_BYTES of UTF-8, ending in `~<hash>` when it had to be cut.

    The hash is taken over the whole uncut NAME, so two long names that share
    their first MAX_BYTES still end up different.
    """
    if _utf8_length(name) <= max_bytes:
        return name

    tag = name_hash_tag(name)
    return cut_to_bytes(name, max_bytes - _utf8_length(tag)) + tag


def fit_file_name(
    stem: str,
    extension: str,
    suffix: str = "",
    max_bytes: int = MAX_FILE_NAME_BYTES,
) -> str:
    """Return "<stem><suffix>.<extension>" within MAX_BYTES, cutting only the stem.

    SUFFIX (an image number such as "_003" or a collision number such as "_2")
    and the extension are always kept whole. When the stem is cut, `~<hash>` of
    the whole uncut stem goes between the cut stem and the suffix.
    """
    ending = f"{suffix}.{extension}"
    whole = stem + ending
    if _utf8_length(whole) <= max_bytes:
        return whole

    tag = name_hash_tag(stem)
    budget = max_bytes - _utf8_length(ending) - _utf8_length(tag)
    if budget < 0:
        raise ValueError(f"suffix and extension {ending!r} leave no room for a name within {max_bytes} bytes")
    return cut_to_bytes(stem, budget) + tag + ending


def name_hash_tag(text: str) -> str:
    """Return "~" and the first HASH_LENGTH hex digits of the SHA-256 of TEXT in UTF-8."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return HASH_SEPARATOR + digest[:HASH_LENGTH]


def cut_to_bytes(text: str, max_bytes: int) -> str:
    """Return the longest start of TEXT whose UTF-8 form fits in MAX_BYTES.

    The cut never splits a character. It also moves back past combining marks,
    variation selectors, emoji modifiers, zero-width joiners and half of a flag.
    So an emoji sequence such as a family or a flag is kept or dropped whole.
    """
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text

    end = len(encoded[:max(max_bytes, 0)].decode("utf-8", errors="ignore"))
    return text[:_cluster_boundary_before(text, end)]


def cut_to_characters(text: str, max_characters: int) -> str:
    """Return at most MAX_CHARACTERS code points of TEXT, cut where `cut_to_bytes` would cut."""
    if len(text) <= max_characters:
        return text
    return text[:_cluster_boundary_before(text, max_characters)]


def _is_unsafe_character(character: str) -> bool:
    if character in FORBIDDEN_CHARACTERS or character in BIDI_CONTROLS:
        return True
    return unicodedata.category(character) in ("Cc", "Cs")


def _replace_edge_dots_and_spaces(text: str) -> str:
    start = len(text) - len(text.lstrip(". "))
    if start == len(text):
        return REPLACEMENT * len(text)

    end = len(text.rstrip(". "))
    return REPLACEMENT * start + text[start:end] + REPLACEMENT * (len(text) - end)


def _suffix_reserved_device_name(text: str) -> str:
    # Windows ignores spaces between the device name and the extension ("CON .png").
    device_part = text.split(".", 1)[0].rstrip(" ")
    if device_part.upper() not in WINDOWS_RESERVED_NAMES:
        return text
    return device_part + REPLACEMENT + text[len(device_part):]


def _cluster_boundary_before(text: str, end: int) -> int:
    while 0 < end < len(text) and (_extends_previous(text[end]) or text[end - 1] == _ZERO_WIDTH_JOINER):
        end -= 1

    # Regional indicators pair up from the start of a run ("🇯🇵🇫🇷"), so an odd
    # count before the cut means the cut splits a flag.
    if 0 < end < len(text) and _is_regional_indicator(text[end]):
        run_start = end
        while run_start > 0 and _is_regional_indicator(text[run_start - 1]):
            run_start -= 1
        if (end - run_start) % 2 == 1:
            end -= 1
    return end


def _extends_previous(character: str) -> bool:
    code = ord(character)
    if unicodedata.category(character) in ("Mn", "Mc", "Me"):
        return True
    return (
        character == _ZERO_WIDTH_JOINER
        or 0xFE00 <= code <= 0xFE0F  # variation selectors
        or 0x1F3FB <= code <= 0x1F3FF  # emoji skin-tone modifiers
        or 0xE0020 <= code <= 0xE007F  # tag characters of subdivision flags
    )


def _is_regional_indicator(character: str) -> bool:
    return 0x1F1E6 <= ord(character) <= 0x1F1FF


def _utf8_length(text: str) -> int:
    return len(text.encode("utf-8"))
