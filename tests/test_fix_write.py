"""The write phase of ``promptlint fix`` (issue 17): compare-and-write per file at the last
moment, links, permissions and owners kept, temp files outside the user's commit."""

from __future__ import annotations

import os
import pwd
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from conftest import ROOT, make_fixer, write_tree
from promptlint.fix import APPLIED, REFUSED

DUP = "Never ask for card numbers or passwords."


def module(n: int) -> str:
    """A module with one safe fix (a repeated sentence) in its system prompt."""
    return textwrap.dedent(f'''
        import anthropic

        client = anthropic.Anthropic()

        SYSTEM_PROMPT = """You answer questions about ACME order {n} and its returns.
        Quote amounts with their currency.
        {DUP}
        {DUP}
        """


        def answer(question):
            return client.messages.create(
                model="claude-sonnet-4-5",
                max_tokens=400,
                system=SYSTEM_PROMPT,
                messages=[{{"role": "user", "content": question}}],
            )
    ''').lstrip()


def fixed(text: str) -> bool:
    return text.count(DUP) == 1


def stray_files(root: Path, cache: str = ".promptlint_cache") -> list[str]:
    """Files under ``root`` that are not sources of the test tree nor in the cache folder."""
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                  if p.is_file() and cache not in p.parts and not p.name.endswith(".py"))


# 1. compare and write per file, at the last moment ---------------------------------
def test_a_file_edited_during_the_write_phase_keeps_the_edit(tmp_path, monkeypatch):
    """The edit lands after the first file was written, before the second: the second
    file is refused and named, the edit is kept (before: compared all, then wrote all)."""
    write_tree(tmp_path, {"a.py": module(1), "b.py": module(2)})
    session = make_fixer(tmp_path)
    run = session.run(write=False)
    real_fsync = os.fsync
    calls = []

    def fsync_then_edit(fd):
        real_fsync(fd)
        calls.append(fd)
        if len(calls) == 1:  # the first file's new bytes are on disk: now someone edits b.py
            with open(tmp_path / "b.py", "a") as handle:
                handle.write("# edited by someone else\n")

    monkeypatch.setattr(os, "fsync", fsync_then_edit)
    session.write(run)
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert run.written == ["a.py"] and fixed((tmp_path / "a.py").read_text())
    b = (tmp_path / "b.py").read_text()
    assert b.endswith("# edited by someone else\n") and b.count(DUP) == 2
    assert "changed since promptlint read it" in run.refused["b.py"]
    [refused] = run.by_status(REFUSED)
    assert refused.finding.finding.span.path == "b.py" and refused.reason.startswith("b.py not written")


@pytest.mark.parametrize("how", ["append", "rename"])
def test_a_write_between_the_last_compare_and_the_swap_is_put_back(tmp_path, monkeypatch, how):
    """The narrowest window: someone writes the file after promptlint's last compare and
    before its swap, in place (``>>``) or by renaming a new file over it (an editor)."""
    from promptlint.fix import writer

    write_tree(tmp_path, {"a.py": module(1)})
    session = make_fixer(tmp_path)
    run = session.run(write=False)
    real_exchange = writer.exchange
    edited = module(1) + "# theirs\n"

    def exchange_after_their_write(a, b):
        if b == tmp_path / "a.py" and not getattr(exchange_after_their_write, "done", False):
            exchange_after_their_write.done = True
            if how == "append":
                with open(b, "a") as handle:
                    handle.write("# theirs\n")
            else:
                (tmp_path / "a.py.new").write_text(edited)
                os.replace(tmp_path / "a.py.new", b)
        real_exchange(a, b)

    monkeypatch.setattr(writer, "exchange", exchange_after_their_write)
    if not writer.can_exchange():
        pytest.skip("no atomic exchange on this platform")
    session.write(run)
    assert (tmp_path / "a.py").read_text() == edited
    assert run.written == [] and "changed while promptlint was writing it" in run.refused["a.py"]


def test_files_one_fix_edits_together_are_put_back_when_one_is_refused(tmp_path):
    from promptlint.fix.results import FixRun
    from promptlint.fix.writer import write_run

    write_tree(tmp_path, {"a.py": module(1), "b.py": module(2)})
    session = make_fixer(tmp_path)
    run = session.run(write=False)
    for result in run.by_status(APPLIED):  # as if one fix edited both files
        result.edits = tuple(e for r in run.by_status(APPLIED) for e in r.edits)
    os.chmod(tmp_path / "b.py", 0o444)
    write_run(run, tmp_path, tmp_path / ".promptlint_cache")
    assert isinstance(run, FixRun) and run.written == []
    assert (tmp_path / "a.py").read_text() == module(1)
    assert "fixed together with b.py" in run.refused["a.py"] and "read-only" in run.refused["b.py"]


