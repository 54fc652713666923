"""The offline Claude counter against recorded count_tokens values and measured edge cases."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from promptlint.tokens import claude_stream
from promptlint.tokens.claude import FAMILIES, _CHUNKS, check_chunking, claude_counter, vocabulary

FIXTURES = Path(__file__).parent / "fixtures" / "claude-counts"
KEYS = {"multipl_e": "lang", "rosetta": "id", "rosetta_holdout": "id", "udhr": "f"}
# recorded family -> (promptlint family, the model the counts were recorded on)
RECORDED = {"v3": ("claude-3", "claude-opus-4-5"), "v4.7": ("claude-4-7", "claude-opus-4-7"),
            "v5": ("claude-5", "claude-opus-5")}
CASES = [(corpus, recorded) for corpus in KEYS for recorded in RECORDED
         if not (corpus == "udhr" and recorded == "v5")]  # UDHR has no trailing whitespace to free


def documents(corpus: str) -> list[dict]:
    with gzip.open(FIXTURES / f"{corpus}.jsonl.gz", "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@pytest.mark.parametrize("corpus,recorded", CASES)
def test_recorded_counts_are_reproduced(corpus, recorded):
    family, model = RECORDED[recorded]
    table = json.loads((FIXTURES / f"{corpus}_counts.json").read_text(encoding="utf-8"))[recorded]
    assert table["model"] == model
    counter = claude_counter(family)
    docs = documents(corpus)
    assert len(docs) == len(table["counts"])
    ours = {d[KEYS[corpus]]: counter.count(d["text"]) for d in docs}
    wrong = {k: (ours[k], n) for k, n in table["counts"].items() if ours[k] != n}
    under = {k: v for k, v in wrong.items() if v[0] < v[1]}
    assert not under, f"under-counted: {under}"
    assert len(wrong) <= len(docs) // 1000, f"{len(wrong)} of {len(docs)} differ: {wrong}"


def test_the_opus_5_frame_frees_trailing_whitespace_and_has_no_word_start():
    opus5, later, v47 = claude_counter("claude-5"), claude_counter("claude-4-8"), claude_counter("claude-4-7")
    for tail in (" ", "   ", "\t", "\n", "\n" * 29, "\r\n", " \n\t \n"):
        assert opus5.count("hello world" + tail) == opus5.count("hello world"), repr(tail)
    assert opus5.count("hello world\xa0") == opus5.count("hello world") + 1  # NBSP is not ASCII
    assert later.count("hello world" + "\n" * 29) == later.count("hello world") + 1
    # the six-token frame ends in no word start: a leading space is a character, a digit opens free
    assert later.count(" a") == later.count("a") + 1
    assert v47.count(" a") == v47.count("a")
    assert later.count("123") == v47.count("123") - 6
    assert later.count("hello") == v47.count("hello") - 5


@pytest.mark.parametrize("text,counts", [
    # (text, (claude-3, claude-4-7, claude-4-8)), values published with ctok
    ("hello, world", (10, 15, 10)),
    ("", (8, 12, 6)),
])
def test_published_examples(text, counts):
    assert tuple(claude_counter(f).count(text) for f in ("claude-3", "claude-4-7", "claude-4-8")) == counts


def test_trailing_newlines_follow_the_frame_ladder():
    counter = claude_counter("claude-3")
    base = counter.count("hello")
    for n in (1, 3, 28, 30, 31, 38):
        assert counter.count("hello" + "\n" * n) == base, n
    for n in (29, 32, 37, 39, 40):
        assert counter.count("hello" + "\n" * n) == base + 1, n


def test_case_quotes_and_contractions():
    v3, v47 = claude_counter("claude-3"), claude_counter("claude-4-7")
    assert v3.content("don’t") == v3.content("don't")  # Claude 3 folds curly quotes
    assert v47.content("don’t") != v47.content("don't")
    assert v3.content(" hello") == v3.content("hello") and v3.content("  hello") == v3.content("hello") + 1
    for literal in map(chr, range(0xFDD0, 0xFDD5)):  # look like markers to a careless encoder
        assert v3.count(literal) == 7 + 4 and v3.count(f"a{literal}b") == 7 + 5


def test_compact_vocabularies_are_derived_from_the_published_files():
    import lzma
    from importlib import resources

    from promptlint.tokens.claude import compact, compact_name, published

    for filename in {f.pieces for f in FAMILIES.values()}:
        shipped = json.loads(lzma.decompress(resources.files("promptlint.data").joinpath(compact_name(filename)).read_bytes()))
        assert shipped == compact(published(filename)), f"run scripts/build_claude_pieces.py ({filename})"


def test_vocabularies_keep_the_facts_chunking_rests_on():
    for family in FAMILIES.values():
        check_chunking(vocabulary(family.pieces).pieces)


def _reference(counter, text: str) -> int:
    """The same count without the per-stretch shortcut: the whole stream, chunked and tiled."""
    family, vocab = counter.family, counter.vocab
    if not text:
        return 0  # nothing to count; a message holding it pays the frame's word start (count)
    if family.trailing_whitespace_free:
        text = text.rstrip(" \t\n\r\x0b\x0c")
    norm = claude_stream.normalize(text, vocab.fold_quotes)
    body = norm.rstrip("\n")
    stream = claude_stream.marked_stream(body, family.frame_bow, vocab.caps_min, text.startswith(" "))
    tail = counter._newline_tail(len(norm) - len(body))
    return tail + sum(vocab.tile(chunk) for chunk in _CHUNKS.findall(stream) if chunk)


TEXTY = st.text(alphabet=st.sampled_from(list("aAbZ'’ s\t\n!?.,:;()-_0129\u00e9\u00c9\u4e2d\u0301\u0915\u094d\u00a0\u3000"
                                              "\U0001f600\ufe0fİẞ\u0e4d\u0e32")), max_size=40)


@settings(max_examples=300, deadline=None)
@given(TEXTY)
def test_per_stretch_counting_equals_tiling_the_whole_stream(text):
    for family in ("claude-3", "claude-4-7", "claude-5"):
        counter = claude_counter(family)
        assert counter.content(text) == _reference(counter, text), (family, text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=20))
def test_the_ascii_shortcut_marks_like_the_general_path(segment):
    assert_marks_alike(segment, claude_stream.marked_segment, claude_stream.general_segment)


def assert_marks_alike(segment: str, shortcut, path) -> None:
    for caps in (4, None):
        for left in (True, False):
            for right in (True, False):
                assert shortcut(segment, left, right, caps) == path(segment, left, right, caps), (left, right, caps)


@pytest.mark.parametrize("recorded,model", [("v3", "claude-opus-4-5"), ("v4.7", "claude-opus-4-7"),
                                            ("v5", "claude-opus-5")])
def test_count_command_prints_the_count_tokens_value(tmp_path, cli, recorded, model):
    table = json.loads((FIXTURES / "rosetta_holdout_counts.json").read_text(encoding="utf-8"))[recorded]["counts"]
    for doc in documents("rosetta_holdout")[:5]:
        path = tmp_path / "prompt.txt"
        path.write_bytes(doc["text"].encode("utf-8"))
        code, out, err = cli(tmp_path, "count", str(path), "--model", model, "--format", "json")
        assert code == 0, err
        result = json.loads(out)
        assert result["input_tokens"] == table[doc["id"]] and result["count"] == "exact-offline"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("aé\u0301\u0915\u094d\u0430\u0416\u05d0\u4e2d,.!'’-\u0664\u2019"
                                             "Éİẞ\u01c5\u0e4d\u0e32\U0001f600wp")), min_size=1, max_size=12))
def test_the_plain_word_shortcut_marks_like_the_run_by_run_path(segment):
    """One word with no capital (then punctuation) is marked without splitting it into runs."""
    assert_marks_alike(segment, claude_stream.general_segment, claude_stream.run_segment)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("aAbZst'’-.,(0129_Ié")), min_size=1, max_size=14))
def test_a_stretch_cut_into_chunks_directly_costs_what_its_marked_stream_costs(segment):
    """The counter cuts ASCII and plain-word stretches into chunks without marking them first."""
    from promptlint.tokens.claude import _measure

    for family in ("claude-3", "claude-4-7"):
        counter = claude_counter(family)
        vocab = counter.vocab
        for left in (True, False):
            for right in (True, False):
                expected = _measure(claude_stream.run_segment(segment, left, right, vocab.caps_min), vocab)
                assert counter._segment(segment, left, right) == expected, (family, left, right)
                if segment.isascii():
                    chunks = claude_stream.ascii_chunks(segment, left, right, vocab.caps_min)
                    assert chunks == [c for c in _CHUNKS.findall(claude_stream.general_segment(
                        segment, left, right, vocab.caps_min)) if c]


def _fewest_pieces(vocab, chunk: str) -> int:
    """The shortest tiling by brute force: every slice of the chunk tried as a piece."""
    best = [0] + [len(chunk) * 8] * len(chunk)
    for end in range(1, len(chunk) + 1):
        for start in range(end):
            piece = chunk[start:end]
            step = 1 if piece in vocab.pieces else vocab.char_cost(piece) if len(piece) == 1 else None
            if step is not None:
                best[end] = min(best[end], best[start] + step)
    return best[-1]


@given(st.text(alphabet="abcdé\ue000\ue001 ", max_size=14))
@settings(max_examples=300, deadline=None)
def test_tiling_finds_the_fewest_pieces_at_every_length(chunk):
    # Pieces whose lengths leave gaps (2, 5), a first character with two-character pieces only
    # (``b``), pieces sharing a three-character head, and a character that is no piece (``d``).
    from promptlint.tokens.claude import Vocabulary

    vocab = Vocabulary({"fold_quotes": False, "caps_min": 4, "bytes": ["c3"],
                        "pieces": ["a", "b", "c", " ", "\ue000", "\ue001", "ab", "ba", "bb", "abcab", "abcaa",
                                   "\ue000abc", "\ue000ab", "cab", "ca", "é\ue001", "aaaaaaaaa"]})
    assert vocab.tile(chunk) == _fewest_pieces(vocab, chunk)
