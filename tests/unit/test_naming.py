"""Output naming: tokens, safe names, length limits and collisions, with exact expected names."""

from __future__ import annotations

import csv
import hashlib
from datetime import datetime
from pathlib import Path, PurePosixPath

import pytest

from batch_runner.naming import (
    BUILTIN_TOKENS,
    MAX_FILE_NAME_BYTES,
    NamingContext,
    PatternError,
    assign_unique_names,
    check_pattern,
    output_relative_path,
    pattern_fields,
    resolve_output_path,
    safe_component,
)
from batch_runner.naming.safe_names import cut_to_bytes, fit_component, fit_file_name
from batch_runner.problems import Problem, Severity
from batch_runner.rows import Row

DATA = Path(__file__).parent / "data"
STARTED_AT = datetime(2026, 5, 9, 7, 35, 25)


def make_context(row_id: str = "r1", number: int = 7, job_count: int = 1200, seed: int | str | None = 42,
                 image_count: int | None = None, run_name: str = "night run", **values: str) -> NamingContext:
    return NamingContext(
        row=Row(number, row_id, {"id": row_id, **values}),
        run_name=run_name,
        job_count=job_count,
        started_at=STARTED_AT,
        seed=seed,
        image_count=image_count,
    )


def relative(name_pattern: str, context: NamingContext, subfolder_pattern: str = "",
             extension: str = "png", image_index: int | None = None) -> str:
    return output_relative_path(subfolder_pattern, name_pattern, context, extension, image_index).as_posix()


def read_ids(case: str) -> list[str]:
    with open(DATA / case / "jobs.csv", encoding="utf-8", newline="") as source:
        return [row["id"] for row in csv.DictReader(source)]


# Safe components

@pytest.mark.parametrize("text, expected", [
    ("(car:1.5), houses", "(car_1.5), houses"),
    ('a<b>c:d"e/f\\g|h?i*j', "a_b_c_d_e_f_g_h_i_j"),
    ("tab\there\nnewline", "tab_here_newline"),
    ("nul\x00byte", "nul_byte"),
    ("del\x7fchar", "del_char"),
    ("unit\x1fsep", "unit_sep"),
    ("c1\x85control", "c1_control"),
    ("", "_"),
    (".", "_"),
    ("..", "__"),
    ("...", "___"),
    (" . ", "___"),
    ("name.", "name_"),
    ("name. .", "name___"),
    ("name ", "name_"),
    (" name", "_name"),
    (".hidden", "_hidden"),
    ("a..b", "a..b"),
    ("/etc/x", "_etc_x"),
    ("C:\\x", "C__x"),
    ("\\\\server\\share", "__server_share"),
    ("gpj\u202eexe.png", "gpj_exe.png"),
    ("lone\udcffsurrogate", "lone_surrogate"),
])
def test_safe_component_replaces_unsafe_text(text: str, expected: str) -> None:
    assert safe_component(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("CON", "CON_"),
    ("con", "con_"),
    ("nul.txt", "nul_.txt"),
    ("Nul.tar.gz", "Nul_.tar.gz"),
    ("PRN", "PRN_"),
    ("aux", "aux_"),
    ("COM1", "COM1_"),
    ("com9.png", "com9_.png"),
    ("COM0", "COM0_"),
    ("LPT1", "LPT1_"),
    ("lpt5.log", "lpt5_.log"),
    ("COM\u00b9", "COM\u00b9_"),
    ("LPT\u00b3.x", "LPT\u00b3_.x"),
    ("CONIN$", "CONIN$_"),
    ("CON .png", "CON_ .png"),
    ("CONSOLE", "CONSOLE"),
    ("COM10", "COM10"),
    ("xnul", "xnul"),
    ("con_", "con_"),
])
def test_safe_component_suffixes_windows_device_names(text: str, expected: str) -> None:
    assert safe_component(text) == expected


def test_safe_component_normalises_to_nfc() -> None:
    decomposed = "Cafe\u0301"

    assert safe_component(decomposed) == "Caf\u00e9"


def test_safe_component_keeps_ordinary_unicode() -> None:
    assert safe_component("東京の夜景 😀 {x} [y] #1 ~a") == "東京の夜景 😀 {x} [y] #1 ~a"


# Length limits

def test_fit_file_name_leaves_short_names_alone() -> None:
    assert fit_file_name("short", "png", "_2") == "short_2.png"


