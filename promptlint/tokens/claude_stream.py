"""Text to the marked stream the Claude vocabularies are tiled over.

Claude's tokenizers (Claude 3 and later) are not public, but their *counts* are reproduced by
the vocabularies the ctok project measured with ``count_tokens`` (see
``data/claude-pieces.PROVENANCE.md``). Those vocabularies are written over a rewritten text, the
marked stream, in which word boundaries, case and the single spaces between words are markers.
This module builds that stream; :mod:`promptlint.tokens.claude` tiles it.

The rewrite, as ctok describes it:

1. **Normalisation**: NFC; C0/C1 controls other than TAB, LF and NUL are dropped, NUL reads as a
   space, BMP private-use characters are dropped, decomposed Thai SARA AM is composed, the
   other Unicode spaces read as U+0020 (U+3000 keeps its own cost), and the Claude 3 family
   folds the four curly quotes to ASCII.
2. **Runs**: the text splits into maximal runs of one class (word letters, isolated letters and
   symbols, ASCII and Arabic digits, punctuation, whitespace); a combining mark with no base
   opens a word of its own; an isolated run splits again where its kind (punctuation-like,
   number, letter) changes.
3. **Markers**: a word is ``BOW word EOW``, lower-cased behind ``SHIFT`` (title case) or ``CAPS``
   (all capitals, 4 letters or more, Claude 3 family only); punctuation and non-ASCII digits
   write ``BOW``/``EOW`` only on a side that touches a single space; an apostrophe before
   ``s t d m ll re ve`` is the word's opening boundary; and one space between two marked spans
   is the seam ``EOW BOW``, not a character.

Characters are looked up in ``data/claude-chars.json.xz``, computed once at Unicode 15.1 by
``scripts/build_claude_chars.py``, so a count does not depend on the Python version's Unicode
tables (only NFC comes from ``unicodedata``).
"""

from __future__ import annotations

import json
import lzma
import re
import unicodedata
from array import array
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

# Markers, as private-use characters: normalisation drops private use from the text, so no
# input character can be mistaken for one.
BOW, EOW, SHIFT, CAPS = "\ue000", "\ue001", "\ue002", "\ue003"
MARKERS = frozenset((BOW, EOW, SHIFT, CAPS))

WORD, HARD, DIGIT, PUNCT, SPACE = 1, 2, 3, 4, 5
STRAY_RUN = 6  # a run of combining marks with nothing before them to sit on
STRAY, SEPARATOR, PUNCTLIKE, SELECTOR, DIGIT_BORDER = 8, 16, 32, 64, 128
ND, NO, UPPER, LOWER, UNLOWERABLE = 256, 512, 1024, 2048, 4096

CONTRACTIONS = frozenset(("s", "t", "d", "m", "ll", "re", "ve"))

