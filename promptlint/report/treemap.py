"""Squarified treemap layout (Bruls, Huizing and van Wijk): rectangles whose areas are
proportional to values, kept close to square so small items stay readable.

Pure geometry in a unit square; the HTML report nests it folder -> file -> request.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float


@dataclass
class Node:
    label: str
    value: float = 0.0
    key: str = ""  # what the leaf stands for (a request id)
    children: list["Node"] = field(default_factory=list)
    rect: Rect | None = None

    def total(self) -> float:
        return self.value if not self.children else sum(c.total() for c in self.children)


def _worst(row: list[float], side: float) -> float:
    total = sum(row)
    if total <= 0 or side <= 0:
        return float("inf")
    return max(max(side * side * v / (total * total), total * total / (side * side * v)) for v in row if v > 0)


def squarify(values: list[float], rect: Rect) -> list[Rect]:
    """Rectangles for ``values`` (any order; laid out largest first) filling ``rect``."""
    order = sorted(range(len(values)), key=lambda i: -values[i])
    total = sum(values[i] for i in order)
    out: list[Rect | None] = [None] * len(values)
    if total <= 0 or rect.w <= 0 or rect.h <= 0:
        return [Rect(rect.x, rect.y, 0, 0) for _ in values]
    scale = rect.w * rect.h / total
    areas = [values[i] * scale for i in order]
    x, y, w, h = rect.x, rect.y, rect.w, rect.h
    i = 0
    while i < len(areas):
        side = min(w, h)
        row = [areas[i]]
        j = i + 1
        while j < len(areas) and _worst(row + [areas[j]], side) <= _worst(row, side):
            row.append(areas[j])
            j += 1
        row_total = sum(row)
        if w >= h:  # lay the row out as a column on the left
            width = row_total / h if h else 0
            offset = y
            for k, area in enumerate(row):
                height = area / width if width else 0
                out[order[i + k]] = Rect(x, offset, width, height)
                offset += height
            x, w = x + width, w - width
        else:  # as a row along the top
            height = row_total / w if w else 0
            offset = x
            for k, area in enumerate(row):
                width = area / height if height else 0
                out[order[i + k]] = Rect(offset, y, width, height)
                offset += width
            y, h = y + height, h - height
        i = j
    return [r or Rect(rect.x, rect.y, 0, 0) for r in out]


def layout(node: Node, rect: Rect, header: float = 0.0) -> None:
    """Place ``node`` and its descendants; each parent keeps ``header`` of its height for its label."""
    node.rect = rect
    if not node.children:
        return
    top = min(header, rect.h * 0.3)
    inner = Rect(rect.x, rect.y + top, rect.w, rect.h - top)
    for child, place in zip(node.children, squarify([c.total() for c in node.children], inner)):
        layout(child, place, header)
