"""The on-disk count cache: keyed by model and exact body, robust to damage."""

from __future__ import annotations

import os

from promptlint.seal import seal
from promptlint.tokens.disk_cache import CountCache, body_key

BODY = {"model": "claude-sonnet-4-5", "system": "Be brief.", "messages": [{"role": "user", "content": "x"}]}


def test_round_trip_and_key_is_the_exact_body(tmp_path):
    cache = CountCache(tmp_path / "c")
    assert cache.get("claude-sonnet-4-5", BODY) is None
    cache.put("claude-sonnet-4-5", BODY, 17)
    assert cache.get("claude-sonnet-4-5", BODY) == 17
    reordered = {"messages": BODY["messages"], "system": "Be brief.", "model": "claude-sonnet-4-5"}
    assert body_key(reordered) == body_key(BODY)  # key order does not matter
    assert cache.get("claude-sonnet-4-5", {**BODY, "system": "Be brief. "}) is None  # one byte does
    assert cache.get("claude-opus-4-7", BODY) is None
    assert CountCache(tmp_path / "c").get("claude-sonnet-4-5", BODY) == 17  # survives the process


def test_marks_the_folder_as_a_cache(tmp_path):
    cache = CountCache(tmp_path / "c")
    cache.put("claude-sonnet-4-5", BODY, 1)
    assert (tmp_path / "c" / ".gitignore").read_text().splitlines()[-1] == "*"
    assert (tmp_path / "c" / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")


def test_damaged_entries_read_as_missing(tmp_path):
    cache = CountCache(tmp_path)
    cache.put("claude-sonnet-4-5", BODY, 5)
    [entry] = list(tmp_path.rglob("*.json"))
    for damaged in ("", "{", "[]", '{"model": "claude-sonnet-4-5", "input_tokens": -1}',
                    '{"model": "claude-sonnet-4-5", "input_tokens": true}', '{"model": "other", "input_tokens": 5}',
                    "\udcff"):
        entry.write_bytes(seal(damaged.encode(errors="surrogateescape")))  # sealed, and still refused
        assert cache.get("claude-sonnet-4-5", BODY) is None
    cache.put("claude-sonnet-4-5", BODY, 5)
    assert cache.get("claude-sonnet-4-5", BODY) == 5


def test_unwritable_cache_never_raises(tmp_path):
    blocker = tmp_path / "c"
    blocker.write_text("a file where the folder should be")
    cache = CountCache(blocker)
    cache.put("claude-sonnet-4-5", BODY, 3)
    assert cache.get("claude-sonnet-4-5", BODY) is None
    assert cache.write_error and str(blocker) in cache.write_error


def test_an_entry_this_user_did_not_seal_is_not_a_count(tmp_path, monkeypatch):
    """A count committed in the scanned tree's cache folder would price its prompts."""
    cache = CountCache(tmp_path)
    cache.put("claude-sonnet-4-5", BODY, 5)
    [entry] = list(tmp_path.rglob("*.json"))
    forged = b'{"model": "claude-sonnet-4-5", "input_tokens": 1}'
    entry.write_bytes(forged)
    assert cache.get("claude-sonnet-4-5", BODY) is None
    users = os.environ["XDG_CACHE_HOME"]
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "another-machine"))
    entry.write_bytes(seal(forged))
    monkeypatch.setenv("XDG_CACHE_HOME", users)
    assert cache.get("claude-sonnet-4-5", BODY) is None
    entry.write_bytes(seal(forged))  # the control: this user's own entry is read
    assert cache.get("claude-sonnet-4-5", BODY) == 1