# 2. links and permissions ---------------------------------------------------------
def test_a_symlink_inside_the_tree_is_fixed_at_its_target_once(tmp_path):
    write_tree(tmp_path, {"real.py": module(1)})
    (tmp_path / "link_in.py").symlink_to("real.py")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "again.py").symlink_to("../real.py")
    run = make_fixer(tmp_path).run()
    assert (tmp_path / "link_in.py").is_symlink() and (tmp_path / "pkg" / "again.py").is_symlink()
    text = (tmp_path / "real.py").read_text()
    assert fixed(text) and text == module(1).replace(f"{DUP}\n{DUP}\n", f"{DUP}\n")
    assert sorted(run.written) == ["link_in.py", "pkg/again.py", "real.py"]
    assert run.notes["link_in.py"] == "written to real.py through the link"


def test_a_symlink_leaving_the_tree_is_refused_with_its_reason(tmp_path):
    root = tmp_path / "project"
    outside = tmp_path / "outside"
    write_tree(outside, {"ext.py": module(1)})
    root.mkdir()
    (root / "link_out.py").symlink_to(outside / "ext.py")
    run = make_fixer(root).run()
    if "link_out.py" not in run.files:  # the scan itself refused to read it (tree boundary)
        assert not run.written
    else:
        assert "outside the project" in run.refused["link_out.py"] and str(outside / "ext.py") in \
            run.refused["link_out.py"]
        assert all(r.status == REFUSED for r in run.results if r.status not in ("suggested",))
    assert (root / "link_out.py").is_symlink()
    assert (outside / "ext.py").read_text() == module(1)


def test_a_hard_link_keeps_its_identity(tmp_path):
    write_tree(tmp_path, {"a.py": module(1)})
    os.link(tmp_path / "a.py", tmp_path / "b.py")
    inode = (tmp_path / "a.py").stat().st_ino
    run = make_fixer(tmp_path).run()
    assert sorted(run.written) == ["a.py", "b.py"]
    for name in ("a.py", "b.py"):
        st = (tmp_path / name).stat()
        assert st.st_ino == inode and st.st_nlink == 2
    assert fixed((tmp_path / "a.py").read_text())
    assert run.notes["a.py"] == "written in place"
    assert not list((tmp_path / ".promptlint_cache" / "fix").glob("run-*"))  # the backup is gone


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_a_file_owned_by_another_user_keeps_its_owner_and_mode(tmp_path):
    nobody = pwd.getpwnam("nobody")
    write_tree(tmp_path, {"a.py": module(1)})
    os.chown(tmp_path / "a.py", nobody.pw_uid, nobody.pw_gid)
    os.chmod(tmp_path / "a.py", 0o640)
    run = make_fixer(tmp_path).run()
    st = (tmp_path / "a.py").stat()
    assert run.written == ["a.py"] and fixed((tmp_path / "a.py").read_text())
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (nobody.pw_uid, nobody.pw_gid, 0o640)
    assert not run.notes  # swapped in atomically, not written in place


def test_a_read_only_file_is_refused_with_how_to_make_it_writable(tmp_path):
    write_tree(tmp_path, {"a.py": module(1)})
    os.chmod(tmp_path / "a.py", 0o444)
    run = make_fixer(tmp_path).run()
    assert run.written == [] and (tmp_path / "a.py").read_text() == module(1)
    assert "read-only (mode 0444)" in run.refused["a.py"] and "chmod u+w" in run.refused["a.py"]
    assert stat.S_IMODE((tmp_path / "a.py").stat().st_mode) == 0o444
    [result] = run.by_status(REFUSED)
    assert "read-only" in result.reason


def test_the_new_bytes_are_never_more_readable_than_the_file(tmp_path, monkeypatch):
    """The temp file has the file's mode before any byte is written (a 0600 secret is
    never briefly 0644)."""
    from promptlint.fix import writer

    write_tree(tmp_path, {"a.py": module(1)})
    os.chmod(tmp_path / "a.py", 0o600)
    seen = []
    real_write_all = writer.write_all

    def spy(fd, data):
        seen.append(stat.S_IMODE(os.fstat(fd).st_mode))
        real_write_all(fd, data)

    monkeypatch.setattr(writer, "write_all", spy)
    run = make_fixer(tmp_path).run()
    assert run.written == ["a.py"] and seen == [0o600]
    assert stat.S_IMODE((tmp_path / "a.py").stat().st_mode) == 0o600


# 4. temp files ---------------------------------------------------------------------
_SLOW_WRITER = """
import os, sys, time
from pathlib import Path

marker = Path(sys.argv[1])
real_fsync = os.fsync
count = [0]

fixed_size = int(sys.argv[2])

def fsync(fd):
    real_fsync(fd)
    if os.fstat(fd).st_size == fixed_size:  # the new bytes of a fixed source file
        count[0] += 1
        if count[0] == 3:  # the third file's new bytes are on disk, not yet swapped in
            marker.write_text("ready")
            time.sleep(600)

os.fsync = fsync
sys.argv = ["promptlint", "fix", "."]
from promptlint.cli import main
main()
"""


