"""Regenerate ``promptlint/data/claude-chars.json.xz``: what the Claude counter needs to know
about each Basic Multilingual Plane character, frozen at one Unicode version.

Why a table: Python's ``unicodedata`` follows the interpreter (Unicode 13.0 on 3.10, 15.1 on
3.13) and has no ``Alphabetic`` property, so deriving the classes at run time would make counts
depend on the Python version and on the ``regex`` package. The table is computed once, here,
with Python 3.13 and ``regex`` (``Alphabetic`` from the Unicode Character Database), and the
counter only reads it.

Run: ``python3.13 scripts/build_claude_chars.py`` (needs ``pip install regex``).

The rules are the measured facts ctok documents (README "How it works" and its tests): which
characters are word letters, which are punctuation that joins the punctuation vocabulary, which
marks stay inside a word (Unicode ``Alphabetic``) and which stand outside it, which digits take
border markers, and how case is read.
"""

from __future__ import annotations

import json
import lzma
import sys
import unicodedata
from pathlib import Path

import regex

OUT = Path(__file__).resolve().parent.parent / "promptlint" / "data" / "claude-chars.json.xz"

# Classes (low 3 bits)
WORD, HARD, DIGIT, PUNCT, SPACE = 1, 2, 3, 4, 5
# Flags
STRAY = 1 << 3        # a combining mark that opens a word of its own where it has no base
SEPARATOR = 1 << 4    # a non-Alphabetic mark: stands outside the word
PUNCTLIKE = 1 << 5    # takes punctuation's border markers inside a HARD run
SELECTOR = 1 << 6     # a variation selector: rides its base
DIGIT_BORDER = 1 << 7  # a non-ASCII digit: takes border markers
ND = 1 << 8           # general category Nd
NO = 1 << 9           # general category No
UPPER = 1 << 10       # a capital that lowers to something else
LOWER = 1 << 11
UNLOWERABLE = 1 << 12  # a letter or mark with no lower form: blocks case markers

# Unicode 16 case pairs the models know and Python 3.13 does not.
NEW_CASE_PAIRS = {"\u1c89": "\u1c8a", "\ua7cb": "\u0264"}
NEW_CASED = set(NEW_CASE_PAIRS) | set(NEW_CASE_PAIRS.values())
UNCASED = {"\u03f4"}  # Unicode calls it a capital; the models read it as caseless
# Non-ASCII symbols measured to tile over the punctuation vocabulary (no category rule exists).
PUNCT_SYMBOLS = set("—»«•°„–−£§€…√→（№†└│།·─═█")
IDEOGRAPHIC_SYMBOLS = set("〄〒〓〠〶〷〾〿")
# Blocks of symbol-letters that take the full word model.
SYMBOL_LETTER_BLOCKS = ((0x16EE, 0x16F0), (0x2160, 0x2188), (0x24B6, 0x24E9), (0xA6E6, 0xA6EF))
# Letters read character by character (no word model): CJK, Hangul syllables, iteration marks.
ISOLATED = ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0xF900, 0xFAFF), (0xAC00, 0xD7A3))
ISOLATED_MARKS = {0x3005, 0x3006, 0x3031, 0x3032, 0x3033, 0x3034, 0x3035, 0x303B, 0x303C}

ALPHABETIC = regex.compile(r"\p{Alphabetic}")
MARK = regex.compile(r"\p{M}")


def lower(c: str) -> str:
    if c in UNCASED:
        return c
    return NEW_CASE_PAIRS.get(c, c.lower())


def is_upper(c: str) -> bool:
    if c in UNCASED:
        return False
    return c in NEW_CASE_PAIRS or (c.isupper() and lower(c) != c)


def is_lower(c: str) -> bool:
    return c in NEW_CASE_PAIRS.values() or c.islower()


def is_selector(o: int) -> bool:
    return 0xFE00 <= o <= 0xFE0F


def is_separator(c: str) -> bool:
    return bool(MARK.fullmatch(c)) and not is_selector(ord(c)) and not ALPHABETIC.fullmatch(c)


