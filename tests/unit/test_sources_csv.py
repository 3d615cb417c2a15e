"""CSV, TSV and TXT sources: encodings, delimiters, quoting, padding, ragged rows, headers and ids."""

from __future__ import annotations

import logging
import random
from pathlib import Path

import pytest

from batch_runner.ids import content_id
from batch_runner.problems import BatchValidationError, Problem
from batch_runner.sources import SUPPORTED_EXTENSIONS, SourceOptions, load_source


def write(folder: Path, name: str, data: str | bytes) -> Path:
    path = folder / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def values(path: Path, options: SourceOptions | None = None) -> list[dict[str, str]]:
    return [row.values for row in load_source(path, options)]


def problems_of(path: Path, options: SourceOptions | None = None) -> list[Problem]:
    with pytest.raises(BatchValidationError) as raised:
        load_source(path, options)
    return raised.value.problems


# Reading cells as text


def test_basic_csv_rows_and_info(tmp_path: Path) -> None:
    path = write(tmp_path, "jobs.csv", "id,prompt,seed,cfg\na,a fox,7,7.5\nb,a cat,8,6\n")

    source = load_source(path)
    rows = list(source)

    assert len(source) == 2
    assert [(row.number, row.id) for row in rows] == [(1, "a"), (2, "b")]
    assert rows[0].values == {"id": "a", "prompt": "a fox", "seed": "7", "cfg": "7.5"}
    assert list(rows[0].values) == ["id", "prompt", "seed", "cfg"]
    assert source.info.columns == ("id", "prompt", "seed", "cfg")
    assert source.info.column_types == {"id": "text", "prompt": "text", "seed": "int", "cfg": "float"}
    assert source.info.format == "csv"
    assert source.info.encoding == "utf-8"
    assert source.info.delimiter == ","
    assert source.info.path == str(path)


def test_source_is_reiterable_with_fresh_dicts(tmp_path: Path) -> None:
    source = load_source(write(tmp_path, "jobs.csv", "id,prompt\na,x\n"))

    first = next(iter(source))
    first.values["prompt"] = "changed"

    assert next(iter(source)).values["prompt"] == "x"


def test_empty_and_na_like_cells_stay_text(tmp_path: Path) -> None:
    path = write(tmp_path, "jobs.csv", "id,a,b,c,d\n1,,NA,null,nan\n2,None,N/A,#N/A,\n")

    assert values(path) == [
        {"id": "1", "a": "", "b": "NA", "c": "null", "d": "nan"},
        {"id": "2", "a": "None", "b": "N/A", "c": "#N/A", "d": ""},
    ]


def test_large_integers_stay_exact(tmp_path: Path) -> None:
    path = write(tmp_path, "jobs.csv", "id,seed\nx,18446744073709551615\ny,0004294967296\n")

    source = load_source(path)

    assert [row.values["seed"] for row in source] == ["18446744073709551615", "0004294967296"]
    assert source.info.column_types["seed"] == "int"


def test_leading_zero_ids_kept(tmp_path: Path) -> None:
    source = load_source(write(tmp_path, "jobs.csv", "id,prompt\n004,x\n010,y\n"))

    assert [row.id for row in source] == ["004", "010"]
    assert source.info.column_types["id"] == "int"


# Encodings


def test_utf8_bom_gives_clean_header(tmp_path: Path) -> None:
    path = write(tmp_path, "jobs.csv", b"\xef\xbb\xbfname,prompt\nx,y\n")

    source = load_source(path)

    assert source.info.columns == ("name", "prompt")
    assert source.info.encoding == "utf-8-sig"


@pytest.mark.parametrize(("codec", "reported"), [("utf-16-le", "utf-16-le"), ("utf-16-be", "utf-16-be")])
def test_utf16_with_bom(tmp_path: Path, codec: str, reported: str) -> None:
    # Excel's "Unicode Text" export: UTF-16 with a mark, tab-delimited.
    mark = "\ufeff".encode(codec)
    text = "id\tprompt\r\nk1\tSchwarzwälder Kirschtorte…\r\n"
    path = write(tmp_path, "jobs.txt", mark + text.encode(codec))

    source = load_source(path)

    assert source.info.encoding == reported
    assert source.info.delimiter == "\t"
    assert source.info.columns == ("id", "prompt")
    assert [row.values["prompt"] for row in source] == ["Schwarzwälder Kirschtorte…"]


