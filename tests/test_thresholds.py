"""--max-increase: what it parses to and when growth exceeds it."""

from __future__ import annotations

import pytest

from promptlint.thresholds import Growth, MaxIncrease, parse_max_increase


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


@pytest.mark.parametrize("text,expected", [
    ("$200/month", MaxIncrease(usd_per_month=200.0)),
    ("2x", MaxIncrease(factor=2.0)),
    ("5%|50|$200/month", MaxIncrease(percent=5.0, tokens=50, usd_per_month=200.0)),
    ("$150 | 1.5x", MaxIncrease(usd_per_month=150.0, factor=1.5)),
])
def test_parse_dollars_and_factors(text, expected):
    assert parse_max_increase(text) == expected


@pytest.mark.parametrize("text", ["$200/request", "0.5x", "$x", "2x|3x", "$1/month|$2/month"])
def test_parse_rejects_dollar_forms(text):
    with pytest.raises(ValueError, match=r"\$200/month"):
        parse_max_increase(text)


def test_a_model_swap_fails_at_the_same_tokens():
    """gpt-4o-mini -> gpt-4o: same tokens, 16.7x the price of every token (issue 21)."""
    before = Growth(1000, 15.0, 0.00015, "gpt-4o-mini")
    after = Growth(1000, 250.0, 0.0025, "gpt-4o")
    reason = parse_max_increase("5%|50").reason(before, after)
    assert reason is not None and "price per token rose 16.7x" in reason
    assert parse_max_increase("5%|50").reason(before, before) is None


def test_a_grown_prompt_on_the_same_model_is_judged_by_its_tokens():
    # +40 uncached tokens behind a cached prefix: the price per token rises, the tokens are within 50
    before = Growth(2100, 30.0, 0.0003, "claude-sonnet-4-5")
    after = Growth(2140, 42.0, 0.00042, "claude-sonnet-4-5")
    assert parse_max_increase("5%|50").reason(before, after) is None


@pytest.mark.parametrize("limit,before,after,over", [
    ("$200/month", 1000.0, 1150.0, False), ("$200/month", 1000.0, 1250.0, True),
    ("2x", 100.0, 199.0, False), ("2x", 100.0, 201.0, True),
    ("$50/month|2x", 10.0, 45.0, False),  # 4.5x but +$35
    ("$50/month|2x", 100.0, 190.0, False),  # +$90 but 1.9x
    ("$50/month|2x", 100.0, 260.0, True),
    ("2x", 100.0, 50.0, False),
])
def test_dollar_limits(limit, before, after, over):
    old, new = Growth(1000, before, before / 1e5, "m"), Growth(1000, after, after / 1e5, "m")
    assert (parse_max_increase(limit).reason(old, new) is not None) is over


def test_describe_dollars():
    assert parse_max_increase("$200/month").describe() == "$200/month"
    assert parse_max_increase("5%|50|2x").describe() == "the larger of 5% and 50 tokens in tokens and 2x in $/month"
