"""Data files kept parsed between runs: parsed once per text, never believed when damaged."""

from __future__ import annotations

import datetime
import json

import pytest

from promptlint import parsed as parsed_module
from promptlint.parsed import parsed


def _counting(value_of):
    calls = []

    def parse(text):
        calls.append(text)
        return value_of(text)

    return parse, calls


def _stored():
    return sorted(parsed_module._folder().glob("*.json"))


def test_the_same_text_is_parsed_once_and_read_back_equal():
    parse, calls = _counting(lambda text: {"text": text, "n": [1, 2.5, True, None]})
    first = parsed("a: 1", parse, "test")
    second = parsed("a: 1", parse, "test")
    assert first == second == {"text": "a: 1", "n": [1, 2.5, True, None]}
    assert [type(x) for x in second["n"]] == [int, float, bool, type(None)]
    assert calls == ["a: 1"]
    parsed("a: 2", parse, "test")
    parsed("a: 1", parse, "another parser")
    assert len(calls) == 3 and len(_stored()) == 3


def test_a_value_json_cannot_hold_exactly_is_parsed_every_time():
    for value in ({"when": datetime.date(2026, 1, 1)}, {1: "int key"}, {"x": (1, 2)}, {"nan": float("nan")}):
        parse, calls = _counting(lambda text, v=value: v)
        parsed(repr(value), parse, "test")
        parsed(repr(value), parse, "test")
        assert len(calls) == 2
    assert _stored() == []


def test_a_damaged_or_edited_file_is_parsed_again():
    parse, calls = _counting(lambda text: {"rule": "PL103"})
    parsed("x", parse, "test")
    (path,) = _stored()
    head, _, body = path.read_bytes().partition(b"\n")
    path.write_bytes(head + b"\n" + body.replace(b"PL103", b"PL999"))  # body no longer matches its hash
    assert parsed("x", parse, "test") == {"rule": "PL103"}
    path.write_bytes(b"not even a header")
    assert parsed("x", parse, "test") == {"rule": "PL103"}
    assert len(calls) == 3
    assert json.loads(path.read_bytes().partition(b"\n")[2]) == {"rule": "PL103"}  # written again


def test_rule_files_and_model_facts_load_the_same_from_the_kept_form(monkeypatch):
    from promptlint import models, rules
    from promptlint.config import Config

    def load():
        rules._parse_dir.cache_clear()
        models._models_toml.cache_clear()
        models._load_facts.cache_clear()
        return rules.load_rules(Config()).rules, models._load_facts()

    fresh = load()
    assert _stored()
    monkeypatch.setattr(rules, "_parse_yaml", lambda text: pytest.fail("a rule file parsed again"))
    monkeypatch.setattr(models.tomllib, "loads", lambda text: pytest.fail("models.toml parsed again"))
    kept = load()
    assert kept == fresh


def test_the_calibration_table_loads_the_same_from_the_kept_form(monkeypatch):
    """Every run that counts reads ``calibration.toml`` (factors, frame overheads): a hook
    run whose counts are all cached must not parse it again."""
    from promptlint.tokens import offline

    offline.calibration_table.cache_clear()
    fresh = offline.calibration_table()
    assert _stored()
    offline.calibration_table.cache_clear()
    monkeypatch.setattr(offline.tomllib, "loads", lambda text: pytest.fail("calibration.toml parsed again"))
    try:
        assert offline.calibration_table() == fresh
        assert offline.family_factors() and offline.overheads()
    finally:
        offline.calibration_table.cache_clear()


def test_the_claude_tables_read_back_are_the_tables_built_from_the_data_files(monkeypatch):
    import lzma
    from importlib import resources

    from promptlint.tokens import claude, claude_stream

    def fresh_vocabulary(name):
        raw = resources.files("promptlint.data").joinpath(claude.compact_name(name)).read_bytes()
        return claude.Vocabulary(json.loads(lzma.decompress(raw)))

    names = sorted({family.pieces for family in claude.FAMILIES.values()})
    data = resources.files("promptlint.data").joinpath("claude-chars.json.xz").read_bytes()
    built = claude_stream._tables(data)
    for first in (True, False):  # built and kept, then read back with building forbidden
        claude_stream.characters.cache_clear()
        claude.vocabulary.cache_clear()
        if not first:
            monkeypatch.setattr(claude_stream, "_tables", lambda data: pytest.fail("built again"))
            monkeypatch.setattr(claude.Vocabulary, "tables", lambda self: pytest.fail("built again"))
        chars = claude_stream.characters()
        assert (chars.flags.tobytes(), chars.lower, chars.classes, chars.capital.pattern, chars.plain.pattern,
                chars.cased.pattern, chars.kinds) == built
        for name in names:
            kept = claude.vocabulary(name)
            assert all(getattr(kept, field) == getattr(fresh_vocabulary(name), field)
                       for field in claude.Vocabulary._TABLES)
    assert len(sorted(parsed_module._folder().glob("*.marshal"))) >= 1 + len(names)
    claude_stream.characters.cache_clear()
    claude.vocabulary.cache_clear()


def test_a_damaged_claude_table_is_built_again():
    from promptlint.tokens import claude_stream

    claude_stream.characters.cache_clear()
    claude_stream.characters()
    for kept in parsed_module._folder().glob("*.marshal"):
        kept.write_bytes(kept.read_bytes()[:-10] + b"0123456789")
    claude_stream.characters.cache_clear()
    calls = []
    real = claude_stream._tables

    def counted(data):
        calls.append(1)
        return real(data)

    claude_stream._tables = counted
    try:
        chars = claude_stream.characters()
    finally:
        claude_stream._tables = real
        claude_stream.characters.cache_clear()
    assert calls == [1] and len(chars.classes) == 0x10000
