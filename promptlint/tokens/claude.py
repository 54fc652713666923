"""The exact offline Claude counter: minimum-cost tiling of the marked stream.

A count is the fewest vocabulary pieces that spell the marked stream
(:mod:`promptlint.tokens.claude_stream`), where each piece costs one token and a character no
piece covers costs what its UTF-8 bytes cost (the byte floor: the fewest byte-prefix pieces,
each single byte one token), plus the message frame. The vocabularies and frames are ctok's
measurements (``data/claude-pieces.PROVENANCE.md``); the code is promptlint's.

Speed comes from two facts about the vocabularies, checked when one is loaded: a piece never
continues past a word end, never mixes whitespace with anything else, and has a word start
only behind its case markers. So the stream splits into chunks that no piece crosses, the
count is the sum of the chunks' counts, and each distinct chunk (a word, a space run, a
punctuation run) is tiled once per process.
"""

from __future__ import annotations

import json
import lzma
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from promptlint.tokens.claude_stream import (
    BOW, CAPS, EOW, MARKERS, SHIFT, SPACE, WHITESPACE, ascii_chunks, drop_head_space, flag, head_marker, marked_segment,
    normalize, plain_parts, split,
)


@dataclass(frozen=True)
class Family:
    """One Claude tokenizer as ``count_tokens`` counts it, for a single user message."""

    name: str
    pieces: str  # the vocabulary file in data/
    frame: int  # tokens of the message frame around the text
    frame_bow: bool  # the frame ends in a word start that a single leading space folds into
    trailing_whitespace_free: bool = False  # ASCII whitespace at the end of the text costs nothing


# Measured against count_tokens by ctok (v3 on claude-opus-4-5, v4.7 on claude-opus-4-7, the
# six-token frame on Opus 4.8 and later); Opus 5's free trailing whitespace is checked on the
# recorded Opus 5 counts (tests/fixtures/claude-counts).
FAMILIES = {
    "claude-3": Family("claude-3", "claude-pieces-v3.json.xz", 7, True),
    "claude-4-7": Family("claude-4-7", "claude-pieces-v4-7.json.xz", 11, True),
    "claude-4-8": Family("claude-4-8", "claude-pieces-v4-7.json.xz", 6, False),
    "claude-5": Family("claude-5", "claude-pieces-v4-7.json.xz", 6, False, trailing_whitespace_free=True),
}

_ATOM = re.compile("⟨(bow|eow|shift|caps|0x[0-9A-Fa-f]{2})⟩")
_GLYPHS = {"bow": BOW, "eow": EOW, "shift": SHIFT, "caps": CAPS}
_ASCII_WHITESPACE = " \t\n\r\x0b\x0c"


def parse_piece(public: str) -> str:
    """A piece as the vocabulary file writes it (``⟨bow⟩the⟨eow⟩``, ``⟨0xE2⟩…`` for bytes)
    in the stream's own characters."""
    if "⟨" not in public:
        return public
    if "⟨0x" not in public:
        for atom, glyph in _GLYPHS.items():
            public = public.replace(f"⟨{atom}⟩", glyph)
        return public
    out: list[str] = []
    pending = bytearray()
    at = 0
    for m in _ATOM.finditer(public):
        if m.start() > at:
            if pending:
                out.append(pending.decode("utf-8"))
                pending.clear()
            out.append(public[at:m.start()])
        atom = m.group(1)
        if atom.startswith("0x"):
            pending.append(int(atom[2:], 16))
        else:
            if pending:
                out.append(pending.decode("utf-8"))
                pending.clear()
            out.append(_GLYPHS[atom])
        at = m.end()
    if pending:
        out.append(pending.decode("utf-8"))
    out.append(public[at:])
    return "".join(out)


def compact(doc: dict) -> dict:
    """What the counter reads of a published vocabulary file: its settings, its pieces in
    the stream's own characters, and its byte-prefix pieces (``data/claude-pieces-*.compact``
    hold this, written by ``scripts/build_claude_pieces.py``; parsing the published witness
    records each run would cost a tenth of a second)."""
    meta = doc["meta"]
    tokens = doc["tokens"]
    pieces = {parse_piece(p) for group, entries in tokens.items() if group != "bytes_fallback" for p in entries}
    pieces.update(parse_piece(c) + EOW for c in tokens["contractions"])  # `'t` is written `'t` + EOW
    return {"fold_quotes": bool(meta["fold_quotes"]), "caps_min": meta["allcaps_min"],
            "pieces": sorted(pieces), "bytes": sorted(tokens["bytes_fallback"])}


