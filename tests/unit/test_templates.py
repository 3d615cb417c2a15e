"""{column} placeholders next to dynamic-prompt braces, weights, JSON and escapes."""

from __future__ import annotations

import time

import pytest

from batch_runner.templates import (
    Template,
    TemplateError,
    placeholders,
    render,
    template_problems,
    unknown_placeholders,
)

ROW = {"subject": "a girl", "first name": "Ada", "style": "", "n": "3"}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{subject} holding a {cat|dog}, (soft light:1.2)", "a girl holding a {cat|dog}, (soft light:1.2)"),
        ("{2$$red|blue|green} {subject}", "{2$$red|blue|green} a girl"),
        ("{a|{subject}}", "{a|a girl}"),
        ('{"key": 1}', '{"key": 1}'),
        ("{}", "{}"),
        ("{ subject }", "{ subject }"),
        ("{subject:1.2}", "{subject:1.2}"),
        ("{first name} draws", "Ada draws"),
        ("[{style}]", "[]"),
        ("{{subject}} is {subject}", "{subject} is a girl"),
        ("{{red|blue}}", "{{red|blue}}"),
        ("{{first name}}", "{Ada}"),
        ("lone { and } braces", "lone { and } braces"),
        ("(word:1.2) [a:b:0.5] <lora:x:0.8>", "(word:1.2) [a:b:0.5] <lora:x:0.8>"),
        ("", ""),
        ("{n}{n}{n}", "333"),
    ],
)
def test_render(template: str, expected: str) -> None:
    assert render(template, ROW) == expected


def test_render_does_not_expand_values() -> None:
    assert render("{subject}", {"subject": "{other}", "other": "x"}) == "{other}"


def test_unknown_variable_like_name_raises() -> None:
    with pytest.raises(TemplateError) as raised:
        render("{subjet} and {cat|dog}", ROW)

    assert raised.value.name == "subjet"
    assert "{{subjet}}" in str(raised.value)


def test_placeholders_lists_referenced_names_once() -> None:
    assert placeholders("{a} {b|c} {a} {{d}} {x y} {_e1}") == ["a", "_e1"]
    assert placeholders("{a} {x y}", {"x y"}) == ["a", "x y"]


def test_unknown_placeholders() -> None:
    assert unknown_placeholders("{subject} {colour} {cat|dog} {{escaped}} {colour}", ROW) == ["colour"]
    assert unknown_placeholders("{subject}", ROW) == []


def test_template_problems_locate_each_name() -> None:
    problems = template_problems("{colour} {size}", {"subject"}, file="jobs.csv", row=4, row_id="r4", column="prompt")

    assert [problem.value for problem in problems] == ["colour", "size"]
    assert all(problem.row == 4 for problem in problems)
    assert all(problem.row_id == "r4" for problem in problems)
    assert problems[0].allowed == "subject"
    assert "{{colour}}" in problems[0].message


def test_compiled_template_renders_many_rows_fast() -> None:
    template = Template("{prompt}, {style} style, (detailed:1.1), {red|blue}")
    rows = [{"prompt": f"item {number}", "style": "film"} for number in range(100_000)]

    start = time.perf_counter()
    rendered = [template.render(row) for row in rows]
    elapsed = time.perf_counter() - start

    assert rendered[99_999] == "item 99999, film style, (detailed:1.1), {red|blue}"
    # About 0.3 s on a 2-core CI machine; the bound only catches a per-row recompile.
    assert elapsed < 3
