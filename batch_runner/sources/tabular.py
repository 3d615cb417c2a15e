"""CSV, TSV and delimited TXT files, parsed by pandas with every cell kept as text."""

from __future__ import annotations

import io
from typing import Sequence

import pandas as pd

from ..problems import BatchValidationError, Problem
from .decoding import decode_source
from .dialect import detect_delimiter, max_field_count, trim_padding, unclosed_quote_line
from .options import DETECTED_DELIMITERS, SourceOptions
from .table import RawTable, TableSource, build_table_source

TSV_PREFERENCE = ("\t", ",", ";", "|")


def read_delimited(data: bytes, file: str, options: SourceOptions, format: str) -> TableSource:
    """Read delimited text: detect encoding and delimiter, parse, check the header and rows.

    Line breaks are normalised to "\\n" first, also inside quoted fields, so a
    file saved with CRLF gives the same values and derived ids as one saved
    with LF. Spaces around delimiters are trimmed; spaces inside quotes are
    kept. Cells never become numbers or NaN: an empty cell is "".
    """
    decoded = decode_source(data, file, options.encoding)
    text = decoded.text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise BatchValidationError([Problem("the file is empty; add a header line and at least one row", file=file)])

    preferred: Sequence[str] = TSV_PREFERENCE if format == "tsv" else DETECTED_DELIMITERS
    delimiter = options.resolved_delimiter() or detect_delimiter(text, preferred)
    text = trim_padding(text, delimiter)
    cells = _parse(text, delimiter, file)

    raw = RawTable(
        file=file,
        format=format,
        header=cells[0],
        records=cells[1:],
        encoding=decoded.encoding,
        delimiter=delimiter,
        notes=decoded.notes,
    )
    return build_table_source(raw, options)


def _parse(text: str, delimiter: str, file: str) -> list[list[str]]:
    # The C parser takes its width from the first line and rejects wider rows.
    # A file with wider rows is therefore read again with the widest row's
    # width, and build_table_source reports the rows whose extra cells have values.
    try:
        return _read_frame(text, delimiter, width=None)
    except pd.errors.ParserError:
        pass

    try:
        return _read_frame(text, delimiter, width=max_field_count(text, delimiter))
    except pd.errors.ParserError as error:
        raise BatchValidationError([_parser_problem(text, delimiter, file, error)]) from None


def _read_frame(text: str, delimiter: str, width: int | None) -> list[list[str]]:
    frame = pd.read_csv(
        io.StringIO(text),
        sep=delimiter,
        header=None,
        names=list(range(width)) if width else None,
        index_col=False,
        dtype=str,
        keep_default_na=False,
        na_filter=False,
        skip_blank_lines=True,
        quotechar='"',
        doublequote=True,
        engine="c",
    )
    return frame.to_numpy(dtype=object).tolist()


def _parser_problem(text: str, delimiter: str, file: str, error: Exception) -> Problem:
    line = unclosed_quote_line(text, delimiter)
    if line is not None:
        return Problem(
            message=(
                f"a quoted field opens on line {line} but never closes; close it with a quote,"
                f' and write a quote inside a quoted field as two quotes ("")'
            ),
            file=file,
        )
    return Problem(message=f"the file cannot be parsed as delimited text: {error}", file=file)