def test_fit_file_name_keeps_suffix_and_extension() -> None:
    stem = "x" * 300

    name = fit_file_name(stem, "png", "_003")

    assert name == "x" * 233 + "~" + hashlib.sha256(stem.encode()).hexdigest()[:8] + "_003.png"
    assert len(name.encode("utf-8")) == MAX_FILE_NAME_BYTES


def test_fit_component_cuts_folder_names_to_255_bytes() -> None:
    folder = "é" * 200  # 400 bytes

    fitted = fit_component(folder)

    assert fitted == "é" * 123 + "~" + hashlib.sha256(folder.encode()).hexdigest()[:8]
    assert len(fitted.encode("utf-8")) == 255


@pytest.mark.parametrize("text, max_bytes, expected", [
    ("aé", 2, "a"),
    ("a😀", 4, "a"),
    ("ab👍🏽", 9, "ab"),
    ("ab👍🏽c", 10, "ab👍🏽"),
    ("a👨\u200d👩\u200d👧", 15, "a"),
    ("a👨\u200d👩\u200d👧b", 19, "a👨\u200d👩\u200d👧"),
    ("🇯🇵🇫🇷", 12, "🇯🇵"),
    ("q\u0307q\u0307", 4, "q\u0307"),
    ("❤\ufe0f❤\ufe0f", 5, ""),
    ("❤\ufe0f❤\ufe0f", 9, "❤\ufe0f"),
])
def test_cut_to_bytes_keeps_characters_and_emoji_whole(text: str, max_bytes: int, expected: str) -> None:
    assert cut_to_bytes(text, max_bytes) == expected


def test_name_too_long_case_gets_exact_cut_name() -> None:
    [long_id] = read_ids("name-too-long")
    context = make_context(long_id)

    name = relative("{id}", context)

    unit = "😀🎨東京の夜景"
    assert name == unit * 10 + "😀" + "~85819746.png"
    assert "~" + hashlib.sha256(long_id.encode("utf-8")).hexdigest()[:8] == "~85819746"
    assert len(long_id.encode("utf-8")) == 276
    assert len(name.encode("utf-8")) == 247
    assert name.encode("utf-8").decode("utf-8") == name


def test_name_too_long_case_file_can_be_created(tmp_path: Path) -> None:
    [long_id] = read_ids("name-too-long")

    path = resolve_output_path(tmp_path, "", "{id}", make_context(long_id), "png")
    path.write_bytes(b"image")

    assert path.read_bytes() == b"image"
    assert path.suffix == ".png"


def test_long_ids_sharing_a_prefix_get_distinct_names() -> None:
    [long_id] = read_ids("name-too-long")

    first = relative("{id}", make_context(long_id + " A"))
    second = relative("{id}", make_context(long_id + " B"))

    assert first != second
    assert first.rsplit("~", 1)[0] == second.rsplit("~", 1)[0]
    assert all(len(name.encode("utf-8")) <= MAX_FILE_NAME_BYTES for name in (first, second))


def test_long_name_keeps_image_suffix() -> None:
    [long_id] = read_ids("name-too-long")

    name = relative("{id}", make_context(long_id), image_index=2)

    assert name == "😀🎨東京の夜景" * 10 + "~85819746_002.png"
    assert len(name.encode("utf-8")) == 247


# Tokens

@pytest.mark.parametrize("pattern, expected", [
    ("{index}", "0007.png"),
    ("{index:3}", "007.png"),
    ("{index:1}", "7.png"),
    ("{id}", "r1.png"),
    ("{run}", "night run.png"),
    ("{seed}", "42.png"),
    ("{date}", "2026-05-09.png"),
    ("{time}", "07-35-25.png"),
    ("{datetime}", "2026-05-09_07-35-25.png"),
    ("{date:%Y%m%d}", "20260509.png"),
    ("{date:%y.%j}", "26.129.png"),
    ("{date:%G-W%V-%u}", "2026-W19-6.png"),
    ("{time:%H:%M}", "07_35.png"),
    ("{date:%Y/%m}", "2026_05.png"),
    ("{date:100%%}", "100%.png"),
    ("{style}", "oil & ink.png"),
    ("{prompt:9}", "a red car.png"),
    ("{style}_{index}_{seed}", "oil & ink_0007_42.png"),
    ("{{id}}", "{id}.png"),
    ("x}}{{y", "x}{y.png"),
    ("{image}", "1.png"),
])
def test_tokens_expand_to_exact_text(pattern: str, expected: str) -> None:
    context = make_context(style="oil & ink", prompt="a red car between houses")

    assert relative(pattern, context) == expected


