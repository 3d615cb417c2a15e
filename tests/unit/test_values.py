"""Typed reading of cell text: exact integers, floats with decimal commas, booleans, column types."""

from __future__ import annotations

import pytest

from batch_runner.values import infer_column_type, parse_bool, parse_float, parse_int


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("42", 42),
        ("+42", 42),
        ("-7", -7),
        ("007", 7),
        ("  12 \t", 12),
        ("0", 0),
        ("18446744073709551615", 18446744073709551615),
        ("18446744073709551616", 18446744073709551616),
        ("123456789012345678901234567890", 123456789012345678901234567890),
        ("0x2A", 42),
        ("0XFF", 255),
        ("-0x10", -16),
        ("#FF8800", 0xFF8800),
        ("#00ff00", 0x00FF00),
    ],
)
def test_parse_int_accepts(text: str, expected: int) -> None:
    assert parse_int(text) == expected


def test_parse_int_never_rounds_through_float() -> None:
    assert parse_int("9007199254740993") == 2**53 + 1


@pytest.mark.parametrize(
    "text", ["", "  ", "1.5", "4.0", "1e3", "1_000", "12a", "0x", "#FFF", "#GG0000", "١٢", "- 5", "++1"]
)
def test_parse_int_rejects(text: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_int(text)

    assert "0x2A" in str(raised.value)
    assert "#FF8800" in str(raised.value)


def test_parse_int_error_quotes_value() -> None:
    with pytest.raises(ValueError, match=r"'1\.5' is not an integer"):
        parse_int("1.5")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7.5", 7.5),
        ("-0.25", -0.25),
        (".5", 0.5),
        ("5.", 5.0),
        ("4", 4.0),
        ("1e-3", 0.001),
        ("2.5E2", 250.0),
        (" 3.0 ", 3.0),
        ("7,5", 7.5),
        ("-0,125", -0.125),
        ("0,125", 0.125),
        ("12,50", 12.5),
    ],
)
def test_parse_float_accepts(text: str, expected: float) -> None:
    assert parse_float(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "nan", "inf", "-Infinity", "1,2,3", "1.000,5", "7,5.1", "1e999", "0x10"])
def test_parse_float_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_float(text)


def test_parse_float_rejects_ambiguous_comma() -> None:
    with pytest.raises(ValueError) as raised:
        parse_float("1,250")

    assert "ambiguous" in str(raised.value)
    assert "1.250 or 1250" in str(raised.value)


@pytest.mark.parametrize("text", ["true", "TRUE", "Yes", "1", "on", " On "])
def test_parse_bool_true_words(text: str) -> None:
    assert parse_bool(text) is True


@pytest.mark.parametrize("text", ["false", "False", "NO", "0", "off", " OFF "])
def test_parse_bool_false_words(text: str) -> None:
    assert parse_bool(text) is False


@pytest.mark.parametrize("text", ["", "maybe", "2", "y", "t"])
def test_parse_bool_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="true/false, yes/no, 1/0 or on/off"):
        parse_bool(text)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["1", "2", "18446744073709551615"], "int"),
        (["004", "005", "010"], "int"),
        (["0", "1", "1"], "int"),
        (["1", "2.5", ""], "float"),
        (["7,5", "6"], "float"),
        (["yes", "no", "On"], "bool"),
        (["true", "1"], "bool"),
        (["a girl", "1"], "text"),
        (["1", "1,250"], "text"),
        (["", "  "], "empty"),
        ([], "empty"),
        (["#FF0000", "0x10", "3"], "int"),
    ],
)
def test_infer_column_type(values: list[str], expected: str) -> None:
    assert infer_column_type(values) == expected


def test_infer_column_type_accepts_generator() -> None:
    assert infer_column_type(cell for cell in ["3", "", "4"]) == "int"
