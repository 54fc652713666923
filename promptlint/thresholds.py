"""Parse and apply the audit gate's tolerated growth (``--max-increase``).

``5%`` tolerates growth up to five percent, ``50`` up to fifty tokens, and ``5%|50`` (the
default) tolerates the larger of the two, so an entry fails only when it grows by more than
5% *and* by more than 50 tokens. Failing on either limit would fail a pull request that adds
one category word to a 40-token classification prompt (+2 tokens, +5%), and a gate that
fails on such edits teaches people to rewrite the baseline without reading it. The 50-token
floor keeps small prompts quiet; the 5% band keeps a long prompt's routine edits quiet. A
team that wants every growth over 50 tokens to fail sets ``50`` alone.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MaxIncrease:
    percent: float | None = None
    tokens: int | None = None

    def exceeded(self, before: float, after: float) -> bool:
        """Growth beyond every limit that is set (a new entry has grown by 100%)."""
        growth = after - before
        if growth <= 0:
            return False
        over_tokens = self.tokens is None or growth > self.tokens
        over_percent = self.percent is None or before <= 0 or growth * 100.0 / before > self.percent
        return over_tokens and over_percent

    def describe(self) -> str:
        parts = []
        if self.percent is not None:
            parts.append(f"{self.percent:g}%")
        if self.tokens is not None:
            parts.append(f"{self.tokens} tokens")
        return parts[0] if len(parts) == 1 else f"the larger of {parts[0]} and {parts[1]}"


def parse_max_increase(text: str) -> MaxIncrease:
    percent: float | None = None
    tokens: int | None = None
    for piece in text.replace(",", "|").split("|"):
        piece = piece.strip()
        if not piece:
            continue
        try:
            if piece.endswith("%"):
                if percent is not None:
                    raise ValueError
                percent = float(piece[:-1])
                if percent < 0:
                    raise ValueError
            else:
                if tokens is not None:
                    raise ValueError
                tokens = int(piece)
                if tokens < 0:
                    raise ValueError
        except ValueError:
            raise ValueError(f"expected a percentage like 5%, a token count like 50, or both as 5%|50; got {text!r}") from None
    if percent is None and tokens is None:
        raise ValueError(f"expected a percentage like 5%, a token count like 50, or both as 5%|50; got {text!r}")
    return MaxIncrease(percent=percent, tokens=tokens)
