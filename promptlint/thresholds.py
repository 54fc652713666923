"""Parse and apply the audit gate's tolerated growth (``--max-increase``).

``5%`` tolerates growth up to five percent, ``50`` up to fifty tokens, and ``5%|50`` (the
default) fails an entry whose growth exceeds either limit: a prompt that grows past 50
tokens costs money at any size, and a small prompt that grows by a large share is a change
worth a look even when the absolute number is small.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MaxIncrease:
    percent: float | None = None
    tokens: int | None = None

    def exceeded(self, before: float, after: float) -> bool:
        growth = after - before
        if growth <= 0:
            return False
        if self.tokens is not None and growth > self.tokens:
            return True
        if self.percent is not None:
            if before <= 0:
                return True
            if growth * 100.0 / before > self.percent:
                return True
        return False

    def describe(self) -> str:
        parts = []
        if self.percent is not None:
            parts.append(f"{self.percent:g}%")
        if self.tokens is not None:
            parts.append(f"{self.tokens} tokens")
        return " or ".join(parts)


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
