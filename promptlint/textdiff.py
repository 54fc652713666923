"""The shortest edit between two texts, character by character (Myers' O(ND) algorithm).

A fix is written down as edits of a prompt's text, and the fewer characters they touch
the better they map onto the source: deleting a repeated sentence must show up as that
deletion, not as one line moved over its twin. difflib finds the longest common block
first, which pairs repeated lines wrongly; Myers finds a shortest edit script, and is
fast when the texts differ little (D edits: O((N+M)·D) time). Most fixes only take text
out, which a linear scan finds first.
"""

from __future__ import annotations

MAX_EDITS = 4000  # beyond this many changed characters the texts are treated as one replacement


def diff(old: str, new: str) -> list[tuple[int, int, str]]:
    """``(start, end, replacement)`` edits of ``old`` (in order, not overlapping) that give ``new``."""
    head = 0
    limit = min(len(old), len(new))
    while head < limit and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < limit - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    a, b = old[head:len(old) - tail], new[head:len(new) - tail]
    if not a and not b:
        return []
    deleted = _deletions(a, b)
    if deleted is not None:
        return [(head + start, head + end, "") for start, end in deleted]
    script = _script(a, b)
    if script is None:
        return [(head, head + len(a), b)]
    edits: list[tuple[int, int, str]] = []
    for i, j, kind in script:  # (position in a, position in b, "delete" | "insert")
        start = head + i
        if edits and edits[-1][1] == start:
            s, e, text = edits[-1]
            edits[-1] = (s, e + 1, text) if kind == "delete" else (s, e, text + b[j])
        else:
            edits.append((start, start + 1, "") if kind == "delete" else (start, start, b[j]))
    return edits


def _deletions(a: str, b: str) -> list[tuple[int, int]] | None:
    """When ``b`` is ``a`` with characters taken out (whitespace normalized, a sentence
    cut), the runs taken out, matching ``b`` as early in ``a`` as it goes; O(len(a))."""
    runs: list[tuple[int, int]] = []
    j = 0
    for i, ch in enumerate(a):
        if j < len(b) and ch == b[j]:
            j += 1
        elif runs and runs[-1][1] == i:
            runs[-1] = (runs[-1][0], i + 1)
        else:
            runs.append((i, i + 1))
    return runs if j == len(b) else None


def _script(a: str, b: str) -> list[tuple[int, int, str]] | None:
    """Deletions and insertions, left to right, of a shortest edit script from a to b."""
    n, m = len(a), len(b)
    offset = n + m
    v = [0] * (2 * offset + 2)
    trace: list[list[int]] = []
    for d in range(min(n + m, MAX_EDITS) + 1):
        trace.append(v[:])
        for k in range(-d, d + 1, 2):
            if k == -d or (k != d and v[offset + k - 1] < v[offset + k + 1]):
                x = v[offset + k + 1]
            else:
                x = v[offset + k - 1] + 1
            y = x - k
            while x < n and y < m and a[x] == b[y]:
                x, y = x + 1, y + 1
            v[offset + k] = x
            if x >= n and y >= m:
                return _backtrack(trace, v, offset, n, m, d)
    return None


def _backtrack(trace, v, offset, n, m, d) -> list[tuple[int, int, str]]:
    steps: list[tuple[int, int, str]] = []
    x, y = n, m
    for depth in range(d, 0, -1):
        before = trace[depth]
        k = x - y
        if k == -depth or (k != depth and before[offset + k - 1] < before[offset + k + 1]):
            prev_k = k + 1  # came down: an insertion of b[prev_y]
        else:
            prev_k = k - 1  # came right: a deletion of a[prev_x]
        prev_x = before[offset + prev_k]
        prev_y = prev_x - prev_k
        while x > prev_x and y > prev_y:
            x, y = x - 1, y - 1
        if prev_k == k + 1:
            steps.append((x, prev_y, "insert"))
        else:
            steps.append((prev_x, y, "delete"))
        x, y = prev_x, prev_y
    steps.reverse()
    return steps