class Vocabulary:
    """One vocabulary: its pieces, byte-prefix pieces and family settings."""

    def __init__(self, data: dict) -> None:
        self.fold_quotes = data["fold_quotes"]
        self.caps_min = data["caps_min"]
        self.pieces = frozenset(data["pieces"])
        sizes: dict[str, set[int]] = {}
        for piece in self.pieces:
            if len(piece) > 1:
                sizes.setdefault(piece[0], set()).add(len(piece))
        # first character -> the lengths (3 or more) of the pieces it starts, ascending; and
        # the three-character heads of those pieces (most starts go no further than that)
        self._sizes = {c: tuple(sorted(n for n in found if n > 2)) for c, found in sizes.items()}
        self._heads = frozenset(p[:3] for p in self.pieces if len(p) > 2)
        singles = {p for p in self.pieces if len(p) == 1 and p not in MARKERS}
        self.byte_pieces = frozenset(bytes.fromhex(h) for h in data["bytes"]) | {c.encode("utf-8") for c in singles}
        self.byte_longest = max(len(b) for b in self.byte_pieces)
        self._chunks: dict[str, int] = {}
        self._chars: dict[str, int] = {}

    _TABLES = ("fold_quotes", "caps_min", "pieces", "_sizes", "_heads", "byte_pieces", "byte_longest")

    def tables(self) -> tuple:
        """What the vocabulary holds, as values :mod:`marshal` keeps (see :func:`vocabulary`)."""
        return tuple(getattr(self, name) for name in self._TABLES)

    @classmethod
    def of_tables(cls, tables: tuple) -> Vocabulary:
        vocab = cls.__new__(cls)
        for name, value in zip(cls._TABLES, tables):
            setattr(vocab, name, value)
        vocab._chunks, vocab._chars = {}, {}
        return vocab

    @classmethod
    def valid_tables(cls, value) -> bool:
        if type(value) is not tuple or len(value) != len(cls._TABLES):
            return False
        fold_quotes, caps_min, pieces, sizes, heads, byte_pieces, longest = value
        return (type(fold_quotes) is bool and (caps_min is None or type(caps_min) is int) and type(longest) is int
                and type(pieces) is frozenset and all(type(p) is str for p in pieces)
                and type(heads) is frozenset and all(type(h) is str for h in heads)
                and type(byte_pieces) is frozenset and all(type(b) is bytes for b in byte_pieces)
                and type(sizes) is dict and all(type(k) is str and type(n) is tuple for k, n in sizes.items()))

    def char_cost(self, c: str) -> int:
        """One character on its own: one token if it is a piece, else its UTF-8 bytes tiled
        over the byte-prefix pieces."""
        cost = self._chars.get(c)
        if cost is None:
            cost = self._chars[c] = 1 if c in self.pieces or c in MARKERS else self._byte_floor(c.encode("utf-8"))
        return cost

    def _byte_floor(self, data: bytes) -> int:
        n = len(data)
        best = [0] + [n] * n
        for end in range(1, n + 1):
            for start in range(max(0, end - self.byte_longest), end):
                if best[start] + 1 < best[end] and (end - start == 1 or data[start:end] in self.byte_pieces):
                    best[end] = best[start] + 1
        return best[n]

    def tile(self, chunk: str) -> int:
        """The fewest tokens that spell ``chunk``: a shortest path over its positions, each
        position reached by one character (at its own cost) or by a piece that starts where
        an earlier position is. Pieces are looked up by slicing, only at the lengths pieces
        of that first character have and past two characters only behind a known head: a
        trie per first character walked no slice, but cost 13 MB and a third of a second to
        build for Claude 3 on a large tree, more than the slices cost there."""
        pieces = self.pieces
        if chunk in pieces:
            return 1
        n = len(chunk)
        best = [0] + [n * 8] * n
        all_sizes, heads, chars = self._sizes, self._heads, self._chars
        for start in range(n):
            c = chunk[start]
            here = best[start]
            cost = chars.get(c) or self.char_cost(c)
            if here + cost < best[start + 1]:
                best[start + 1] = here + cost
            sizes = all_sizes.get(c)
            if sizes is None:
                continue
            here += 1
            if start + 2 <= n and here < best[start + 2] and chunk[start:start + 2] in pieces:
                best[start + 2] = here
            if not sizes or chunk[start:start + 3] not in heads:
                continue
            for size in sizes:
                end = start + size
                if end > n:
                    break
                if here < best[end] and chunk[start:end] in pieces:
                    best[end] = here
        return best[n]

    def chunk_cost(self, chunk: str) -> int:
        cost = self._chunks.get(chunk)
        if cost is None:
            # Threads may tile the same chunk twice; storing one int is atomic, and they agree.
            cost = self._chunks[chunk] = self.tile(chunk)
        return cost