def test_index_width_follows_job_count() -> None:
    assert relative("{index}", make_context(number=7, job_count=9)) == "7.png"
    assert relative("{index}", make_context(number=7, job_count=10)) == "07.png"
    assert relative("{index}", make_context(number=12345, job_count=100)) == "12345.png"
    assert relative("{index:3}", make_context(number=12345)) == "12345.png"


def test_image_token_width_follows_image_count() -> None:
    assert relative("{id}_{image}", make_context(), image_index=2) == "r1_2.png"
    assert relative("{id}_{image}", make_context(image_count=12), image_index=2) == "r1_02.png"
    assert relative("{id}_{image:3}", make_context(), image_index=2) == "r1_002.png"


def test_image_suffix_added_when_pattern_lacks_image() -> None:
    assert relative("{id}", make_context(), image_index=3) == "r1_003.png"
    assert relative("{id}", make_context(), image_index=1234) == "r1_1234.png"
    assert relative("{id}", make_context(), image_index=None) == "r1.png"


def test_image_token_in_subfolder_replaces_suffix() -> None:
    assert relative("{id}", make_context(), subfolder_pattern="img{image}", image_index=3) == "img3/r1.png"


def test_missing_seed_and_empty_value_become_underscore() -> None:
    assert relative("{seed}", make_context(seed=None)) == "_.png"
    assert relative("{style}", make_context(style="")) == "_.png"


def test_subfolders_come_from_literal_slashes() -> None:
    context = make_context(style="oil")

    assert relative("{id}", context, subfolder_pattern="{run}/{style}") == "night run/oil/r1.png"
    assert relative("{style}/{id}", context) == "oil/r1.png"
    assert relative("{id}", context, subfolder_pattern="a//b/./c/") == "a/b/c/r1.png"
    assert relative("{id}", context, subfolder_pattern="") == "r1.png"


def test_extension_is_normalised() -> None:
    assert relative("{id}", make_context(), extension=".PNG") == "r1.png"
    assert relative("{id}", make_context(), extension="jpg") == "r1.jpg"


@pytest.mark.parametrize("extension", ["", ".", "p/g", "png.exe ", "a" * 17, "pn g"])
def test_invalid_extension_is_rejected(extension: str) -> None:
    with pytest.raises(ValueError, match="invalid file extension"):
        relative("{id}", make_context(), extension=extension)


def test_image_index_below_one_is_rejected() -> None:
    with pytest.raises(ValueError, match="image index must be 1 or more"):
        relative("{id}", make_context(), image_index=0)


def test_name_colon_case_gets_exact_name(tmp_path: Path) -> None:
    [colon_id] = read_ids("name-colon")

    path = resolve_output_path(tmp_path, "", "{id}", make_context(colon_id), "png")
    path.write_bytes(b"full image")

    assert colon_id == "(car:1.5), houses"
    assert path.relative_to(tmp_path).as_posix() == "(car_1.5), houses.png"
    assert path.read_bytes() == b"full image"


# Pattern fields and checks

def test_pattern_fields_lists_every_token() -> None:
    assert pattern_fields("{style}/{index}_{id}_{prompt:20}_{date:%Y}") == {"style", "index", "id", "prompt", "date"}
    assert pattern_fields("plain/{{literal}}") == set()
    assert pattern_fields("{style}") - BUILTIN_TOKENS == {"style"}


def test_pattern_fields_rejects_bad_syntax() -> None:
    with pytest.raises(PatternError, match="unclosed"):
        pattern_fields("{id")


def test_check_pattern_accepts_valid_pattern() -> None:
    assert check_pattern("{index}_{id}_{style:10}_{date:%Y-%m-%d}", ["id", "style"]) == []
    assert check_pattern("", ["id"], is_subfolder=True) == []
    assert check_pattern("{style}/", ["style"], is_subfolder=True) == []


def test_check_pattern_names_unknown_column() -> None:
    problems = check_pattern("{index}_{colour}", ["id", "prompt", "color"])

    assert problems == [Problem(
        "unknown token {colour}: no column named 'colour'; did you mean {color}?",
        value="{index}_{colour}",
        column="colour",
        allowed="columns: id, prompt, color; built-in tokens: date, datetime, id, image, index, run, seed, time",
    )]


