"""Parse and apply the audit gate's tolerated growth (``--max-increase``, and ``max-increase``
of a budget) and dollar amounts (``$200/month``, ``$0.01/request``).

A limit is one or more terms joined by ``|``:

- ``5%`` and ``50`` (tokens) bound a prompt's **tokens**. Both given (``5%|50``, the
  default) tolerate the larger of the two, so an entry fails only when it grows by more
  than 5% *and* by more than 50 tokens. Failing on either limit would fail a pull request
  that adds one category word to a 40-token classification prompt (+2 tokens, +5%), and a
  gate that fails on such edits teaches people to rewrite the baseline without reading it.
- ``$200/month`` and ``2x`` bound **dollars**: the entry's $/month may grow by at most
  $200, or to at most twice what it was (both given: the larger of the two).
- With no dollar term, the percentage also bounds the **price per token** (the request's
  $/request over its tokens) when the model changed or the tokens did not grow: a model
  swap from gpt-4o-mini to gpt-4o (16.7x), or a lost cache breakpoint, raises what every
  token costs while the token count stays put, and fails the gate at 5% as a token growth
  would. (A grown prompt's mix of cached and uncached tokens is the token limits' call.)

The same limit applies to each entry and to the totals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HINT = "a percentage like 5%, a token count like 50, dollars like $200/month, a factor like 2x, or several as 5%|50"
_DOLLARS = re.compile(r"^\$\s*(\d+(?:\.\d*)?|\.\d+)\s*(?:/\s*(month|mo|request|req))?$", re.IGNORECASE)
_FACTOR = re.compile(r"^(\d+(?:\.\d*)?|\.\d+)\s*[x×]$", re.IGNORECASE)


@dataclass(frozen=True)
class Dollars:
    amount: float
    per: str  # "month" | "request"

    def describe(self) -> str:
        return f"${self.amount:g}/{self.per}"


def parse_dollars(text: str, default_per: str = "month") -> Dollars:
    """``$200/month``, ``$0.01/request``, ``$200`` (per ``default_per``)."""
    match = _DOLLARS.match(text.strip())
    if not match:
        raise ValueError(f"expected dollars like $200/month or $0.01/request; got {text!r}")
    per = (match.group(2) or default_per).lower()
    return Dollars(float(match.group(1)), "month" if per in ("month", "mo") else "request")


@dataclass(frozen=True)
class Growth:
    """One side of a comparison: tokens, dollars per month, dollars per request."""

    tokens: float
    usd_per_month: float = 0.0
    usd_per_request: float = 0.0
    model: str = ""  # the model an entry is priced as ("" for a total)


@dataclass(frozen=True)
class MaxIncrease:
    percent: float | None = None
    tokens: int | None = None
    usd_per_month: float | None = None
    factor: float | None = None

    @property
    def bounds_tokens(self) -> bool:
        return self.percent is not None or self.tokens is not None

    @property
    def bounds_dollars(self) -> bool:
        return self.usd_per_month is not None or self.factor is not None

    def exceeded(self, before: float, after: float) -> bool:
        """Token growth beyond every token limit that is set (a new entry has grown by 100%)."""
        if not self.bounds_tokens:
            return False
        growth = after - before
        if growth <= 0:
            return False
        over_tokens = self.tokens is None or growth > self.tokens
        over_percent = self.percent is None or before <= 0 or growth * 100.0 / before > self.percent
        return over_tokens and over_percent

    def reason(self, before: Growth, after: Growth) -> str | None:
        """Why ``after`` is over the limit compared with ``before`` (None: it is within)."""
        if self.exceeded(before.tokens, after.tokens):
            return f"tokens grew {_change(before.tokens, after.tokens, '{:,.0f}')}"
        if self.bounds_dollars:
            growth = after.usd_per_month - before.usd_per_month
            if growth <= 0 or before.usd_per_month <= 0 and self.usd_per_month is None:
                return None
            over_usd = self.usd_per_month is None or growth > self.usd_per_month
            over_factor = self.factor is None or before.usd_per_month <= 0 or \
                after.usd_per_month > self.factor * before.usd_per_month
            if over_usd and over_factor:
                return f"$/month grew {_change(before.usd_per_month, after.usd_per_month, '${:,.2f}')}"
            return None
        # A dearer price per token counts when it is not the mix of a grown prompt (whose
        # tokens the token limits judge): the model changed, or the tokens did not grow.
        # (Entries only: a total's price per token moves with its mix of models.)
        repriced = bool(before.model and after.model) and (before.model != after.model or after.tokens <= before.tokens)
        if self.percent is not None and repriced and before.tokens > 0 and after.tokens > 0 \
                and before.usd_per_request > 0:
            unit_before = before.usd_per_request / before.tokens
            unit_after = after.usd_per_request / after.tokens
            if (unit_after - unit_before) * 100.0 / unit_before > self.percent:
                return f"price per token rose {unit_after / unit_before:.3g}x"
        return None

    def describe(self) -> str:
        tokens = []
        if self.percent is not None:
            tokens.append(f"{self.percent:g}%")
        if self.tokens is not None:
            tokens.append(f"{self.tokens} tokens")
        dollars = []
        if self.usd_per_month is not None:
            dollars.append(f"${self.usd_per_month:g}/month")
        if self.factor is not None:
            dollars.append(f"{self.factor:g}x")
        text = _larger(tokens)
        if dollars:
            text = f"{text} in tokens and {_larger(dollars)} in $/month" if text else _larger(dollars)
        return text


def _larger(parts: list[str]) -> str:
    if not parts:
        return ""
    return parts[0] if len(parts) == 1 else f"the larger of {parts[0]} and {parts[1]}"


def _change(before: float, after: float, fmt: str) -> str:
    share = f", {(after - before) * 100.0 / before:+.0f}%" if before > 0 else ""
    return f"{fmt.format(before)} -> {fmt.format(after)}{share}"


def parse_max_increase(text: str) -> MaxIncrease:
    values: dict[str, float | int] = {}

    def put(key: str, value: float | int) -> None:
        if key in values or value < 0:
            raise ValueError
        values[key] = value

    for piece in str(text).replace(",", "|").split("|"):
        piece = piece.strip()
        if not piece:
            continue
        try:
            if piece.endswith("%"):
                put("percent", float(piece[:-1]))
            elif piece.startswith("$"):
                dollars = parse_dollars(piece)
                if dollars.per != "month":
                    raise ValueError
                put("usd_per_month", dollars.amount)
            elif _FACTOR.match(piece):
                factor = float(_FACTOR.match(piece).group(1))  # type: ignore[union-attr]
                if factor < 1:
                    raise ValueError
                put("factor", factor)
            else:
                put("tokens", int(piece))
        except ValueError:
            raise ValueError(f"expected {_HINT}; got {text!r}") from None
    if not values:
        raise ValueError(f"expected {_HINT}; got {text!r}")
    return MaxIncrease(**values)  # type: ignore[arg-type]