def test_kill_9_midway_leaves_no_temp_file_in_the_tree_and_the_next_run_cleans_up(tmp_path):
    root = tmp_path / "tree"
    files = {f"m{i:02d}.py": module(i) for i in range(6)}
    write_tree(root, files)
    marker = tmp_path / "ready"
    script = tmp_path / "slow_fix.py"
    script.write_text(_SLOW_WRITER)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    size = len(module(0).replace(f"{DUP}\n", "", 1).encode())
    proc = subprocess.Popen([sys.executable, str(script), str(marker), str(size)], cwd=root, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert proc.poll() is None and time.monotonic() < deadline, "the fix run did not reach its third write"
            time.sleep(0.05)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    texts = {name: (root / name).read_text() for name in files}
    assert sorted(n for n, t in texts.items() if fixed(t)) == ["m00.py", "m01.py"]  # midway: two of six
    assert all(t == files[n] for n, t in texts.items() if not fixed(t))  # never torn
    assert stray_files(root) == []  # nothing `git add -A` would pick up
    scratch = root / ".promptlint_cache" / "fix"
    assert list(scratch.glob("run-*/*.tmp"))  # the temp file is there, in the git-ignored cache
    assert (root / ".promptlint_cache" / ".gitignore").read_text().splitlines()[-1] == "*"

    run = make_fixer(root).run()  # the next run
    assert sorted(run.written) == [f"m{i:02d}.py" for i in range(2, 6)]
    assert not list(scratch.glob("run-*")) and not run.notices
    assert stray_files(root) == []


def test_a_backup_of_an_unfinished_write_in_place_is_kept_and_reported(tmp_path):
    from promptlint.fix.scratch import sha256

    write_tree(tmp_path, {"a.py": module(1), "b.py": module(2)})
    before, after = module(1).encode(), module(1).replace(f"{DUP}\n", "", 1).encode()
    torn = after[:-60]  # killed midway: shorter than either
    (tmp_path / "a.py").write_bytes(torn)
    (tmp_path / "b.py").write_bytes(module(2).encode())
    dead = tmp_path / ".promptlint_cache" / "fix" / "run-1-dead"
    dead.mkdir(parents=True)
    (dead / "lock").write_text("")
    header = f'{{"path": "{tmp_path / "a.py"}", "before": "{sha256(before)}", "after": "{sha256(after)}"}}\n'
    (dead / "backup-1").write_bytes(header.encode() + before)
    (dead / "2.tmp").write_bytes(b"half")
    run = make_fixer(tmp_path, select=("PL104",)).run()
    [notice] = run.notices
    assert "stopped while it wrote" in notice and "a.py" in notice
    kept = list((tmp_path / ".promptlint_cache" / "fix" / "interrupted").iterdir())
    assert len(kept) == 1 and kept[0].read_bytes().split(b"\n", 1)[1] == before
    assert not dead.exists()


def test_many_files_written_by_threads_give_the_record_one_by_one_gives(tmp_path, monkeypatch):
    """Past PARALLEL_MIN_GROUPS the groups are written by threads: the same files written,
    refused (read-only, changed since read, fixed with a refused file), noted (a hard
    link written in place, a link written at its target) and in the same order."""
    from promptlint.fix import writer
    from promptlint.fix.writer import write_run

    threaded = []
    real = writer._write_groups_at_once
    monkeypatch.setattr(writer, "_write_groups_at_once", lambda *a: (threaded.append(len(a[3])), real(*a)))

    def record(root: Path, groups_from: int):
        files = {f"m{n:02d}.py": module(n) for n in range(24)}
        write_tree(root, files)
        os.link(root / "m03.py", root / "hard.py")
        (root / "link.py").symlink_to("m05.py")
        run = make_fixer(root).run(write=False)
        for result in run.by_status(APPLIED):  # as if one fix edited both m10.py and m11.py
            if result.paths == {"m10.py"}:
                result.edits += next(r.edits for r in run.by_status(APPLIED) if r.paths == {"m11.py"})
        os.chmod(root / "m07.py", 0o444)
        os.chmod(root / "m11.py", 0o444)
        (root / "m09.py").write_text(module(9) + "# edited meanwhile\n")
        monkeypatch.setattr(writer, "PARALLEL_MIN_GROUPS", groups_from)
        write_run(run, root, root / ".promptlint_cache")
        disk = {p.name: p.read_bytes() for p in sorted(root.glob("*.py"))}
        refused = [(p, why.replace(str(root), "ROOT")) for p, why in run.refused.items()]
        return refused, run.written, list(run.notes.items()), disk

    one_by_one = record(tmp_path / "serial", 10**9)
    assert not threaded
    at_once = record(tmp_path / "threads", 1)
    assert threaded and threaded[0] > 16
    assert at_once == one_by_one
    refused, written, notes, disk = at_once
    assert [p for p, _ in refused] == ["m07.py", "m09.py", "m11.py", "m10.py"]
    assert "read-only" in dict(refused)["m07.py"] and "changed since" in dict(refused)["m09.py"]
    assert "together with m11.py" in dict(refused)["m10.py"]
    assert ("hard.py", "written in place") in notes and ("link.py", "written to m05.py through the link") in notes
    assert disk["m10.py"] == module(10).encode() and fixed(disk["m12.py"].decode()) and fixed(disk["hard.py"].decode())
    assert len(written) == 24 + 2 - 4