def test_check_pattern_suggests_other_case() -> None:
    [problem] = check_pattern("{Style}", ["style"])

    assert problem.message == "unknown token {Style}: no column named 'Style'; did you mean {style}?"


@pytest.mark.parametrize("pattern, message", [
    ("{index:x}", "invalid format in {index:x}: {index:N} takes a zero-padded width N from 1 to 20"),
    ("{index:0}", "invalid format in {index:0}: {index:N} takes a zero-padded width N from 1 to 20"),
    ("{image:21}", "invalid format in {image:21}: {image:N} takes a zero-padded width N from 1 to 20"),
    ("{seed:4}", "invalid format in {seed:4}: {seed} takes no format"),
    ("{id:}", "invalid format in {id:}: {id:N} keeps the first N characters, N from 1 to 255"),
    ("{style:-1}", "invalid format in {style:-1}: {style:N} keeps the first N characters, N from 1 to 255"),
    ("{date:%Q}", "invalid format in {date:%Q}: unsupported date directive %Q; "
                  "supported: %Y %y %m %d %H %M %S %j %G %V %u %%"),
    ("{time:%H%}", "invalid format in {time:%H%}: unsupported date directive a lone %; "
                   "supported: %Y %y %m %d %H %M %S %j %G %V %u %%"),
    ("{date:%A}", "invalid format in {date:%A}: unsupported date directive %A; "
                  "supported: %Y %y %m %d %H %M %S %j %G %V %u %%"),
])
def test_check_pattern_rejects_unknown_format(pattern: str, message: str) -> None:
    assert [problem.message for problem in check_pattern(pattern, ["style"])] == [message]


@pytest.mark.parametrize("pattern, message", [
    ("{id", "unclosed '{' at position 1; write '{{' for a literal brace"),
    ("a{b{id}", "unclosed '{' at position 2; write '{{' for a literal brace"),
    ("id}", "unmatched '}' at position 3; write '}}' for a literal brace"),
    ("{}", "empty token '{}'; put a column or built-in token name inside"),
    ("../{id}", "'..' as a folder name is not allowed: files always stay inside the run folder"),
    ("a/.../{id}", "'...' as a folder name is not allowed: files always stay inside the run folder"),
    ("/abs/{id}", "the pattern must be relative to the run folder; remove the leading '/'"),
    ("a\\{id}", "a backslash is not a folder separator here; use '/' between folders"),
    ("", "the file-name pattern is empty"),
    ("/", "the pattern must be relative to the run folder; remove the leading '/'"),
    ("{id}/", "the file-name pattern ends with '/'; it must end with a file name"),
    ("{id}/.", "the file-name pattern ends with '/'; it must end with a file name"),
])
def test_check_pattern_reports_syntax_errors(pattern: str, message: str) -> None:
    messages = [problem.message for problem in check_pattern(pattern, ["id"])]

    assert message in messages
    assert all(problem.severity is Severity.ERROR for problem in check_pattern(pattern, ["id"]))


def test_check_pattern_collects_every_problem() -> None:
    problems = check_pattern("../{nope}/{index:x}/{", ["id"])

    assert len(problems) == 4
    assert [problem.message.split(" ")[0] for problem in problems] == ["unclosed", "'..'", "unknown", "invalid"]


def test_check_pattern_warns_about_shadowed_column() -> None:
    problems = check_pattern("{date}_{id}_{seed}", ["id", "seed", "date"])

    assert problems == [Problem(
        "{date} is the built-in date value, not the column 'date'; rename the column to use its values in names",
        value="{date}_{id}_{seed}", column="date", severity=Severity.WARNING,
    )]


def test_check_pattern_warns_about_replaced_literal_characters() -> None:
    problems = check_pattern("a:b?{id}_{time:%H:%M}", ["id"])

    assert problems == [Problem(
        "':' '?' cannot appear in file names and will be written as '_'",
        value="a:b?{id}_{time:%H:%M}", severity=Severity.WARNING,
    )]


def test_resolve_rejects_pattern_with_errors(tmp_path: Path) -> None:
    with pytest.raises(PatternError) as raised:
        resolve_output_path(tmp_path, "{styel}", "{id}", make_context(style="oil"), "png")

    assert [problem.column for problem in raised.value.problems] == ["styel"]
    assert "did you mean {style}?" in str(raised.value)