def check_chunking(pieces: frozenset[str]) -> None:
    """The facts the chunking rests on; a vocabulary that breaks one cannot be used."""
    for piece in pieces:
        if EOW in piece[:-1]:
            raise ValueError(f"piece {piece!r} continues past a word end")
        kinds = {flag(c) & 7 == SPACE for c in piece if c not in MARKERS}
        if len(kinds) > 1:
            raise ValueError(f"piece {piece!r} mixes whitespace with other characters")
        head = piece.lstrip(SHIFT + CAPS)
        if BOW in head[1:] or SHIFT in head or CAPS in head:
            raise ValueError(f"piece {piece!r} has a word start or case marker inside it")


_CHUNKS = re.compile(f"[{WHITESPACE}]+|[{SHIFT}{CAPS}]*{BOW}?[^{WHITESPACE}{SHIFT}{CAPS}{BOW}{EOW}]*{EOW}?")


_EMPTY = (0, False, False)
_NO_SPACE = (0, 0, 0)  # what follows the last stretch: the end of the text


def _measure(marked: str, vocab: "Vocabulary") -> tuple[int, bool, bool]:
    """Tokens of a marked stretch, whether it opens with a word start and ends with a word end."""
    known = vocab._chunks
    cost = 0
    for chunk in _CHUNKS.findall(marked):
        if chunk:
            n = known.get(chunk)
            cost += vocab.chunk_cost(chunk) if n is None else n
    return cost, marked.lstrip(SHIFT + CAPS)[:1] == BOW, marked[-1:] == EOW


def compact_name(filename: str) -> str:
    return filename.replace(".json.xz", ".compact.json.xz")


@lru_cache(maxsize=None)
def vocabulary(filename: str) -> Vocabulary:
    """A family's vocabulary, its sets built once per data file and promptlint version and
    then kept (:func:`promptlint.parsed.derived`): building them from the file's JSON took a
    tenth of a second of every run that counts Claude text, reading them back a quarter."""
    from promptlint.parsed import derived

    data = resources.files("promptlint.data").joinpath(compact_name(filename)).read_bytes()
    return Vocabulary.of_tables(derived(data, lambda: Vocabulary(json.loads(lzma.decompress(data))).tables(),
                                        _VOCABULARY_BUILDER, Vocabulary.valid_tables))


_VOCABULARY_BUILDER = "claude-vocabulary-1"  # change when Vocabulary.tables changes what it makes of a file


def published(filename: str) -> dict:
    """The published vocabulary file itself."""
    return json.loads(lzma.decompress(resources.files("promptlint.data").joinpath(filename).read_bytes()))


