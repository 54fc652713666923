"""References to a name across the tree: the word index finds what the per-name scan finds,
and looking up many names reads each file's code once, not once per name."""

from __future__ import annotations

import json
from types import SimpleNamespace

from promptlint.discover import SourceFile
from promptlint.fix import uses as uses_module
from promptlint.fix.uses import Uses


def notebook(*cells: str) -> bytes:
    doc = {"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                      "source": cell.splitlines(keepends=True)} for cell in cells],
           "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(doc, indent=1).encode()


def tree(tmp_path, names: list[str]):
    files = {f"m{i}.py": f"{n} = 'x'\nprint({n})\n".encode() for i, n in enumerate(names)}
    files["reader.py"] = ("from m0 import " + ", ".join(names) + "\n"
                          + "".join(f"use({n}.strip())\n" for n in names)).encode()
    files["café.py"] = f"é{names[1]} = 1\nnaïve = {names[2]}\n".encode()  # non-ASCII bytes
    files["nb.ipynb"] = notebook(f"x = 1\n{names[3]}()\n")  # JSON writes "\n" before the name
    files["skipped.py"] = f"value = {names[4]}\n".encode()  # read from the disk when looked up
    (tmp_path / "skipped.py").write_bytes(files.pop("skipped.py"))
    discovery = SimpleNamespace(
        files=tuple(SourceFile(rel, str(tmp_path / rel), "notebook" if rel.endswith(".ipynb") else "python", data)
                    for rel, data in files.items()),
        skipped=("skipped.py",))
    return discovery


NAMES = [f"PROMPT_{i}" for i in range(40)]


def lookups(uses: Uses) -> dict[str, list]:
    return {name: uses.references(name) for name in [*NAMES, "naïve", "use", "missing"]}


def test_the_word_index_finds_every_reference_the_scan_finds(tmp_path, monkeypatch):
    discovery = tree(tmp_path, NAMES)
    edited = {"m5.py": "PROMPT_5 = 'y'\n\nPROMPT_9.upper()\n"}
    for texts in ({}, edited):
        monkeypatch.setattr(uses_module, "_SCANS_BEFORE_INDEX", 10**9)
        scanned = lookups(Uses(str(tmp_path), discovery, dict(texts)))
        monkeypatch.setattr(uses_module, "_SCANS_BEFORE_INDEX", 0)
        indexed = Uses(str(tmp_path), discovery, dict(texts))
        assert lookups(indexed) == scanned
        assert indexed._index is not None
    assert [(s.path, s.line, s.cell) for s, _ in scanned["PROMPT_3"]] == [("m3.py", 1, None), ("m3.py", 2, None),
                                                                          ("reader.py", 5, None), ("nb.ipynb", 2, 1)]
    assert [s.path for s, _ in scanned["PROMPT_4"]] == ["m4.py", "m4.py", "reader.py", "skipped.py"]
    assert [s.path for s, _ in scanned["PROMPT_9"]] == ["m5.py", "m9.py", "m9.py", "reader.py"]
    assert [s.path for s, _ in scanned["PROMPT_1"]] == ["m1.py", "m1.py", "reader.py"]  # not éPROMPT_1
    assert [s.path for s, _ in scanned["PROMPT_2"]] == ["m2.py", "m2.py", "reader.py", "café.py"]


def test_looking_up_many_names_reads_each_file_once_per_name_that_it_holds(tmp_path, monkeypatch):
    """Every file edited in memory (a later pass): the scan used to read all of them per name."""
    discovery = tree(tmp_path, NAMES)
    texts = {f.path: f.data.decode() for f in discovery.files if f.kind == "python"}
    uses = Uses(str(tmp_path), discovery, texts)
    reads = []
    units = uses._units
    monkeypatch.setattr(uses, "_units", lambda rel: reads.append(rel) or units(rel))
    for name in NAMES:
        assert uses.references(name)
    files = len(discovery.files) + 1
    # the scanned names read every edited file each; then one index of every file, then each
    # name reads only its own module and the reader
    assert len(reads) <= uses_module._SCANS_BEFORE_INDEX * files + files + 2 * len(NAMES)