# Collisions

def test_assign_unique_names_keeps_distinct_paths() -> None:
    planned = [("a", Path("out/a.png")), ("b", Path("out/b.png"))]

    result = assign_unique_names(planned)

    assert result.paths == {"a": Path("out/a.png"), "b": Path("out/b.png")}
    assert result.problems == []


def test_assign_unique_names_numbers_later_rows() -> None:
    planned = [("r1", Path("out/cat.png")), ("r2", Path("out/cat.png")), ("r3", Path("out/cat.png"))]

    result = assign_unique_names(planned)

    assert result.paths == {"r1": Path("out/cat.png"), "r2": Path("out/cat_2.png"), "r3": Path("out/cat_3.png")}
    assert result.problems == [
        Problem("row 'r2' resolves to the same file as row 'r1' ('cat.png'; names are compared ignoring case); "
                "it is saved as 'cat_2.png'", value="out/cat.png", row_id="r2", severity=Severity.WARNING),
        Problem("row 'r3' resolves to the same file as row 'r1' ('cat.png'; names are compared ignoring case); "
                "it is saved as 'cat_3.png'", value="out/cat.png", row_id="r3", severity=Severity.WARNING),
    ]


def test_assign_unique_names_ignores_case() -> None:
    planned = [("r1", Path("out/Cat.png")), ("r2", Path("OUT/cat.PNG"))]

    result = assign_unique_names(planned)

    assert result.paths["r2"] == Path("OUT/cat_2.PNG")
    assert [problem.row_id for problem in result.problems] == ["r2"]


def test_assign_unique_names_treats_nfc_and_nfd_alike() -> None:
    planned = [("r1", Path("caf\u00e9.png")), ("r2", Path("cafe\u0301.png"))]

    result = assign_unique_names(planned)

    assert result.paths["r2"] == Path("cafe\u0301_2.png")


def test_assign_unique_names_never_takes_another_rows_name() -> None:
    planned = [("r1", Path("x.png")), ("r2", Path("x.png")), ("r3", Path("x_2.png"))]

    result = assign_unique_names(planned)

    assert result.paths == {"r1": Path("x.png"), "r2": Path("x_3.png"), "r3": Path("x_2.png")}


def test_assign_unique_names_is_deterministic() -> None:
    planned = [(f"r{number}", Path(f"out/{number % 3}.png")) for number in range(30)]

    first = assign_unique_names(planned)
    second = assign_unique_names(list(planned))

    assert first.paths == second.paths
    assert len({path for path in first.paths.values()}) == 30


def test_assign_unique_names_avoids_reserved_paths() -> None:
    planned = [("contact_sheet", Path("run/contact_sheet.png"))]

    result = assign_unique_names(planned, reserved=[Path("run/contact_sheet.png")])

    assert result.paths == {"contact_sheet": Path("run/contact_sheet_2.png")}
    assert "a file the run itself writes" in result.problems[0].message


def test_assign_unique_names_keeps_long_names_within_limit() -> None:
    [long_id] = read_ids("name-too-long")
    path = PurePosixPath(relative("{id}", make_context(long_id), image_index=1))

    result = assign_unique_names([("a", Path(path)), ("b", Path(path))])

    renamed = result.paths["b"].name
    assert renamed.endswith("_2.png")
    assert len(renamed.encode("utf-8")) <= MAX_FILE_NAME_BYTES
    assert renamed != path.name


def test_assign_unique_names_accepts_tuple_keys() -> None:
    planned = [(("r1", 1), Path("a.png")), (("r2", 1), Path("a.png"))]

    result = assign_unique_names(planned)

    assert result.paths[("r2", 1)] == Path("a_2.png")


def test_assign_unique_names_rejects_repeated_keys() -> None:
    with pytest.raises(ValueError, match="repeat the key 'r1'"):
        assign_unique_names([("r1", Path("a.png")), ("r1", Path("b.png"))])


def test_identical_rows_resolve_then_stay_distinct() -> None:
    contexts = [make_context(row_id=f"row{number}", number=number, style="same") for number in (1, 2)]
    planned = [(context.row.id, Path(relative("{style}", context))) for context in contexts]

    result = assign_unique_names(planned)

    assert result.paths == {"row1": Path("same.png"), "row2": Path("same_2.png")}