def punctlike(c: str) -> bool:
    if is_separator(c):
        return True
    cat = unicodedata.category(c)
    o = ord(c)
    ideographic = 0x3001 <= o <= 0x303F and (cat.startswith("P") or c in IDEOGRAPHIC_SYMBOLS)
    return (cat[0] in "PS" or cat in ("Cf", "Cn")) and not ideographic


def digit_border(c: str) -> bool:
    cat = unicodedata.category(c)
    return cat == "No" or (cat == "Nd" and not c.isascii())


def char_class(c: str) -> int:
    if c in NEW_CASED:
        return WORD
    o = ord(c)
    cat = unicodedata.category(c)
    if cat[0] == "Z" or c in "\t\n\r\f\v":
        return SPACE
    if any(lo <= o <= hi for lo, hi in SYMBOL_LETTER_BLOCKS):
        return WORD
    if cat == "Nd" and (o < 0x80 or 0x0660 <= o <= 0x0669 or 0x06F0 <= o <= 0x06F9):
        return DIGIT
    if o < 0x80 and cat[0] in "PS":
        return PUNCT
    if c in PUNCT_SYMBOLS:
        return PUNCT
    if is_selector(o):
        return HARD
    if MARK.fullmatch(c):
        return WORD if ALPHABETIC.fullmatch(c) else HARD
    if cat[0] == "L" and not (any(lo <= o <= hi for lo, hi in ISOLATED) or o in ISOLATED_MARKS):
        return WORD
    return HARD


def flags(c: str) -> int:
    o = ord(c)
    cls = char_class(c)
    value = cls
    syriac_vowel = o == 0x0711 or 0x0730 <= o <= 0x073F
    if cls == WORD and unicodedata.combining(c) != 0 and not is_separator(c) and not syriac_vowel:
        value |= STRAY
    if is_separator(c):
        value |= SEPARATOR
    if punctlike(c):
        value |= PUNCTLIKE
    if is_selector(o):
        value |= SELECTOR
    if digit_border(c):
        value |= DIGIT_BORDER
    cat = unicodedata.category(c)
    if cat == "Nd":
        value |= ND
    elif cat == "No":
        value |= NO
    upper, low = is_upper(c), is_lower(c)
    if upper:
        value |= UPPER
    if low:
        value |= LOWER
    if (c in NEW_CASED or cat[0] in "LM") and not low and (not upper or lower(c) == c):
        value |= UNLOWERABLE
    return value


def main() -> None:
    if sys.version_info[:2] != (3, 13):
        sys.exit("run with Python 3.13 (its Unicode 15.1 data is what the table is frozen at)")
    ranges: list[list[int]] = []
    lowers: dict[str, str] = {}
    for o in range(0x10000):
        if 0xD800 <= o <= 0xDFFF:
            value = HARD  # surrogates never reach the counter (folded to U+FFFD)
        else:
            c = chr(o)
            value = flags(c)
            if value & (UPPER | LOWER | UNLOWERABLE) or c.lower() != c:
                low = lower(c)
                if low != c:
                    lowers[str(o)] = low
        if ranges and ranges[-1][2] == value and ranges[-1][1] == o - 1:
            ranges[-1][1] = o
        else:
            ranges.append([o, o, value])
    doc = {
        "about": "Per-character classes and case of the Basic Multilingual Plane for promptlint's "
                 "offline Claude counter; generated by scripts/build_claude_chars.py.",
        "unicode": unicodedata.unidata_version,
        "regex": regex.__version__,
        "bits": {"class": "low 3 bits: 1 word, 2 hard, 3 digit, 4 punct, 5 space", "stray": STRAY,
                 "separator": SEPARATOR, "punctlike": PUNCTLIKE, "selector": SELECTOR,
                 "digit_border": DIGIT_BORDER, "nd": ND, "no": NO, "upper": UPPER, "lower": LOWER,
                 "unlowerable": UNLOWERABLE},
        "ranges": ranges,
        "lower": lowers,
    }
    raw = json.dumps(doc, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")
    OUT.write_bytes(lzma.compress(raw, preset=9 | lzma.PRESET_EXTREME))
    print(f"{OUT}: {len(ranges)} ranges, {len(lowers)} lower mappings, {OUT.stat().st_size} bytes")


if __name__ == "__main__":
    main()
