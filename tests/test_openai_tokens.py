"""The offline OpenAI counter: shipped rank files, token ids tiktoken's own tests publish."""

from __future__ import annotations

import pytest

from promptlint.tokens.openai import encoding, openai_counter

# (encoding, text, ids) as asserted in tiktoken's tests/test_encoding.py (0.14.0) and, for
# o200k_base, the ids OpenAI's tokenizer page shows for "hello world".
KNOWN = [
    ("cl100k_base", "hello world", [15339, 1917]),
    ("cl100k_base", "rer", [38149]),
    ("cl100k_base", "'rer", [2351, 81]),
    ("cl100k_base", "today\n ", [31213, 198, 220]),
    ("cl100k_base", "today\n \n", [31213, 27907]),
    ("cl100k_base", "today\n  \n", [31213, 14211]),
    ("cl100k_base", " \x850", [220, 126, 227, 15]),
    ("cl100k_base", "👍", [9468, 239, 235]),
    ("o200k_base", "hello world", [24912, 2375]),
]


@pytest.mark.parametrize("name,text,ids", KNOWN)
def test_known_token_ids(name, text, ids):
    enc = encoding(name)
    assert enc.encode_ordinary(text) == ids
    assert enc.decode(ids) == text


def test_the_two_encodings_differ_and_round_trip():
    text = "Résumé the refund policy in 3 bullet points; cite §4.2.\n\t— 注意: 不要编造。"
    o200k, cl100k = encoding("o200k_base"), encoding("cl100k_base")
    assert o200k.decode(o200k.encode_ordinary(text)) == text
    assert cl100k.decode(cl100k.encode_ordinary(text)) == text
    assert o200k.n_vocab > 199_000 and 100_000 < cl100k.n_vocab < 101_000


def test_special_token_text_is_counted_as_text():
    counter = openai_counter("o200k_base")
    assert counter.content("<|endoftext|>") > 1


def test_a_one_message_request_adds_the_chat_frame():
    counter = openai_counter("cl100k_base")
    assert counter.count("hello world") == 3 + 2 + 3


def test_ranks_are_kept_parsed_and_a_damaged_or_foreign_copy_is_parsed_again(monkeypatch):
    import marshal

    from promptlint import parsed as parsed_module
    from promptlint.tokens import openai

    calls = []
    parse = openai._parse_ranks
    monkeypatch.setattr(openai, "_parse_ranks", lambda *a: calls.append(1) or parse(*a))
    first = openai.load_ranks("cl100k_base")
    assert openai.load_ranks("cl100k_base") == first and len(calls) == 1
    assert first[b"hello"] == 15339
    (path,) = parsed_module._folder().glob("*.marshal")
    head, _, body = path.read_bytes().partition(b"\n")
    path.write_bytes(head + b"\n" + body[:-1] + b"\0")  # no longer the body its hash names
    assert openai.load_ranks("cl100k_base") == first and len(calls) == 2
    other = marshal.dumps({"hello": "15339"})  # a well-formed file that holds no rank table
    path.write_bytes(parsed_module._digest(other).encode("ascii") + b"\n" + other)
    assert openai.load_ranks("cl100k_base") == first and len(calls) == 3
    assert openai.load_ranks("cl100k_base") == first and len(calls) == 3  # written again
