"""A cache makes a run faster, never different: the same JSON, byte for byte, with and
without it (cold, warm, one file, one file edited), and a warm run reads only the results
it uses."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from promptlint import cache as cache_module

HERE = Path(__file__).parent
PROJECTS = {
    "examples": HERE.parent / "examples",
    "ledgerly": HERE / "fixtures" / "ledgerly",
    "traffic_app": HERE / "fixtures" / "traffic_app",
    "discovery": HERE / "fixtures" / "discovery",
    "precision": HERE / "fixtures" / "precision",
}


def _copy(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".promptlint_cache", "__pycache__"))
    old = 1_700_000_000 * 10**9  # well in the past: the stat shortcut of a warm run applies
    for path in target.rglob("*"):
        os.utime(path, ns=(old, old))
    return target


def _prompt_file(root: Path) -> Path:
    """A Python file of the project that holds a prompt (its scan finds templates there)."""
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(errors="replace")
        if "prompt" in text.lower() and ("create(" in text or "completion(" in text or "invoke(" in text):
            return path
    pytest.skip("no Python prompt file in this project")


def _shards(root: Path) -> list[Path]:
    return [p for p in (root / ".promptlint_cache").glob("scan-*.results/*") if not p.name.startswith(".")]


@pytest.mark.parametrize("name", list(PROJECTS), ids=list(PROJECTS))
def test_the_same_json_with_and_without_the_cache(tmp_path, cli, name):
    root = _copy(PROJECTS[name], tmp_path / name)
    one = _prompt_file(root).relative_to(root).as_posix()

    def check(*args: str) -> tuple[int, str]:
        code, out, _ = cli(root, "check", *args, "--format", "json")
        return code, out

    fresh = check(".", "--no-cache")
    assert check(".") == fresh  # cold, writing the cache
    assert _shards(root)  # results are kept apart from the index
    assert check(".") == fresh  # warm
    assert check(one) == check(one, "--no-cache")  # the hook: one file, warm
    path = root / one
    path.write_text(path.read_text() + "\n# edited\n")
    edited = check(".", "--no-cache")
    assert check(one) == check(one, "--no-cache")  # one file edited, the rest cached
    assert check(".") == edited
    assert check(".") == edited


def test_a_one_file_run_reads_only_the_results_it_uses(tmp_path, cli, monkeypatch):
    root = _copy(PROJECTS["ledgerly"], tmp_path / "ledgerly")
    cli(root, "check", ".")
    shards = _shards(root)
    assert len(shards) > 2
    read: list[str] = []
    real = Path.read_bytes

    def watched(self: Path) -> bytes:
        if self.parent.name.endswith(".results"):
            read.append(self.name)
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", watched)
    cli(root, "check", _prompt_file(root).relative_to(root).as_posix())
    assert 0 < len(read) < len(shards)


def test_a_shard_that_is_not_the_one_the_index_names_is_ignored(tmp_path, cli):
    """Sealed by this user, but the result of another version of the file: the index's
    entry names a hash its content does not have."""
    root = _copy(PROJECTS["ledgerly"], tmp_path / "ledgerly")
    path = root / "ledgerly" / "prompts" / "support.py"
    original, stat = path.read_text(), path.stat()
    fresh = cli(root, "check", ".", "--format", "json", "--no-cache")
    cli(root, "check", ".")
    (index,) = (root / ".promptlint_cache").glob("scan-*.json")
    kept, before = index.read_bytes(), set(_shards(root))
    path.write_text(original.replace("You are", "You were"))
    assert original != path.read_text()
    cli(root, "check", ".")
    (old,), (new,) = before - set(_shards(root)), set(_shards(root)) - before
    old.write_bytes(new.read_bytes())  # the edited file's result, under the original's name
    path.write_text(original)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    index.write_bytes(kept)
    assert cli(root, "check", ".", "--format", "json") == fresh


def test_a_linked_results_folder_is_not_written_through(tmp_path, cli):
    root = _copy(PROJECTS["ledgerly"], tmp_path / "ledgerly")
    fresh = cli(root, "check", ".", "--format", "json", "--no-cache")
    cli(root, "check", ".")
    (folder,) = (root / ".promptlint_cache").glob("scan-*.results")
    shutil.rmtree(folder)
    outside = tmp_path / "outside"
    outside.mkdir()
    folder.symlink_to(outside, target_is_directory=True)
    (root / _prompt_file(root).relative_to(root)).write_text(_prompt_file(root).read_text() + "\n# edited\n")
    fresh = cli(root, "check", ".", "--format", "json", "--no-cache")
    assert cli(root, "check", ".", "--format", "json") == fresh
    assert cli(root, "check", ".", "--format", "json") == fresh
    assert not list(outside.iterdir())


def test_the_price_memo_stamp_is_the_installed_genai_prices_version():
    from importlib.metadata import version

    from promptlint.engine import _genai_prices_version

    assert _genai_prices_version() == version("genai-prices")


def test_no_plugin_enabled_scans_no_entry_points(tmp_path, monkeypatch):
    import importlib.metadata

    from promptlint.rules import _entry_point_rules
    from promptlint.userconfig import UserSettings

    def refuse(**kwargs):
        raise AssertionError("entry points scanned")

    monkeypatch.setattr(importlib.metadata, "entry_points", refuse)
    assert _entry_point_rules(UserSettings()) == []
    with pytest.raises(AssertionError):
        _entry_point_rules(UserSettings(plugins=frozenset({"all"})))


def test_shard_names_are_checked_before_any_path_is_made():
    assert cache_module._is_shard_name("0" * 32)
    assert not cache_module._is_shard_name("../" + "0" * 29)
    assert not cache_module._is_shard_name("0" * 31)


def test_cache_files_are_not_flushed_to_disk_and_user_files_are(tmp_path, cli, monkeypatch):
    """Every cache file is checked on reading (sealed or hashed), so it needs no fsync: on
    a busy disk the flushes were most of a hook run's wait. A file the user keeps (the
    baseline, a fixed source) is still flushed before it replaces the old one."""
    root = _copy(PROJECTS["ledgerly"], tmp_path / "ledgerly")
    cli(root, "check", ".")  # the folder made, with its markers (written once, flushed)
    flushed: list[int] = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (flushed.append(fd), real(fd))[1])
    one = _prompt_file(root)
    one.write_text(one.read_text() + "\n# edited\n")
    (index,) = (root / ".promptlint_cache").glob("scan-*.json")
    before = index.read_bytes()
    cli(root, "check", one.relative_to(root).as_posix())  # the hook: the index records the edited file
    assert index.read_bytes() != before and flushed == []
    code, _, _ = cli(root, "audit", ".", "--write-baseline", "budget.json")
    assert code == 0 and (root / "budget.json").is_file()
    assert len(flushed) == 1
