"""The searches for the callers of many names (wrappers, helpers) answer as a search per
name would, at a cost linear in the file: the reference below is the per-name search they
replace, and every piece of text real code puts around a name is tried."""

from __future__ import annotations

import re

from hypothesis import given, settings, strategies as st

from promptlint.discover import Check, Prefilter, _caller_check, by_words, named_uses

NAMES = ("ask_llm", "ask", "ask_llm_v2", "Summarize", "summarize", "gpt_call", "café_prompt", "llm")
PIECES = (*NAMES, "x", "self", "client", ".", "(", ")", ",", "]", "[", " ", "\n", "\t", "=", "é", "2", "_",
          "def ", "import ", "#", '"')


def reference_uses(names: tuple[str, ...], data: bytes) -> set[bytes]:
    either = re.compile(rb"\b(" + b"|".join(re.escape(n.encode()) for n in sorted(names, key=len, reverse=True))
                        + rb")\s*[(,)\]]")
    return set(either.findall(data))


def reference_calls(names: tuple[str, ...], data: bytes) -> bool:
    ordered = sorted(names)
    check = Check.of(tuple(((n.lower().encode(),), rb"(?<![\w.])(?:\w+\.){0,3}" + re.escape(n.encode()) + rb"\s*\(|\."
                            + re.escape(n.encode()) + rb"\s*,") for n in ordered), 0,
                     window=len(max(ordered, key=len)) + 60)
    return Prefilter((check,)).matches(data)


texts = st.lists(st.sampled_from(PIECES), max_size=40).map(lambda parts: "".join(parts).encode())
name_sets = st.sets(st.sampled_from(NAMES), min_size=1).map(lambda s: tuple(sorted(s)))


@settings(max_examples=400, deadline=None)
@given(name_sets, texts)
def test_named_uses_is_the_per_name_search(names, data):
    assert set(named_uses(n.encode() for n in names)(data)) == reference_uses(names, data)


@settings(max_examples=400, deadline=None)
@given(name_sets, texts)
def test_caller_check_is_the_per_name_search(names, data):
    assert _caller_check(names)(data) == reference_calls(names, data)


def test_whole_words_only():
    uses = named_uses([b"ask", b"ask_llm"])
    assert uses(b"x = ask_llm_v2(p)\ntask(p)\n") == set()
    assert uses(b"tools=[ask]\nr = client.ask_llm (p)\n") == {b"ask", b"ask_llm"}
    calls = _caller_check(("ask_llm",))
    assert calls(b"r = client.ask_llm(p)\n")
    assert calls(b"r = self.client.ask_llm(p)\n")  # an object the instance holds
    assert calls(b"r = await asyncio.to_thread(self.client.ask_llm, p)\n")  # a method handed on to run
    assert not calls(b"from app.llm import ask_llm, ask\n")
    assert not calls(b"# ask_llm is documented elsewhere\nask_llm = None\n")


def test_a_name_beyond_ascii_is_still_found():
    assert named_uses(["café_prompt".encode()])("r = café_prompt(x)".encode()) == {"café_prompt".encode()}
    assert _caller_check(("café_prompt",))("r = café_prompt(x)".encode())


def test_the_exact_search_is_built_only_for_the_names_a_file_holds():
    built: list[tuple[bytes, ...]] = []

    def exact(chosen):
        built.append(chosen)
        return lambda data: chosen

    search = by_words([b"alpha", b"beta", b"gamma"], exact, ())
    assert search(b"nothing here") == ()
    assert search(b"beta(1); alpha") == (b"alpha", b"beta")
    assert search(b"alpha beta") == (b"alpha", b"beta")
    assert built == [(b"alpha", b"beta")]  # built once per set of names present


class _Unsplit(bytes):
    def translate(self, *args):
        raise AssertionError("split into words")


def test_a_file_holding_none_of_a_few_names_is_answered_without_splitting_it():
    search = by_words([b"alpha", b"beta"], lambda chosen: lambda data: chosen, ())
    assert search(_Unsplit(b"gamma(1); delta = epsilon")) == ()
    assert search(b"alphabet(1)") == ()  # a substring that is no word: split, and still absent
    assert search(b"x = alpha(1)") == (b"alpha",)
    many = by_words([f"name{i}".encode() for i in range(40)], lambda chosen: lambda data: chosen, ())
    assert many(b"name7(x); name17 = 1; name170(y)") == (b"name17", b"name7")
