"""PL405's walk down a model line (promptlint.checks.routing)."""

from __future__ import annotations

from types import SimpleNamespace

from promptlint.checks.routing import _cheaper_successor, _per_million
from promptlint.config import parse_config
from promptlint.models import ModelCatalog
from promptlint.pricing import Pricer


def _ctx():
    catalog = ModelCatalog()
    return SimpleNamespace(catalog=catalog, pricer=Pricer(parse_config({}, root="."), catalog))


def test_list_prices_are_read_below_any_long_context_tier():
    """Sonnet 4.5 bills $6/M above 200k tokens; its list price is $3/M."""
    assert _per_million(_ctx(), "claude-sonnet-4-5") == 3.0


def test_same_price_releases_are_passed_over_and_a_dearer_one_ends_the_walk():
    ctx = _ctx()
    successor, skipped = _cheaper_successor(ctx, "claude-sonnet-4-0")  # $3, $3, $3, then $2, $2
    assert successor.model == "claude-sonnet-5-5"
    assert skipped == ("claude-sonnet-4-5", "claude-sonnet-4-6", "claude-sonnet-5")
    assert _cheaper_successor(ctx, "claude-3-haiku") == (None, ())  # claude-3-5-haiku costs more
    assert _cheaper_successor(ctx, "o1-mini") == (None, ())  # o3-mini, o4-mini: the same price