class ClaudeCounter:
    """Counts text as ``count_tokens`` would for one family."""

    def __init__(self, family: Family) -> None:
        self.family = family
        self.vocab = vocabulary(family.pieces)
        self._newline_tails: dict[int, int] = {}
        # (tokens, opens with a word start, ends with a word end) of each stretch seen, one
        # memo per context; the empty stretch (text ending in whitespace) is nothing.
        self._segments: tuple[dict[str, tuple[int, bool, bool]], ...] = tuple({"": (0, False, False)} for _ in range(4))
        self._single_space = self.vocab.chunk_cost(" ")
        self._spaces: dict[str, tuple[int | None, int, int]] = {}  # see _space

    def content(self, text: str) -> int:
        """Tokens of ``text`` sent as the whole of one user message, without the frame.

        The text is split at whitespace: a stretch without whitespace is marked and tiled
        knowing only whether a space touches it on either side, so each distinct stretch is
        worked out once; a single space between a word end and a word start is the seam and
        costs nothing. Empty text is nothing (a message holding it pays the frame's word
        start as a token of its own: see ``count``)."""
        if not text:
            return 0
        family, vocab = self.family, self.vocab
        if family.trailing_whitespace_free:
            text = text.rstrip(_ASCII_WHITESPACE)
        norm = normalize(text, vocab.fold_quotes)
        body = norm.rstrip("\n")
        total = self._newline_tail(len(norm) - len(body))
        body = drop_head_space(body, family.frame_bow, text.startswith(" "))
        parts = split(body)
        head = head_marker(body, parts[0], family.frame_bow)
        # One memo per context (space on the left, single space on the right): no tuple keys.
        memos = self._segments
        first = parts[0]
        right = len(parts) > 1 and parts[1][0] == " " and parts[1][1:2] != " "
        if head:
            marked = head + marked_segment(first, family.frame_bow, right, vocab.caps_min) if first else head
            cost, _, previous_eow = _measure(marked, vocab)
        elif first:
            cost, _, previous_eow = self._segment(first, family.frame_bow, right)
        else:
            cost, previous_eow = 0, False
        total += cost
        single = self._single_space
        spaces = self._spaces
        around = [spaces.get(space) or self._space(space) for space in parts[1::2]]
        for (space_cost, left, _), part, (_, _, right) in zip(around, parts[2::2], around[1:] + [_NO_SPACE]):
            info = memos[left + right].get(part)
            if info is None:
                info = self._segment(part, left == 1, right == 2)
            cost, bow, eow = info
            if space_cost is None:  # one space: the seam between a word end and a word start, or a token
                if not (bow and previous_eow):
                    total += single
            else:
                total += space_cost
            total += cost
            previous_eow = eow
        return total

    def _space(self, space: str) -> tuple[int | None, int, int]:
        """A whitespace run as the loop in ``content`` reads it: its tokens (None for a single
        space, which depends on its neighbours), the context it gives the stretch after it (1:
        a space touches it) and the stretch before it (2: a single space follows it)."""
        info = self._spaces[space] = (None if space == " " else self.vocab.chunk_cost(space), int(space[-1] == " "),
                                      2 * (space[0] == " " and space[1:2] != " "))
        return info

    def _segment(self, part: str, left: bool, right: bool) -> tuple[int, bool, bool]:
        """Tokens of one stretch without whitespace, whether it opens with a word start and
        whether it ends with a word end; ASCII and plain-word stretches are cut into chunks
        directly, any other is marked and then cut."""
        vocab = self.vocab
        if part.isascii():
            chunks = ascii_chunks(part, left, right, vocab.caps_min)
        else:
            plain = plain_parts(part, vocab.caps_min)
            if plain is None:
                info = _measure(marked_segment(part, left, right, vocab.caps_min), vocab)
                self._segments[left + 2 * right][part] = info
                return info
            word, tail = plain
            chunks = [word, tail + EOW if right else tail] if tail else [word]
        known = vocab._chunks
        cost = 0
        for chunk in chunks:
            n = known.get(chunk)
            cost += vocab.chunk_cost(chunk) if n is None else n
        info = (cost, BOW in chunks[0][:2], chunks[-1][-1] == EOW)  # a case marker, then the word start
        self._segments[left + 2 * right][part] = info
        return info

    def count(self, text: str) -> int:
        """``count_tokens`` of one user message holding ``text``."""
        if not text:
            return self.family.frame + self.family.frame_bow
        return self.family.frame + self.content(text)

    def _newline_tail(self, n: int) -> int:
        """What a run of ``n`` newlines ending the text costs: the frame follows the text with
        two newlines of its own, one token can span both, and the frame's token is paid."""
        if n == 0:
            return 0
        if n not in self._newline_tails:
            self._newline_tails[n] = self.vocab.tile("\n" * (n + 2)) - 1
        return self._newline_tails[n]


@lru_cache(maxsize=None)
def claude_counter(family: str) -> ClaudeCounter:
    return ClaudeCounter(FAMILIES[family])