def test_utf32_with_bom(tmp_path: Path) -> None:
    path = write(tmp_path, "jobs.csv", "\ufeffid,prompt\na,crème\n".encode("utf-32-le"))

    source = load_source(path)

    assert source.info.encoding == "utf-32-le"
    assert [row.values for row in source] == [{"id": "a", "prompt": "crème"}]


def test_utf16_without_bom_is_guessed_and_announced(tmp_path: Path) -> None:
    path = write(tmp_path, "jobs.csv", "id,prompt\na,crème brûlée\n".encode("utf-16-le"))

    source = load_source(path)

    assert source.info.encoding == "utf-16-le"
    assert [row.values["prompt"] for row in source] == ["crème brûlée"]
    assert any("no byte-order mark" in note for note in source.info.notes)


def test_windows_1252_fallback_is_announced(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = write(tmp_path, "jobs.csv", "id,prompt\nk,“quoted” café – 5€\n".encode("cp1252"))

    with caplog.at_level(logging.WARNING):
        source = load_source(path)

    assert [row.values["prompt"] for row in source] == ["“quoted” café – 5€"]
    assert source.info.encoding == "cp1252"
    assert source.info.notes[0].startswith("decoded as Windows-1252 because the file is not valid UTF-8")
    assert "line 2" in source.info.notes[0]
    assert any("Windows-1252" in record.getMessage() for record in caplog.records)


def test_undefined_windows_1252_byte_names_line_and_offset(tmp_path: Path) -> None:
    data = b"id,prompt\na,caf\xe9\nb,bad \x81 byte\n"
    offset = data.index(b"\x81")

    problems = problems_of(write(tmp_path, "jobs.csv", data))

    assert len(problems) == 1
    assert problems[0].file == str(tmp_path / "jobs.csv")
    assert problems[0].value == "0x81"
    assert "neither valid UTF-8 nor valid Windows-1252" in problems[0].message
    assert f"line 3 (byte offset {offset})" in problems[0].message


def test_explicit_encoding_is_used(tmp_path: Path) -> None:
    path = write(tmp_path, "jobs.csv", "id,prompt\na,Ærø\n".encode("latin-1"))

    source = load_source(path, SourceOptions(encoding="latin-1"))

    assert source.info.encoding == "latin-1"
    assert [row.values["prompt"] for row in source] == ["Ærø"]
    assert source.info.notes == ()


def test_explicit_encoding_that_fails_names_the_byte(tmp_path: Path) -> None:
    problems = problems_of(write(tmp_path, "jobs.csv", b"id,prompt\na,caf\xe9\n"), SourceOptions(encoding="utf-8"))

    assert "not valid utf-8: byte 0xE9 on line 2 (byte offset 15)" in problems[0].message


def test_unknown_encoding_option(tmp_path: Path) -> None:
    problems = problems_of(write(tmp_path, "jobs.csv", "id\na\n"), SourceOptions(encoding="klingon"))

    assert problems[0].value == "klingon"
    assert "encoding" in problems[0].message


def test_nul_bytes_rejected(tmp_path: Path) -> None:
    problems = problems_of(write(tmp_path, "jobs.csv", b"id,prompt\na,b\x00c\nx,y\n"))

    assert "NUL character on line 2" in problems[0].message


# Delimiters


def test_semicolon_csv_with_decimal_commas(tmp_path: Path) -> None:
    path = write(tmp_path, "jobs.csv", "id;prompt;cfg\na;rot, blau;7,5\nb;grün;6,25\n")

    source = load_source(path)

    assert source.info.delimiter == ";"
    assert [row.values for row in source] == [
        {"id": "a", "prompt": "rot, blau", "cfg": "7,5"},
        {"id": "b", "prompt": "grün", "cfg": "6,25"},
    ]
    assert source.info.column_types["cfg"] == "float"


def test_pipe_delimiter(tmp_path: Path) -> None:
    source = load_source(write(tmp_path, "jobs.txt", "id|prompt\na|x, y; z\n"))

    assert source.info.delimiter == "|"
    assert [row.values["prompt"] for row in source] == ["x, y; z"]


def test_detection_ignores_delimiters_inside_quotes(tmp_path: Path) -> None:
    path = write(tmp_path, "jobs.csv", 'id,prompt\na,"x; y; z"\nb,"p; q; r"\n')

    source = load_source(path)

    assert source.info.delimiter == ","
    assert [row.values["prompt"] for row in source] == ["x; y; z", "p; q; r"]


def test_tsv_with_quotes(tmp_path: Path) -> None:
    path = write(tmp_path, "jobs.tsv", 'id\tprompt\tnegative\na\t"tab\there, ""quoted"""\tblurry, dark\n')

    source = load_source(path)

    assert source.info.format == "tsv"
    assert source.info.delimiter == "\t"
    assert [row.values for row in source] == [{"id": "a", "prompt": 'tab\there, "quoted"', "negative": "blurry, dark"}]


def test_single_column_file(tmp_path: Path) -> None:
    source = load_source(write(tmp_path, "jobs.csv", "prompt\na fox\na cat\n"))

    assert source.info.columns == ("prompt",)
    assert [row.values["prompt"] for row in source] == ["a fox", "a cat"]


@pytest.mark.parametrize("option", [";", "semicolon"])
def test_forced_delimiter(tmp_path: Path, option: str) -> None:
    # Detection would choose the comma, which the header has more of.
    path = write(tmp_path, "jobs.csv", "id;a,b,c\n1;x,y,z\n")

    source = load_source(path, SourceOptions(delimiter=option))

    assert source.info.delimiter == ";"
    assert [row.values for row in source] == [{"id": "1", "a,b,c": "x,y,z"}]


@pytest.mark.parametrize("option", ["tab", "\\t", "\t"])
def test_tab_delimiter_aliases(tmp_path: Path, option: str) -> None:
    source = load_source(write(tmp_path, "jobs.csv", "id\tprompt\na\tx,y\n"), SourceOptions(delimiter=option))

    assert source.info.delimiter == "\t"
    assert [row.values["prompt"] for row in source] == ["x,y"]


def test_invalid_delimiter_option(tmp_path: Path) -> None:
    problems = problems_of(write(tmp_path, "jobs.csv", "id\na\n"), SourceOptions(delimiter=";;"))

    assert problems[0].value == ";;"


# Quoting, line breaks and padding


def test_quoted_commas_doubled_quotes_and_line_breaks(tmp_path: Path) -> None:
    text = 'id,prompt,negative\nm1,"studio photo, ""hero"" shot\non walnut","blurry, low"\nm2,plain,x\n'

    assert values(write(tmp_path, "jobs.csv", text)) == [
        {"id": "m1", "prompt": 'studio photo, "hero" shot\non walnut', "negative": "blurry, low"},
        {"id": "m2", "prompt": "plain", "negative": "x"},
    ]


def test_crlf_and_multiline_give_same_values_as_lf(tmp_path: Path) -> None:
    lf = 'id,prompt\na,"line one\nline two"\nb,end\n'
    crlf = lf.replace("\n", "\r\n")
    old_mac = lf.replace("\n", "\r")

    expected = [{"id": "a", "prompt": "line one\nline two"}, {"id": "b", "prompt": "end"}]
    assert values(write(tmp_path, "lf.csv", lf)) == expected
    assert values(write(tmp_path, "crlf.csv", crlf)) == expected
    assert values(write(tmp_path, "cr.csv", old_mac)) == expected


def test_quotes_inside_unquoted_fields_are_literal(tmp_path: Path) -> None:
    text = 'id,prompt\na,a 5" screen\nb,say "hi" twice\nc,it\'s fine\n'

    assert [row["prompt"] for row in values(write(tmp_path, "jobs.csv", text))] == [
        'a 5" screen',
        'say "hi" twice',
        "it's fine",
    ]


def test_spaces_around_delimiters_trimmed_but_quoted_spaces_kept(tmp_path: Path) -> None:
    text = ' id , prompt ,  style\n a1 ,  a fox  ,\tfilm \n a2 , "  padded  " , " x, y "\n'

    source = load_source(write(tmp_path, "jobs.csv", text))

    assert source.info.columns == ("id", "prompt", "style")
    assert [row.values for row in source] == [
        {"id": "a1", "prompt": "a fox", "style": "film"},
        {"id": "a2", "prompt": "  padded  ", "style": " x, y "},
    ]


def test_spaces_inside_unquoted_values_kept(tmp_path: Path) -> None:
    assert values(write(tmp_path, "jobs.csv", "id,prompt\na,a  red   fox\n")) == [{"id": "a", "prompt": "a  red   fox"}]


def test_blank_lines_and_empty_rows_skipped(tmp_path: Path) -> None:
    source = load_source(write(tmp_path, "jobs.csv", "id,prompt\n\na,x\n,\n   \n\nb,y\n,,\n"))

    assert [(row.number, row.id) for row in source] == [(1, "a"), (2, "b")]
    assert any("skipped 2 row(s)" in note for note in source.info.notes)


def test_unclosed_quote_names_line(tmp_path: Path) -> None:
    problems = problems_of(write(tmp_path, "jobs.csv", 'id,prompt\na,ok\nb,"never closed\nc,more\n'))

    assert "opens on line 3 but never closes" in problems[0].message


# Ragged rows and headers


def test_trailing_delimiter_on_every_line(tmp_path: Path) -> None:
    source = load_source(write(tmp_path, "jobs.csv", "id,prompt,\na,x,\nb,y,\n"))

    assert source.info.columns == ("id", "prompt")
    assert [row.values for row in source] == [{"id": "a", "prompt": "x"}, {"id": "b", "prompt": "y"}]


def test_trailing_delimiter_on_data_rows_only(tmp_path: Path) -> None:
    assert values(write(tmp_path, "jobs.csv", "id,prompt\na,x,\nb,y,,\n")) == [
        {"id": "a", "prompt": "x"},
        {"id": "b", "prompt": "y"},
    ]


def test_more_cells_than_header_names_every_row(tmp_path: Path) -> None:
    path = write(tmp_path, "jobs.csv", "id,prompt\na,a fox, red\nb,ok\nc,x,y,z\n")

    problems = problems_of(path)

    assert [(problem.row, problem.value) for problem in problems] == [(1, "red"), (3, "y, z")]
    assert "row has 3 cells but the header has 2 columns" in problems[0].message
    assert "put quotes around values that contain a comma" in problems[0].message


def test_fewer_cells_than_header_are_empty(tmp_path: Path) -> None:
    assert values(write(tmp_path, "jobs.csv", "id,prompt,style\na,x\nb\n")) == [
        {"id": "a", "prompt": "x", "style": ""},
        {"id": "b", "prompt": "", "style": ""},
    ]


def test_duplicate_header_names(tmp_path: Path) -> None:
    problems = problems_of(write(tmp_path, "jobs.csv", "id,prompt,seed, prompt\na,x,1,y\n"))

    assert len(problems) == 1
    assert problems[0].column == "prompt"
    assert "columns 2, 4" in problems[0].message


def test_unnamed_empty_column_dropped(tmp_path: Path) -> None:
    source = load_source(write(tmp_path, "jobs.csv", "id,,prompt\na,,x\n"))

    assert source.info.columns == ("id", "prompt")
    assert [row.values for row in source] == [{"id": "a", "prompt": "x"}]
    assert "ignored 1 empty column(s) without a name" in source.info.notes


def test_header_without_names(tmp_path: Path) -> None:
    problems = problems_of(write(tmp_path, "jobs.csv", ",,\na,b,c\n"))

    assert "no column names" in problems[0].message


def test_empty_header_name_with_values(tmp_path: Path) -> None:
    problems = problems_of(write(tmp_path, "jobs.csv", "id,,seed\na,x,1\n"))

    assert problems[0].column == "#2"
    assert "column 2 has values but no name" in problems[0].message


def test_header_only_file(tmp_path: Path) -> None:
    problems = problems_of(write(tmp_path, "jobs.csv", "id,prompt\n"))

    assert "no data rows" in problems[0].message


@pytest.mark.parametrize("content", [b"", b"\n\n  \n", b"\xef\xbb\xbf"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    problems = problems_of(write(tmp_path, "jobs.csv", content))

    assert "the file is empty" in problems[0].message


# Ids


def test_id_problems_listed_together(tmp_path: Path) -> None:
    path = write(tmp_path, "jobs.csv", "id,prompt\na,x\n,y\na,z\n b ,w\nb,v\n")

    problems = problems_of(path)

    assert [(problem.row, problem.value) for problem in problems] == [(2, ""), (3, "a"), (5, "b")]


def test_ids_derived_without_id_column(tmp_path: Path) -> None:
    source = load_source(write(tmp_path, "jobs.csv", "prompt,seed\na fox,1\na cat,2\n"))

    assert [row.id for row in source] == [
        content_id({"prompt": "a fox", "seed": "1"}),
        content_id({"prompt": "a cat", "seed": "2"}),
    ]
    assert any("derived" in note for note in source.info.notes)


def test_derived_ids_independent_of_column_and_row_order(tmp_path: Path) -> None:
    first = load_source(write(tmp_path, "a.csv", "prompt,seed\na fox,1\na cat,2\n"))
    second = load_source(write(tmp_path, "b.csv", "seed,prompt\n2,a cat\n1,a fox\n"))

    assert sorted(row.id for row in first) == sorted(row.id for row in second)


def test_custom_id_column(tmp_path: Path) -> None:
    source = load_source(write(tmp_path, "jobs.csv", "sku,prompt\nA-1,x\nA-2,y\n"), SourceOptions(id_column="sku"))

    assert [row.id for row in source] == ["A-1", "A-2"]


def test_id_column_matched_ignoring_case(tmp_path: Path) -> None:
    source = load_source(write(tmp_path, "jobs.csv", "ID,prompt\nA-1,x\n"))

    assert [row.id for row in source] == ["A-1"]


def test_missing_custom_id_column(tmp_path: Path) -> None:
    problems = problems_of(write(tmp_path, "jobs.csv", "id,prompt\na,x\n"), SourceOptions(id_column="sku"))

    assert problems[0].column == "sku"
    assert problems[0].allowed == "id, prompt"


# Files and limits


def test_max_jobs_cap(tmp_path: Path) -> None:
    path = write(tmp_path, "jobs.csv", "id\n" + "".join(f"r{number}\n" for number in range(5)))

    problems = problems_of(path, SourceOptions(max_jobs=4))

    assert "makes 5 jobs" in problems[0].message
    assert "max_jobs" in problems[0].message
    assert len(load_source(path, SourceOptions(max_jobs=5))) == 5


def test_unsupported_extension_lists_supported(tmp_path: Path) -> None:
    problems = problems_of(write(tmp_path, "jobs.xls", b"whatever"))

    assert problems[0].allowed == ".csv, .tsv, .txt, .xlsx, .json, .jsonl"
    assert SUPPORTED_EXTENSIONS == (".csv", ".tsv", ".txt", ".xlsx", ".json", ".jsonl")


def test_extension_letter_case_ignored(tmp_path: Path) -> None:
    assert values(write(tmp_path, "JOBS.CSV", "id\na\n")) == [{"id": "a"}]


def test_missing_file(tmp_path: Path) -> None:
    problems = problems_of(tmp_path / "absent.csv")

    assert "file not found" in problems[0].message
    assert problems[0].file == str(tmp_path / "absent.csv")


def test_folder_instead_of_file(tmp_path: Path) -> None:
    (tmp_path / "folder.csv").mkdir()

    assert "not a file" in problems_of(tmp_path / "folder.csv")[0].message


# Round trip


def quote_cell(cell: str, delimiter: str, generator: random.Random) -> str:
    padding_before = " " * generator.randint(0, 2)
    padding_after = " " * generator.randint(0, 2)
    needs_quotes = (
        any(special in cell for special in (delimiter, '"', "\n"))
        or cell != cell.strip(" \t")
        or generator.random() < 0.3
    )
    if needs_quotes:
        cell = '"' + cell.replace('"', '""') + '"'
    return padding_before + cell + padding_after


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_random_files_round_trip(tmp_path: Path, delimiter: str) -> None:
    generator = random.Random(20240501)
    alphabet = ["a", "b", " ", ",", ";", "|", '"', "'", "\n", "ä", "{x}", "1", "."]
    expected = []
    lines = [delimiter.join(["id", "prompt", "note"])]
    for number in range(300):
        cells = ["".join(generator.choice(alphabet) for _ in range(generator.randint(0, 12))) for _ in range(2)]
        expected.append({"id": f"r{number}", "prompt": cells[0], "note": cells[1]})
        lines.append(delimiter.join([f"r{number}"] + [quote_cell(cell, delimiter, generator) for cell in cells]))
    path = write(tmp_path, "jobs.csv", "\n".join(lines) + "\n")

    forced = load_source(path, SourceOptions(delimiter=delimiter))
    detected = load_source(path)

    assert [row.values for row in forced] == expected
    assert detected.info.delimiter == delimiter
    assert [row.values for row in detected] == expected
