"""A binding's resolution is kept and reused from other depths (Resolver.binding): the
answer must be the one a fresh resolver gives, also where the depth limit cuts it."""

import ast

import pytest

from promptlint.extract.python import _indexed
from promptlint.extract.resolve import MAX_DEPTH


def _chain(n: int, through_functions: bool) -> str:
    lines = ['x0 = "a"']
    for i in range(1, n):
        if through_functions:  # an inlined call tests its own depth limit
            lines += [f"def f{i}():", f"    return x{i - 1}"]
            lines.append(f'x{i} = f{i}() + "{chr(97 + i % 26)}"')
        else:
            lines.append(f'x{i} = x{i - 1} + "{chr(97 + i % 26)}"')
    return "\n".join(lines) + "\n"


def _read(text: str, names: list[str]) -> list:
    tree = ast.parse(text)
    index, resolver = _indexed("m.py", text, tree, "m")
    out = []
    for name in names:
        node = ast.parse(name, mode="eval").body
        out.append(resolver.value(node, index.module, None))
    return out


@pytest.mark.parametrize("through_functions", [False, True])
def test_a_name_read_from_other_depths_first_resolves_as_when_read_alone(through_functions):
    n = MAX_DEPTH + 10  # the last names are cut by the depth limit
    text = _chain(n, through_functions)
    names = [f"x{i}" for i in range(n)]
    alone = [_read(text, [name])[0] for name in names]
    assert not alone[0].has_holes and alone[-1].has_holes  # the deep end is cut to a hole
    # shallow names first (kept), then deep ones read them at greater depths; and the reverse
    assert _read(text, names) == alone
    assert _read(text, names[::-1])[::-1] == alone
    for step in (3, 7):
        order = [names[i] for i in range(0, n, step)] + names
        assert _read(text, order)[-n:] == alone
