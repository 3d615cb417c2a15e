"""Run options and run names: every bad value is reported, defaults are sensible."""

from __future__ import annotations

from batch_runner.run_options import Ordering, SeedMode, check_run_name, parse_options


def test_defaults():
    options, problems = parse_options(None)

    assert problems == []
    assert options.window == 2
    assert options.retries == 2
    assert options.seed_mode is SeedMode.COLUMN
    assert options.ordering is Ordering.FILE
    assert options.quality_checks is True


def test_values_are_converted():
    options, problems = parse_options({"seed_mode": "derived", "ordering": "group_models", "timeout": 30,
                                       "retry_new_seed": True, "limit": 10, "start_at": "2026-12-05T02:00:00"})

    assert problems == []
    assert options.seed_mode is SeedMode.DERIVED
    assert options.ordering is Ordering.GROUP_MODELS
    assert options.timeout == 30.0
    assert options.limit == 10


def test_every_problem_is_listed():
    _, problems = parse_options({"retries": -1, "window": "two", "colour": "red", "seed_mode": "lucky",
                                 "webhook_url": "ftp://x", "start_at": "tomorrow", "timeout": 0})

    messages = " | ".join(p.message for p in problems)
    assert len(problems) == 7
    assert "unknown option 'colour'" in messages
    assert "'retries' is out of range" in messages
    assert "invalid value for option 'window'" in messages
    assert "invalid value for option 'seed_mode'" in messages
    assert "'webhook_url' must start with http" in messages
    assert "invalid value for option 'start_at'" in messages
    assert "'timeout' must be a positive number" in messages


def test_run_names():
    assert check_run_name("product-mockups 2026.12") == []
    for bad in ["", "../escape", "a/b", ".hidden", "trailing.", "x" * 101, None, "con:1", "CON", "nul.txt", "com1"]:
        assert check_run_name(bad), bad