_CONTROLS = re.compile("[\x01-\x08\x0b-\x1f\x7f\x80-\x9f]")
_PRIVATE = re.compile("[\ue000-\uf8ff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_SPACES = re.compile("[\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f]")
_QUOTES = (("\u2018", "'"), ("\u2019", "'"), ("\u201c", '"'), ("\u201d", '"'))
_SEAM = re.compile(EOW + " ([" + SHIFT + CAPS + "]*)" + BOW)
_RUNS = re.compile(r"w+|d+|p+|s+|[^wdps]+")
_CLASS_LETTERS = {WORD: "w", HARD: "h", DIGIT: "d", PUNCT: "p", SPACE: "s"}
_RUN_CLASSES = {"d": DIGIT, "p": PUNCT, "s": SPACE}


@dataclass(frozen=True)
class Characters:
    flags: array  # one entry per BMP code point
    lower: dict[str, str]
    classes: str  # str.translate table: code point -> class letter (as a string: a dict took 4 MB)
    capital: re.Pattern[str]  # finds a BMP character flagged UPPER
    plain: re.Pattern[str]  # one word with no capital, then punctuation (see ``plain_parts``)
    cased: re.Pattern[str]  # the same with capitals in the word
    kinds: str  # str.translate table: code point -> its isolated-run kind letter (``_isolated_runs``)


@lru_cache(maxsize=1)
def characters() -> Characters:
    """The character table, built from ``data/claude-chars.json.xz`` once per data file and
    promptlint version and then kept (:func:`promptlint.parsed.derived`): building it walks
    every BMP code point six times, a tenth of a second of every run that counts Claude
    text; read back, only its three regexes are compiled."""
    from promptlint.parsed import derived

    data = resources.files("promptlint.data").joinpath("claude-chars.json.xz").read_bytes()
    flag_bytes, lower, classes, capital, plain, cased, kinds = derived(
        data, lambda: _tables(data), _TABLES_BUILDER, _valid_tables)
    flags = array("H")
    flags.frombytes(flag_bytes)
    return Characters(flags, lower, classes, re.compile(capital), re.compile(plain), re.compile(cased), kinds)


_TABLES_BUILDER = "claude-characters-1"  # change when _tables changes what it makes of the same file


def _tables(data: bytes) -> tuple:
    """What :class:`Characters` holds, as values :mod:`marshal` keeps: the flags' bytes, the
    lower-casing map, the two translate tables and the sources of the three regexes."""
    doc = json.loads(lzma.decompress(data))
    flags = array("H", bytes(2 * 0x10000))
    for start, end, value in doc["ranges"]:
        flags[start:end + 1] = array("H", [value]) * (end - start + 1)
    lower = {chr(int(k)): v for k, v in doc["lower"].items()}
    classes = "".join(_CLASS_LETTERS[v & 7] for v in flags)
    capitals = [chr(o) for o in range(0x10000) if flags[o] & UPPER and not 0xD800 <= o <= 0xDFFF]
    capital = "[" + "".join(re.escape(c) for c in capitals) + "]" if capitals else "(?!)"
    word = _char_class(flags, lambda v: v & 7 == WORD and not v & UPPER)
    head = _char_class(flags, lambda v: v & 7 == WORD and not v & (UPPER | STRAY))
    cased_word = _char_class(flags, lambda v: v & 7 == WORD)
    cased_head = _char_class(flags, lambda v: v & 7 == WORD and not v & STRAY)
    punct = _char_class(flags, lambda v: v & 7 == PUNCT and not v & UPPER)
    plain = f"({head}{word}*)({punct}*)"
    cased = f"({cased_head}{cased_word}*)({punct}*)"
    kinds = "".join("s" if v & SELECTOR else _KIND_LETTERS[_hard_kind(v)] for v in flags)
    return flags.tobytes(), lower, classes, capital, plain, cased, kinds


def _valid_tables(value) -> bool:
    if type(value) is not tuple or len(value) != 7:
        return False
    flag_bytes, lower, classes, capital, plain, cased, kinds = value
    return (type(flag_bytes) is bytes and len(flag_bytes) == 2 * 0x10000 and type(lower) is dict
            and all(type(k) is str and type(v) is str for k, v in lower.items())
            and all(type(x) is str for x in (classes, capital, plain, cased, kinds))
            and len(classes) == len(kinds) == 0x10000)


def _char_class(flags: array, keep) -> str:
    """A regex character class of the BMP code points (surrogates aside) whose flags ``keep``
    accepts, written as ranges."""
    spans: list[str] = []
    start = None
    for o in range(0x10001):
        inside = o < 0x10000 and not 0xD800 <= o <= 0xDFFF and keep(flags[o])
        if inside and start is None:
            start = o
        elif not inside and start is not None:
            spans.append(f"\\u{start:04x}" if o - 1 == start else f"\\u{start:04x}-\\u{o - 1:04x}")
            start = None
    return "[" + "".join(spans) + "]" if spans else "(?!)"


def flag(c: str) -> int:
    o = ord(c)
    if o < 0x10000:
        return characters().flags[o]
    # Every astral character is read in isolation; only its number category matters.
    category = unicodedata.category(c)
    return HARD | (ND if category == "Nd" else NO if category == "No" else 0)


def normalize(text: str, fold_quotes: bool) -> str:
    text = _SURROGATE.sub("\ufffd", text)
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    text = _CONTROLS.sub("", text).replace("\x00", " ")
    if not text.isascii():
        text = _PRIVATE.sub("", text.replace("\u0e4d\u0e32", "\u0e33"))
        if fold_quotes:
            for curly, plain in _QUOTES:
                text = text.replace(curly, plain)
        text = _SPACES.sub(" ", text)
    return text


class Run:
    __slots__ = ("cls", "body", "head", "tail")

    def __init__(self, cls: int, body: str) -> None:
        self.cls = cls
        self.body = body
        self.head = flag(body[0])
        self.tail = self.head if len(body) == 1 else flag(body[-1])


def runs(text: str) -> list[Run]:
    """``text`` as maximal runs of one class (see the module docstring)."""
    chars = characters()
    out: list[Run] = []
    for m in _RUNS.finditer(text.translate(chars.classes)):
        kind = m.group()[0]
        body = text[m.start():m.end()]
        if kind == "w":
            _word_runs(body, out)
        elif kind in "dps":
            out.append(Run(_RUN_CLASSES[kind], body))
        else:
            _isolated_runs(body, out)
    return out


def _word_runs(body: str, out: list[Run]) -> None:
    """A run of word letters; leading combining marks with no base are a word of their own."""
    if not flag(body[0]) & STRAY:
        out.append(Run(WORD, body))
        return
    end = 1
    while end < len(body) and flag(body[end]) & STRAY:
        end += 1
    out.append(Run(STRAY_RUN, body[:end]))
    if end < len(body):
        out.append(Run(WORD, body[end:]))


def _hard_kind(value: int) -> int:
    return 2 if value & PUNCTLIKE else 1 if value & DIGIT_BORDER else 0


_KIND_LETTERS = "abc"  # by _hard_kind; an astral character (left as itself) reads as "a"
_KIND_RUNS = re.compile("[^bcs][^bc]*|b[bs]*|c[cs]*")


def _isolated_runs(body: str, out: list[Run]) -> None:
    """An isolated run, split where its kind changes; a variation selector rides its base
    (and the first character takes its own kind, selector or not)."""
    if len(body) == 1:
        out.append(Run(HARD, body))
        return
    kinds = body.translate(characters().kinds)
    kinds = _KIND_LETTERS[_hard_kind(flag(body[0]))] + kinds[1:]
    for m in _KIND_RUNS.finditer(kinds):
        out.append(Run(HARD, body[m.start():m.end()]))


def _lower(text: str) -> str:
    table = characters().lower
    return "".join(table.get(c, c) for c in text)


def mark_case(span: str, caps_min: int | None) -> str:
    """A word with its case as a marker: ``SHIFT`` + lower case for a capitalised word,
    ``CAPS`` + lower case for an all-capitals word of ``caps_min`` letters or more; any other
    mix of cases stays literal."""
    if characters().capital.search(span) is None:
        return span  # every rule below needs a capital (an astral character has none)
    values = [flag(c) for c in span]
    first = values[0]
    if "ẞ" in span:
        return span
    if "İ" in span:
        if first & UPPER and span[0] != "İ" and not any(v & UPPER for c, v in zip(span[1:], values[1:]) if c != "İ"):
            return SHIFT + _lower(span[0]) + "".join(c if c == "İ" else _lower(c) for c in span[1:])
        return span
    if caps_min is not None and len(span) >= caps_min and not any(v & UNLOWERABLE for v in values):
        cased = [v for v in values if v & (UPPER | LOWER)]
        if cased and all(v & UPPER for v in cased):
            return CAPS + _lower(span)
    if _lower(span[0]) == span[0]:
        return span
    if first & UPPER and not any(v & UPPER for v in values[1:]):
        return SHIFT + _lower(span)
    return span


def _digit_run(run: Run) -> bool:
    """A run of decimal digits (Nd) only, or of other numbers (No) only."""
    if run.cls not in (DIGIT, HARD):
        return False
    category = run.head & (ND | NO)
    return bool(category) and all(flag(c) & (ND | NO) == category for c in run.body[1:])


def _own_right_border(run: Run) -> bool:
    return (run.cls == PUNCT or bool(run.tail & (SELECTOR | PUNCTLIKE))
            or (_digit_run(run) and bool(run.tail & DIGIT_BORDER)))


WHITESPACE = " \t\n\u3000"  # the space-class characters left after normalisation
_SPLIT = re.compile(f"([{WHITESPACE}]+)")


def head_marker(norm: str, first: str, frame_bow: bool) -> str:
    """What the frame's closing word start becomes before text that writes none of its own
    (``first`` is the text up to its first whitespace): itself (a digit, an ideograph, a
    newline opens the text), a plain space (before an apostrophe that opens a word), or
    nothing."""
    if not frame_bow:
        return ""
    if not first:
        return "" if norm[:1] == " " else BOW
    found = runs(first)
    head = found[0]
    if head.body == "'" and len(found) > 1 and found[1].cls in (WORD, STRAY_RUN):
        return " "
    if (head.cls in (WORD, PUNCT, STRAY_RUN) or head.head & (SELECTOR | PUNCTLIKE)
            or (_digit_run(head) and head.head & DIGIT_BORDER)):
        return ""
    return BOW


def marked_segment(segment: str, space_left: bool, space_right: bool, caps_min: int | None) -> str:
    """The marked stream of a stretch of text with no whitespace in it. ``space_left``: a
    space (or the frame's word start) touches it on the left; ``space_right``: a single space
    follows it (a run of two or more spaces does not count)."""
    if segment.isascii():
        return "".join(ascii_chunks(segment, space_left, space_right, caps_min))
    return general_segment(segment, space_left, space_right, caps_min)


def plain_parts(segment: str, caps_min: int | None) -> tuple[str, str] | None:
    """The common non-ASCII segment, marked without splitting it into runs: one word (one run
    of word letters, so one chunk of the stream), then punctuation or nothing. Gives the
    marked word and the punctuation after it, which takes a word end of its own when a single
    space follows. None for every other segment."""
    chars = characters()
    m = chars.plain.fullmatch(segment)
    if m is not None:
        return BOW + m.group(1) + EOW, m.group(2)
    m = chars.cased.fullmatch(segment)
    if m is None:
        return None
    word = mark_case(m.group(1), caps_min)
    if word[0] in (SHIFT, CAPS):
        return word[0] + BOW + word[1:] + EOW, m.group(2)
    return BOW + word + EOW, m.group(2)


def general_segment(segment: str, space_left: bool, space_right: bool, caps_min: int | None) -> str:
    """``marked_segment`` for any text (the ASCII path is a shortcut of this)."""
    if not segment.isascii():
        plain = plain_parts(segment, caps_min)
        if plain is not None:
            word, tail = plain
            return word + tail + (EOW if tail and space_right else "")
    return run_segment(segment, space_left, space_right, caps_min)


def run_segment(segment: str, space_left: bool, space_right: bool, caps_min: int | None) -> str:
    """``general_segment`` run by run, for every segment."""
    found = runs(segment)
    n = len(found)

    def opens_word(i: int) -> bool:
        return found[i].body == "'" and i + 1 < n and found[i + 1].cls in (WORD, STRAY_RUN)

    out: list[str] = []
    for i, run in enumerate(found):
        cls, body = run.cls, run.body
        if cls == WORD:
            fused = i > 0 and found[i - 1].cls == STRAY_RUN
            marked = body if fused else mark_case(body, caps_min)
            case = ""
            while marked[:1] in (SHIFT, CAPS):
                case, marked = case + marked[0], marked[1:]
            seam = (body in CONTRACTIONS and i > 0 and found[i - 1].body == "'"
                    and (i < 2 or not _own_right_border(found[i - 2])))
            out.append(case + ("" if fused or seam else BOW) + marked + EOW)
        elif cls == STRAY_RUN:
            out.append(BOW + body + ("" if i + 1 < n and found[i + 1].cls == WORD else EOW))
        elif cls == PUNCT or (run.head | run.tail) & (SELECTOR | PUNCTLIKE):
            left = cls == PUNCT or bool(run.head & (SELECTOR | PUNCTLIKE))
            right = cls == PUNCT or bool(run.tail & (SELECTOR | PUNCTLIKE))
            out.append((BOW if left and i == 0 and space_left and not opens_word(i) else "") + body
                       + (EOW if right and i == n - 1 and space_right else ""))
        elif _digit_run(run):
            out.append((BOW if run.head & DIGIT_BORDER and i == 0 and space_left else "") + body
                       + (EOW if run.tail & DIGIT_BORDER and i == n - 1 and space_right else ""))
        else:
            out.append(body)
    return "".join(out)


_ASCII_STRETCHES = re.compile(r"([A-Za-z]+)|([^A-Za-z]+)")


def _ascii_word(word: str, caps_min: int | None) -> str:
    """``mark_case`` for ASCII letters, where every letter has a case."""
    if word.islower():
        return word
    if caps_min is not None and len(word) >= caps_min and word.isupper():
        return CAPS + word.lower()
    if word[0].isupper() and (len(word) == 1 or word[1:].islower()):
        return SHIFT + word.lower()
    return word


def _ascii_word_chunk(word: str, caps_min: int | None) -> str:
    marked = _ascii_word(word, caps_min)
    if marked[0] in (SHIFT, CAPS):
        return marked[0] + BOW + marked[1:] + EOW
    return BOW + marked + EOW


_ASCII_WORD_TAIL = re.compile(r"([A-Za-z]+)([^A-Za-z0-9]+)")


def ascii_chunks(segment: str, space_left: bool, space_right: bool, caps_min: int | None) -> list[str]:
    """``marked_segment`` for ASCII text, already cut into the chunks the counter tiles.

    Each run of letters is a word chunk. The digits and punctuation between two words are one
    chunk: digits take no border markers, so that chunk takes a word start only when it opens
    the segment with punctuation after a space (an apostrophe opening a word does not) and a
    word end only when it closes the segment with punctuation before a single space. A
    contraction after an apostrophe (a punctuation run of its own) takes no word start and
    joins the apostrophe's chunk."""
    if segment.isalpha():  # one word, the common stretch
        return [_ascii_word_chunk(segment, caps_min)]
    m = _ASCII_WORD_TAIL.fullmatch(segment)
    if m is not None:  # one word, then punctuation
        word, tail = m.groups()
        return [_ascii_word_chunk(word, caps_min), tail + EOW if space_right else tail]
    found = _ASCII_STRETCHES.findall(segment)
    last = len(found) - 1
    chunks: list[str] = []
    for i, (word, other) in enumerate(found):
        if word:
            if i and word in CONTRACTIONS:
                before = found[i - 1][1]
                if before[-1] == "'" and (len(before) == 1 or before[-2].isdigit()):
                    chunks[-1] += word + EOW
                    continue
            chunks.append(_ascii_word_chunk(word, caps_min))
        else:
            bow = i == 0 and space_left and not other[0].isdigit() and not (other == "'" and last)
            eow = i == last and space_right and not other[-1].isdigit()
            chunks.append((BOW if bow else "") + other + (EOW if eow else ""))
    return chunks


def drop_head_space(norm: str, frame_bow: bool, head_space: bool) -> str:
    """A single leading space is the frame's closing word start, not a character of its own."""
    if frame_bow and head_space and norm[:1] == " " and norm[1:2] != " ":
        return norm[1:]
    return norm


def split(norm: str) -> list[str]:
    """``norm`` as [text, whitespace, text, ..., text]; the first and last may be empty."""
    return _SPLIT.split(norm)


def context(parts: list[str], k: int, frame_bow: bool) -> tuple[bool, bool]:
    """Whether a space touches text part ``k`` (an even index of ``split``) on each side."""
    left = parts[k - 1][-1] == " " if k else frame_bow
    right = k + 1 < len(parts) and parts[k + 1][0] == " " and parts[k + 1][1:2] != " "
    return left, right


def marked_stream(norm: str, frame_bow: bool, caps_min: int | None, head_space: bool) -> str:
    """The whole marked stream of normalised text (trailing newlines already removed), for
    reading and testing; the counter tiles the same pieces part by part."""
    norm = drop_head_space(norm, frame_bow, head_space)
    parts = split(norm)
    out = [head_marker(norm, parts[0], frame_bow)]
    for k, part in enumerate(parts):
        if k % 2:
            out.append(part)
        elif part:
            out.append(marked_segment(part, *context(parts, k, frame_bow), caps_min))
    return _SEAM.sub(EOW + r"\1" + BOW, "".join(out))
