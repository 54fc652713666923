"""The shortest character diff that fixes are written down with."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from promptlint.textdiff import diff


def apply(old: str, edits) -> str:
    for start, end, text in reversed(edits):
        old = old[:start] + text + old[end:]
    return old


@given(st.text(alphabet="ab \n", max_size=40), st.text(alphabet="ab \n", max_size=40))
def test_edits_turn_old_into_new_in_order(old, new):
    edits = diff(old, new)
    assert apply(old, edits) == new
    assert all(e1 <= s2 for (_, e1, _), (s2, _, _) in zip(edits, edits[1:]))


def test_a_deleted_repeat_is_a_deletion_not_a_move():
    line = "Never ask for card numbers.\n"
    old = "Answer briefly.\n" + line + "Quote amounts.\n" + line
    assert diff(old, old[: -len(line)]) == [(len(old) - len(line), len(old), "")]
    assert diff("Please answer now.", "Answer now.") == [(0, 8, "A")]
