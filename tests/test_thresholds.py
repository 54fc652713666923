"""--max-increase: what it parses to and when growth exceeds it."""

from __future__ import annotations

import pytest

from promptlint.thresholds import MaxIncrease, parse_max_increase


@pytest.mark.parametrize("text,expected", [
    ("5%", MaxIncrease(percent=5.0)),
    ("50", MaxIncrease(tokens=50)),
    ("5%|50", MaxIncrease(percent=5.0, tokens=50)),
    (" 50 , 2.5% ", MaxIncrease(percent=2.5, tokens=50)),
])
def test_parse(text, expected):
    assert parse_max_increase(text) == expected


@pytest.mark.parametrize("text", ["", "five", "5%|6%", "-1", "-5%", "50|60"])
def test_parse_rejects(text):
    with pytest.raises(ValueError, match="5%\\|50"):
        parse_max_increase(text)


@pytest.mark.parametrize("limit,before,after,exceeded", [
    ("5%", 100, 105, False), ("5%", 100, 106, True), ("5%", 0, 1, True),
    ("50", 100, 150, False), ("50", 100, 151, True), ("50", 0, 51, True),
    ("5%|50", 40, 42, False),  # +5% but 2 tokens
    ("5%|50", 10_000, 10_400, False),  # 400 tokens but 4%
    ("5%|50", 1_000, 1_050, False),  # exactly at both limits
    ("5%|50", 1_000, 1_051, True),  # past both
    ("5%|50", 0, 10, False),  # growth from nothing stays within 50 tokens
    ("5%|50", 0, 60, True),
    ("5%|50", 500, 400, False),
])
def test_exceeded(limit, before, after, exceeded):
    assert parse_max_increase(limit).exceeded(before, after) is exceeded


def test_describe():
    assert parse_max_increase("5%").describe() == "5%"
    assert parse_max_increase("50").describe() == "50 tokens"
    assert parse_max_increase("5%|50").describe() == "the larger of 5% and 50 tokens"
