"""Collisions: distinct, repeatable output names when several rows resolve to the same file."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, Hashable, Iterable, TypeVar

from ..problems import Problem, Severity
from .safe_names import MAX_FILE_NAME_BYTES, fit_component, fit_file_name

Key = TypeVar("Key", bound=Hashable)


@dataclass
class UniqueNames(Generic[Key]):
    """Distinct output paths by key (usually a row ID), and a warning per renamed path."""

    paths: dict[Key, Path] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def collision_key(path: Path) -> str:
    """Return the form of PATH under which two paths name the same file on any file system.

    NTFS and the default APFS are case-insensitive and APFS ignores Unicode
    normalisation, so paths are compared in NFC and case-folded.
    """
    return unicodedata.normalize("NFC", path.as_posix()).casefold()


def assign_unique_names(
    planned: Iterable[tuple[Key, Path]],
    reserved: Iterable[Path] = (),
) -> UniqueNames[Key]:
    """Give every planned output a distinct path, renaming the later ones of a collision.

    PLANNED is the whole batch in row order: (key, path) with unique keys. The
    first row that plans a path keeps it. A later row that plans the same path
    (compared by `collision_key`) gets "_2", "_3", ... before the extension,
    choosing the smallest number whose path no row planned and no earlier row
    took. RESERVED paths (files the run writes itself, such as a contact sheet)
    are never given to a row.

    The result depends only on PLANNED and RESERVED, never on files on disk, so
    the same batch gets the same names on every run, and a rerun replaces a
    row's file instead of adding a copy.
    """
    planned_list = list(planned)
    _check_unique_keys(planned_list)

    reserved_keys = {collision_key(path): path for path in reserved}
    natural_keys = {collision_key(path) for _, path in planned_list}
    owners: dict[str, Key] = {}
    result: UniqueNames[Key] = UniqueNames()

    for key, path in planned_list:
        path_key = collision_key(path)
        if path_key not in owners and path_key not in reserved_keys:
            owners[path_key] = key
            result.paths[key] = path
            continue

        renamed = _first_free_variant(path, unavailable=owners.keys() | natural_keys | reserved_keys.keys())
        owners[collision_key(renamed)] = key
        result.paths[key] = renamed
        result.problems.append(_collision_warning(key, owners.get(path_key), path, renamed))
    return result


def _first_free_variant(path: Path, unavailable: set[str]) -> Path:
    number = 2
    while True:
        candidate = path.with_name(_numbered_name(path.name, number))
        if collision_key(candidate) not in unavailable:
            return candidate
        number += 1


def _numbered_name(name: str, number: int) -> str:
    stem, dot, extension = name.rpartition(".")
    if not dot:
        return fit_component(f"{name}_{number}", MAX_FILE_NAME_BYTES)
    return fit_file_name(stem, extension, f"_{number}")


def _collision_warning(key: Hashable, first_owner: Hashable | None, path: Path, renamed: Path) -> Problem:
    if first_owner is None:
        cause = "a file the run itself writes"
    else:
        cause = f"row '{first_owner}'"
    return Problem(
        f"row '{key}' resolves to the same file as {cause} ({path.name!r}; names are compared "
        f"ignoring case); it is saved as {renamed.name!r}",
        row_id=str(key),
        value=str(path),
        severity=Severity.WARNING,
    )


def _check_unique_keys(planned: list[tuple[Key, Path]]) -> None:
    seen: set[Key] = set()
    for key, _ in planned:
        if key in seen:
            raise ValueError(f"planned outputs repeat the key {key!r}; give each output its own key")
        seen.add(key)
