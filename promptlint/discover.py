"""Stage 1: find the files that may hold prompts.

Walking is cheap; parsing is not. So every candidate file is read as bytes and passed
through a byte-level prefilter (one compiled regex per file kind) and only files that
can hold a prompt go on to extraction. A file that cannot be read or is too large yields
a skip notice instead of stopping the scan.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
from stat import S_ISDIR, S_ISREG
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Mapping, TypeVar

from promptlint.boundary import Tree
from promptlint.config import DEFAULT_EXCLUDE, Config
from promptlint.extract.evidence import CUE_WINDOW, PROMPT_FOLDERS, TASK_CUE, fixture_path, is_prompt_folder
from promptlint.extract.sinks import import_markers, prefilter_markers
from promptlint.globs import PathMatcher
from promptlint.survey import Extract, survey_all
from promptlint.terminal import progress
from promptlint.types import Diagnostic

if TYPE_CHECKING:
    from promptlint.cache import ScanCache
    from promptlint.extract.result import FileResult
    from promptlint.nameindex import NameFacts, NameIndex


# Byte-order marks of the UTF-32 and UTF-16 encodings (YAML 1.1 allows UTF-16).
WIDE_BOMS = (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff", b"\xff\xfe", b"\xfe\xff")


def wide_encoding(data: bytes) -> str:
    bom = next(b for b in WIDE_BOMS if data.startswith(b))
    return f"encoded as {'UTF-32' if len(bom) == 4 else 'UTF-16'} (it starts with a byte-order mark)"


def digest(data: bytes) -> str:
    """The content hash that keys the cache."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def stat_key(stat: os.stat_result) -> list[int]:
    """What must be unchanged for a file's recorded hash to stand for its bytes: size,
    mtime, and the inode's change time and number, which no one can set back (``touch -d``
    restores an mtime, not a ctime)."""
    return [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]


@dataclass(frozen=True)
class SourceFile:
    path: str  # POSIX, relative to the project root
    abspath: str
    kind: str  # python | notebook | jinja | yaml
    data: bytes | None  # None until needed when the cache vouches for the file
    digest: str = ""  # content hash, the cache key
    stat: tuple[int, ...] | None = None  # stat_key of the file when its bytes were read now, for the cache

    def load(self) -> bytes:
        """The file's bytes (read now if the scan did not need them)."""
        if self.data is not None:
            return self.data
        with open(self.abspath, "rb") as handle:
            return handle.read()


@dataclass(frozen=True)
class Discovery:
    files: tuple[SourceFile, ...]  # passed the prefilter: to be extracted
    candidates: int  # files of a known kind that were looked at
    diagnostics: tuple[Diagnostic, ...]
    skipped: tuple[str, ...] = ()  # candidate paths that failed the prefilter (for lazy loading)
    others: tuple[str, ...] = ()  # prompt-like text files (.txt, .md) code may read (for linking)
    results: tuple[FileResult, ...] = ()  # extraction of ``files``, when discovery was asked to extract
    names: Mapping[str, tuple[str, NameFacts]] = field(default_factory=dict)  # skipped file -> (digest, facts) read now


_SINK_MARKERS = prefilter_markers()
# An SDK import that says something only with one of the names it is called by in the file.
_IMPORTS = import_markers()
# A string literal whose first line reads as prose (three words, a sentence, a placeholder) or that
# opens a triple-quoted block: what name and shape evidence can use (``"hi"``, ``""``,
# ``"gpt-4o"`` cannot; a module imported for such a value is read on demand when it is).
_PROSE = (
    rb"[rRbBuUfF]{0,2}(?:\"\"\"|\'\'\'"
    rb"|\"[^\"\n]*?(?:(?:[ \t]+[^\s\"]+){2}|[{%]|[ \t]+[^\s\"]*[.!?:]\")"
    rb"|\'[^\'\n]*?(?:(?:[ \t]+[^\s\']+){2}|[{%]|[ \t]+[^\s\']*[.!?:]\'))"
)
# ...or that names a prompt file (``system_prompt_filename = "system.j2"`` links it).
_TEXT_LITERAL = rb"(?:" + _PROSE + rb"|[\"\'][^\"\'\n]*\.(?:j2|jinja2?|txt|md|prompty?|tmpl|tpl|ya?ml)[\"\'])"
# A message whose content can be known: a system message of prose, a constant, a formatted
# string or content blocks; a user or assistant turn only of a constant or a formatted
# string (``{"role": "user", "content": "Hello"}`` is a test's chatter, not a prompt).
_SPLICED = rb"(?-i:[A-Z][A-Z0-9_]{2,})\b|[\w.]+\s*\.\s*format\b"


def _message(role_key: bytes, content_key: bytes) -> bytes:
    system = rb"[\"\'](?:system|developer)[\"\']\s*,\s*" + content_key + rb"\s*(?:" + _PROSE + rb"|" + _SPLICED + rb"|\[\s*\{)"
    turn = rb"[\"\'](?:user|assistant)[\"\']\s*,\s*" + content_key + rb"\s*(?:" + _SPLICED + rb")"
    return role_key + rb"\s*(?:" + system + rb"|" + turn + rb")"


# Each marker: (lower-case anchors one of which every match holds, regex).
# Calls that make a request or run an agent: all a test suite's module is parsed for.
_REQUEST_MARKERS = _SINK_MARKERS + (
    ((b"chat",), rb"(?<![\w.])(?-i:Chat(?!Completion)[A-Z]\w*|AzureChat\w*|init_chat_model)\s*\("),
    ((b"invoke",), rb"(?-i:\.a?invoke)\s*\("),
    ((b"agentexecutor", b"initialize_agent", b"codeagent", b"toolcallingagent"),
     rb"(?<![\w.])(?<!def )(?-i:AgentExecutor|initialize_agent|CodeAgent|ToolCallingAgent)\s*[(.]"),
    ((b"runner",), rb"\bRunner\s*\.\s*run"),  # agent caps (loops.py)
    ((b"prompty",), rb"\bprompty\s*\.\s*(?:execute|load)\s*\("),  # a prompty file sent from code
)
# ...and the prompt objects and messages a request may send, which in a test suite are
# fixtures until one of its requests sends them.
_CALL_MARKERS = _REQUEST_MARKERS + (
    ((b"prompttemplate",), rb"(?-i:PromptTemplate)\b"),
    ((b"from_messages",), rb"(?-i:from_messages)\b"),
    ((b"systemmessage", b"humanmessage", b"aimessage", b"chatmessage"), rb"(?-i:(?:System|Human|AI|Chat)Message)\b"),
    ((b"messagesplaceholder",), rb"MessagesPlaceholder"),
    # a role dict or message object whose content is known (a message list built here)
    ((b"role",), _message(rb"[\"\']role[\"\']\s*:", rb"[\"\']content[\"\']\s*:")
     + b"|" + _message(rb"\brole\s*=", rb"\bcontent\s*=")),
)
# Evidence that needs no SDK call in the file: a function named as a prompt builder (not a
# test) that binds or returns text, and a function returning or a name bound to
# triple-quoted text that shows, where content evidence looks, the kind of cue it cannot
# do without (it asks for more).
_OPEN_TEXT = (rb"(?:\(\s*)?(?:textwrap\.)?(?:dedent\()?[rRfFuU]{0,2}(?:\"\"\"|\'\'\')"
              # not a page or a drawing, not code (what content evidence rejects at once)
              rb"(?!\s*<(?:!doctype|html|head|body|div|table|svg|\?xml)\b|\s*(?:def|class|import|from[ \t]+\S+[ \t]+import)[ \t])")
_CUED = rb"(?:(?!\"\"\"|\'\'\')[\s\S]){0,%d}?(?:" % CUE_WINDOW + TASK_CUE + b")"
_BODY = 1500  # bytes of a builder's body where its text must start
# Text a builder binds, returns, lists or passes on (not its docstring, not a log line).
_BODY_TEXT = (rb"(?:[=\[,]|\breturn\b|(?<!info)(?<!ebug)(?<!ning)(?<!rror)(?<!rint)(?<!tion)\()[ \t]*(?:\n[ \t]*)?"
              rb"(?:\(\s*)?" + _PROSE)
_BUILDERS = (rb"^[ \t]*(?:async[ \t]+)?def[ \t]+(?!test)\w*(?:prompt|instruction)\w*[ \t]*\("
             rb"(?:(?!\n[ \t]*(?:async[ \t]+)?def[ \t]|\n[A-Za-z_@])[\s\S]){0,%d}?" % _BODY + _BODY_TEXT)
_BUILDER_ANCHORS = (b"prompt", b"instruction")
_TEXT = (
    rb"^[ \t]+return[ \t]+" + _OPEN_TEXT + _CUED
    + rb"|^(?: {0,4}|\t)[A-Za-z_][\w.]*(?:[ \t]+|[ \t]*:[^=\n]*)=[ \t]*" + _OPEN_TEXT + _CUED
    + rb"|^[A-Za-z_][\w.]*=" + _OPEN_TEXT + _CUED
)
_TEXT_ANCHORS = (b'"""', b"\'\'\'")
# ...or to string literals concatenated in parentheses (``msg = (\n 'Please ...'\n '...')``),
# a cue on a line of one of its pieces; the lines between are pieces or other operands (a
# name, ``+ name``, the parentheses and branches of a nested conditional).
_LITERAL_LINE = rb"[ \t]*(?:\+[ \t]*)?(?:\w+[ \t]*\+[ \t]*)?[rRbBuUfF]{0,2}[\"\']"
_OPERAND_LINE = rb"[ \t]*(?:\+[ \t]*)?(?:[\w.]+|[()]|(?:if|else)\b[^\n]*)[ \t]*\+?[ \t]*"
_JOINED = (rb"^[ \t]*(?:return|[A-Za-z_][\w.]*[ \t]*(?::[^=\n]*)?=)[ \t]*\([ \t]*\n"
           rb"(?:(?:" + _LITERAL_LINE + rb"[^\n]*|" + _OPERAND_LINE + rb")\n){0,40}?" + _LITERAL_LINE
           + rb"[^\n]*?(?:" + TASK_CUE + b")")
_JOINED_ANCHORS = (b"= (", b"return (")
# ...or a path built to a prompt folder (``DB(Path(__file__).parent / "preprompts")``,
# ``os.path.join(HERE, "prompts")``): its files are prompts (promptlint.extract.folders).
_FOLDER_PATH = (rb"(?:/|\bPath\s*\(|,|\bjoinpath\s*\()\s*[rRuU]?[\"\'](?:[^\"\'\n]*[/\\])?(?:"
                + b"|".join(sorted(n.encode() for n in PROMPT_FOLDERS)) + rb")[/\\]?[\"\'](?!\s*:)")
_FOLDER_ANCHORS = tuple(sorted({b"prompts", *(n.encode() for n in PROMPT_FOLDERS if "prompts" not in n)}))
# Names that say they hold something other than text: ``prompt_tokens=``, ``template_id``,
# ``log_filename_template`` (a path or file name may name a prompt file: its value decides).
_NOT_TEXT_NAME = b"".join(rb"(?<!" + s + b")" for s in (
    b"_tokens", b"_token", b"_id", b"_ids", b"_count", b"_len", b"_length", b"_key", b"_keys", b"_type",
    b"_types", b"_version", b"_url", b"_enabled", b"_mode", b"filename_template", b"path_template",
    b"url_template", b"name_template"))
# ``instruction='Fix it',`` inside a call is a keyword argument, not a binding.
_NOT_KEYWORD = rb"(?!=[^=\n][^\n]*,[ \t]*(?:#[^\n]*)?$)"
# What a prompt-named binding is given when it can hold text: prose, a container, a
# text operation, another constant, a file read; ``SYSTEM_ROOT = Path(...)``,
# ``template_id = get_id()`` or ``prompt = "hi"`` holds none.
_TEXT_VALUE = (
    rb"[ \t]*(?:" + _TEXT_LITERAL + rb"|\[\s*(?:" + _PROSE + rb"|[^\s\"\'])|[({\\]|\n|(?:textwrap\.)?dedent\s*\(|"
    rb"(?:inspect\.)?cleandoc\s*\(|(?:string\.)?Template\s*\(|os\.(?:getenv|environ\.get)\s*\(\s*[\w.]+|"
    rb"os\.(?:getenv|environ\.get)\s*\(\s*[\"\'][^\"\'\n]*[\"\']\s*,\s*" + _TEXT_LITERAL + rb"|"
    rb"(?-i:[A-Z][A-Z0-9_]*)\s*(?:$|[+%.\[#])|"
    rb"[\w.]+\s*(?:\+|%|\.\s*(?:format|replace|strip|read_text|read|render|get_template|substitute)\b)|"
    rb"[\w.]+(?<!path)\s*\.\s*join\b)"
)
# A key that holds prompt text (a scalar on the same line, a block indicator, or plain
# text on the next, indented line), or a key that holds a list of prompts; Kubernetes'
# ``template:`` (a mapping on the next lines) does not match.
_YAML_KEYS = (
    rb"^[ \t]*(?:-[ \t]*)?[\"']?(?:"
    rb"(?:system|prompt|template|instructions|user|content|[\w-]*_prompt|[\w-]*_template|[\w-]*_instructions)"
    rb"[\"']?[ \t]*:(?:[ \t]*[^\s#]|[ \t]*(?:#[^\n]*)?\r?\n[ \t]+[^\s#:-][^:\n]*$)"
    rb"|(?:prompts|templates|messages|examples)[\"']?[ \t]*:)"
)
_YAML_LISTS = rb"^[ \t]*(?:-[ \t]*)?[\"']?(?:prompts|messages)[\"']?[ \t]*:"
_YAML_ANCHORS = (b"system", b"prompt", b"template", b"instructions", b"user", b"messages", b"examples", b"content")


Marker = tuple[tuple[bytes, ...], bytes]  # (lower-case literals one of which every match holds, regex)


class _Lazy:
    """A regex compiled on its first use: a one-file run wakes few of the prefilter's
    anchors, and compiling the confirming regex of every anchor was most of its prefilter
    cost (the ``re`` module's own cache still shares one compilation between equal ones)."""

    __slots__ = ("source", "flags", "_compiled")

    def __init__(self, source: bytes, flags: int) -> None:
        self.source, self.flags, self._compiled = source, flags, None

    def _regex(self) -> re.Pattern[bytes]:
        if self._compiled is None:
            self._compiled = re.compile(self.source, self.flags)
        return self._compiled

    def match(self, data: bytes, pos: int, endpos: int) -> re.Match[bytes] | None:
        return self._regex().match(data, pos, endpos)

    def search(self, data: bytes, pos: int, endpos: int) -> re.Match[bytes] | None:
        return self._regex().search(data, pos, endpos)


@dataclass(frozen=True)
class Check:
    """Find a literal anchor at memory-search speed, then confirm with a regex around it.

    A regex alone is tried at every byte of every file; searching the lower-cased bytes
    for a handful of literals first skips almost all of an ordinary file in C. Each anchor
    wakes only the regexes of the markers that hold it (``message`` is everywhere; the
    call shapes that contain it are few), and each regex runs once over the merged windows
    of its anchor's occurrences (``line start .. occurrence + window``), never twice over
    the same bytes. An anchor that holds a shorter anchor of the same check
    (``completions``, ``acompletion`` hold ``completion``) is not searched for in a file
    where the shorter one is absent: every anchor search reads the whole file, and on a tree
    where most files hold none of a check's forty anchors, those searches were most of its
    prefilter time. ``on_anchor_line``: every match starts on the line of one of its
    anchors, so it is tried from that line's start only, once per line (``match`` of
    ``[^\n]*?(?:...)``), not at every byte of the window.
    """

    searches: tuple[tuple[bytes, _Lazy], ...]
    window: int = 300  # bytes after an anchor a multi-line call may span
    on_anchor_line: bool = False
    markers: tuple[Marker, ...] = ()  # what it was built from (for tests and diagnostics)
    requires: tuple[bytes, ...] = ()  # lower-case literals one of which the file must hold too
    gates: tuple[int, ...] = ()  # per search: the index of a shorter anchor it holds, searched before it (-1: none)
    wordy: tuple[bool, ...] = ()  # per search: its anchor is all word characters (:meth:`found`)
    requires_words: bool = False  # every ``requires`` literal is all word characters

    @classmethod
    def of(cls, markers: tuple[Marker, ...], flags: int, window: int = 300, on_anchor_line: bool = False,
           requires: tuple[bytes, ...] = ()) -> Check:
        by_anchor: dict[bytes, list[bytes]] = {}
        for anchors, pattern in markers:
            for anchor in anchors:
                by_anchor.setdefault(anchor, []).append(pattern)
        compiled: dict[tuple[bytes, ...], _Lazy] = {}
        searches = []
        for anchor, patterns in by_anchor.items():
            key = tuple(dict.fromkeys(patterns))
            if key not in compiled:
                alternatives = b"|".join(key)
                compiled[key] = _Lazy(rb"[^\n]*?(?:" + alternatives + b")" if on_anchor_line else alternatives, flags)
            searches.append((anchor, compiled[key]))
        searches.sort(key=lambda search: len(search[0]))  # a gate before the anchors that hold it
        gates = tuple(next((i for i, (shorter, _) in enumerate(searches[:at]) if shorter in anchor), -1)
                      for at, (anchor, _) in enumerate(searches))
        wordy = tuple(_is_word(anchor) for anchor, _ in searches)
        return cls(tuple(searches), window, on_anchor_line, tuple(markers), requires, gates, wordy,
                   all(_is_word(name) for name in requires))

    def found(self, data: bytes, low: bytes, words: bytes | None = None) -> bool:
        """``words``: the distinct word-character runs of ``low``, joined by blanks
        (:func:`word_runs`). An anchor of word characters only occurs in ``low`` exactly
        when it occurs in one of its runs, so its absence, the usual answer, is read off
        that string, a fraction of the file's size, instead of a search of the whole file."""
        if self.requires:
            hay = words if words is not None and self.requires_words else low
            if not any(name in hay for name in self.requires):  # type: ignore[operator]
                return False
        size = len(data)
        gates = self.gates
        wordy = self.wordy if words is not None else ()
        absent = [False] * len(self.searches) if gates else None
        for index, (anchor, confirm) in enumerate(self.searches):
            if absent is not None and gates[index] >= 0 and absent[gates[index]]:
                absent[index] = True
                continue
            at = -1 if wordy and wordy[index] and anchor not in words else low.find(anchor)  # type: ignore[operator]
            if at == -1:
                if absent is not None:
                    absent[index] = True
                continue
            if self.on_anchor_line:
                while at != -1:
                    line_start = low.rfind(b"\n", 0, at) + 1
                    line_end = low.find(b"\n", at)
                    line_end = size if line_end == -1 else line_end
                    last = max(at, low.rfind(anchor, at, line_end))
                    if confirm.match(data, line_start, min(size, last + self.window)):
                        return True
                    at = low.find(anchor, line_end + 1)
                continue
            region_start = region_end = -1
            while at != -1:
                line_start = low.rfind(b"\n", 0, at) + 1
                if line_start >= region_end:
                    if region_end != -1 and confirm.search(data, region_start, region_end):
                        return True
                    region_start = line_start
                region_end = max(region_end, min(size, at + self.window))
                at = low.find(anchor, at + 1)
            if region_end != -1 and confirm.search(data, region_start, region_end):
                return True
        return False


@dataclass(frozen=True)
class Prefilter:
    """A file passes when any one kind of evidence may be in it (each kind its own check, so
    a common anchor such as ``prompt`` only wakes the regex that needs it)."""

    checks: tuple[Check, ...]

    def matches(self, data: bytes) -> bool:
        low = data.lower()
        words = word_runs(low) if len(data) >= _WORD_RUNS_FROM else None
        return any(check.found(data, low, words) for check in self.checks)


# Below this size a file is searched whole: making its word runs costs more than the
# searches they save.
_WORD_RUNS_FROM = 2048


def _is_word(anchor: bytes) -> bool:
    return bool(anchor) and b" " not in anchor.translate(_WORD_BYTES)


def word_runs(low: bytes) -> bytes:
    """The distinct runs of ASCII word characters of ``low``, joined by blanks (a blank
    on each side, so a run never joins its neighbour into a false anchor)."""
    return b" " + b" ".join(set(low.translate(_WORD_BYTES).split())) + b" "


# Files that are not scanned on their own but that code may read as prompt text.
LINKABLE_SUFFIXES = (".txt", ".md", ".markdown", ".prompt", ".tmpl", ".tpl", ".mustache", ".hbs", ".njk",
                     ".liquid", ".xml", ".html")


def _name_regex(patterns: tuple[str, ...]) -> bytes:
    """The name patterns as one regex over identifier characters, with the same
    ``*``, ``?`` and ``[...]`` as :func:`promptlint.globs.match_name` (which decides later)."""
    alts = []
    for pattern in patterns:
        body = b""
        for token in re.findall(r"\[[^\]]+\]|.", pattern):
            if token == "*":
                body += rb"\w*"
            elif token == "?":
                body += rb"\w"
            elif len(token) > 1:
                inner = token[1:-1].replace("\\", "\\\\")  # ranges (a-z) stay ranges
                body += b"[" + (b"^" + inner[1:].encode() if inner[0] in "!^" else inner.encode()) + b"]"
            else:
                body += re.escape(token).encode()
        alts.append(body)
    return b"(?:" + b"|".join(alts) + b")" if alts else b"(?!)"


def _name_anchors(patterns: tuple[str, ...]) -> tuple[bytes, ...]:
    """The longest literal run of each name pattern: ``*PROMPT*`` -> ``prompt``."""
    anchors = []
    for p in patterns:
        runs = [r for r in re.split(r"[*?\[\]]", p) if r]
        if not runs:
            return (b"",)  # a pattern that is all wildcards matches any name
        anchors.append(max(runs, key=len).lower().encode())
    return tuple(anchors)


@lru_cache(maxsize=16)
def prefilter(kind: str, name_patterns: tuple[str, ...], fixture: bool = False) -> Prefilter | None:
    """What a file of ``kind`` must contain to be parsed (None: always parse). A test
    suite's module (``fixture``) needs a call that makes a request: its named values,
    texts, message lists and prompt objects are fixtures, no evidence by themselves
    (:func:`promptlint.extract.evidence.fixture_path`)."""
    if fixture and kind == "python":
        imports = prefilter(kind, name_patterns).checks[1:1 + len(_IMPORTS)]  # type: ignore[union-attr]
        return Prefilter((Check.of(_REQUEST_MARKERS, re.MULTILINE | re.IGNORECASE, on_anchor_line=True), *imports))
    if fixture and kind == "yaml":  # a message list or a prompt config, not a key's name
        return Prefilter((Check.of((((b"prompts", b"messages"), _YAML_LISTS),), re.MULTILINE | re.IGNORECASE),))
    names = _name_regex(name_patterns)
    name_anchors = _name_anchors(name_patterns)
    if kind == "python":
        # ``SYSTEM_PROMPT =``, and an attribute of that name (``self.system_prompt =``)
        assign = rb"^[ \t]*(?:[A-Za-z_]\w*\.)*" + names + _NOT_TEXT_NAME + _NOT_KEYWORD + rb"[ \t]*(?::[^=\n]*)?\+?=(?!=)" + _TEXT_VALUE
        flags = re.MULTILINE | re.IGNORECASE
        return Prefilter((Check.of(_CALL_MARKERS, flags, on_anchor_line=True),
                          *(Check.of((marker,), flags, on_anchor_line=True, requires=names) for names, marker in _IMPORTS),
                          Check.of(((name_anchors, assign),), flags, on_anchor_line=True),
                          Check.of(((_BUILDER_ANCHORS, _BUILDERS),), flags, window=_BODY + 200, on_anchor_line=True),
                          Check.of(((_TEXT_ANCHORS, _TEXT),), flags, window=CUE_WINDOW + 200, on_anchor_line=True),
                          Check.of(((_JOINED_ANCHORS, _JOINED),), flags, window=_BODY + 200),
                          Check.of(((_FOLDER_ANCHORS, _FOLDER_PATH),), flags, on_anchor_line=True)))
    if kind == "notebook":
        assign = names + rb"[ \t]*(?::[^=\\]*)?=(?!=)"
        return Prefilter((Check.of(_CALL_MARKERS + ((name_anchors, assign),), re.IGNORECASE),
                          *(Check.of((marker,), re.IGNORECASE, requires=names) for names, marker in _IMPORTS)))
    if kind == "yaml":
        return Prefilter((Check.of(((_YAML_ANCHORS, _YAML_KEYS),), re.MULTILINE | re.IGNORECASE),))
    return None


def call_prefilter(name_patterns: tuple[str, ...]) -> Prefilter:
    """The part of the Python prefilter that looks for an SDK call or import: what a module
    must hold to define an in-house wrapper (a test suite's module is held to it too)."""
    return prefilter("python", name_patterns, fixture=True)  # type: ignore[return-value]


def classify(relpath: str, config: Config) -> str | None:
    name = relpath.rsplit("/", 1)[-1]
    if name.endswith(".py"):
        return "python"
    if name.endswith(".ipynb"):
        return "notebook"
    if name.endswith(".prompty") or name.endswith((".yaml", ".yml")):
        return "yaml"
    if _matchers(config).templates(relpath):
        return "jinja"
    return None


@dataclass(frozen=True)
class _Matchers:
    exclude: PathMatcher
    include: PathMatcher | None
    templates: PathMatcher


@lru_cache(maxsize=16)
def _matchers_for(exclude: tuple[str, ...], include: tuple[str, ...], templates: tuple[str, ...]) -> _Matchers:
    return _Matchers(PathMatcher(exclude), PathMatcher(include) if include else None, PathMatcher(templates))


def _matchers(config: Config) -> _Matchers:
    exclude = tuple(config.exclude or DEFAULT_EXCLUDE) + tuple(config.extend_exclude)
    return _matchers_for(exclude, tuple(config.include), tuple(config.template_globs))


def relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return Path(os.path.relpath(path, root)).as_posix()


def _explicit(given: Path) -> tuple[str, str | None]:
    """What a path given on the command line is: ``file``, ``dir`` or ``skip`` with the
    reason. Special files (a FIFO would block the read forever, a looping link) and
    unreadable files are notices, as they are when a walk meets them."""
    try:
        mode = os.stat(given).st_mode
    except OSError as exc:
        if os.path.islink(given):
            looping = exc.errno == errno.ELOOP
            return "skip", "skipped: symbolic link loop" if looping else "skipped: broken symbolic link"
        return "skip", f"skipped: {exc.strerror or exc}"
    if S_ISDIR(mode):
        return "dir", None
    if not S_ISREG(mode):
        return "skip", "skipped: not a regular file (a FIFO, socket or device)"
    if not os.access(given, os.R_OK):
        return "skip", "skipped: cannot read file: Permission denied"
    return "file", None


class _GitIgnores:
    """The ignore chain for any folder of the scan, per repository (None outside one, or
    with ``respect-gitignore = false``)."""

    def __init__(self, config: Config) -> None:
        self.enabled = config.respect_gitignore
        self.repos: dict[str, object] = {}

    def chain(self, folder: Path):
        if not self.enabled:
            return None, ""
        from promptlint.gitignore import Ignores, repository_root

        repo = repository_root(folder)
        if repo is None:
            return None, ""
        key = str(repo)
        if key not in self.repos:
            self.repos[key] = Ignores.for_repository(repo)
        rel = relative(folder, repo)
        return self.repos[key], "" if rel == "." else rel + "/"  # type: ignore[return-value]


def _why_excluded(rel: str, matchers: _Matchers, ignores: _GitIgnores, path: Path, is_dir: bool) -> str | None:
    if matchers.exclude(rel):
        return "excluded by `exclude`/`extend-exclude`"
    chain, prefix = ignores.chain(path.parent)
    if chain is not None and chain.ignored_path(prefix + path.name, is_dir):  # type: ignore[attr-defined]
        return "ignored by git (.gitignore; see `respect-gitignore`)"
    return None


def iter_candidates(paths: list[Path], config: Config, diagnostics: list[Diagnostic], others: list[str] | None = None):
    """Yield (relpath, abspath, kind) for every file of a known kind under ``paths``;
    prompt-like text files of no kind are appended to ``others``.

    Exclusions (``exclude``, ``extend-exclude``, what git ignores) apply to paths given
    explicitly too, as ruff's ``force-exclude`` does, so a pre-commit run and a full run
    agree; such a path gets a notice saying why it was not scanned."""
    root = Path(os.path.abspath(config.root))
    matchers = _matchers(config)
    tree = tree_boundary(paths, config)
    ignores = _GitIgnores(config)
    seen: set[str] = set()
    for given in paths:
        start = Path(os.path.abspath(given))
        if not os.path.lexists(start):
            diagnostics.append(Diagnostic(str(given), "path does not exist", code="skip"))
            continue
        what, reason = _explicit(start)
        rel = relative(start, root)
        if what == "skip":
            if classify(rel, config):
                diagnostics.append(Diagnostic(rel, reason or "skipped", code="skip"))
            continue
        if rel != ".":
            why = _why_excluded(rel, matchers, ignores, start, what == "dir")
            if why is not None:
                diagnostics.append(Diagnostic(rel, f"not scanned: {why}", code="skip"))
                continue
        if what == "file":
            kind = classify(rel, config)
            if kind and rel not in seen:
                seen.add(rel)
                if start.is_symlink() and _refused(tree, start, rel, diagnostics):
                    continue  # a staged link as pre-commit passes it: its target must be in the tree
                yield rel, str(start), kind
            continue
        if start.is_symlink() and _refused(tree, start, rel, diagnostics):
            continue
        chain, repo_prefix = ignores.chain(start)
        if chain is not None and repo_prefix:
            chain = chain.at(repo_prefix.rstrip("/").rpartition("/")[0])  # the folder reads its own below
        stack = [(str(start), "" if rel == "." else rel + "/", chain, repo_prefix)]
        while stack:
            folder, prefix, chain, repo_prefix = stack.pop()
            try:
                entries = sorted(os.scandir(folder), key=lambda e: e.name)
            except OSError as exc:
                diagnostics.append(Diagnostic(prefix.rstrip("/") or ".", f"cannot list directory: {exc.strerror}",
                                              code="skip"))
                continue
            if chain is not None and repo_prefix and any(e.name == ".gitignore" for e in entries):
                chain = chain.entering(repo_prefix)
            subdirs = []
            for entry in entries:
                rel = prefix + entry.name
                if matchers.exclude(rel, entry.name):
                    continue
                try:
                    is_dir = entry.is_dir(follow_symlinks=False)
                    is_file = not is_dir and entry.is_file(follow_symlinks=True)
                except OSError:
                    is_dir = is_file = False
                if chain is not None and chain.ignored(repo_prefix + entry.name, is_dir):
                    continue
                if is_dir:
                    subdirs.append((entry.path, rel + "/", chain, repo_prefix + entry.name + "/"))
                elif is_file:
                    kind = classify(rel, config)
                    linked = entry.is_symlink()
                    if kind is None and others is not None and (entry.name.endswith(LINKABLE_SUFFIXES) or (
                            "." not in entry.name and is_prompt_folder(rel.rpartition("/")[0]))):  # preprompts/qa
                        if not (linked and tree.refusal(entry.path)):
                            others.append(rel)
                    if kind is None or rel in seen:
                        continue
                    if matchers.include is not None and not matchers.include(rel):
                        continue
                    seen.add(rel)
                    if linked and _refused(tree, entry.path, rel, diagnostics):
                        continue
                    yield rel, entry.path, kind
                elif entry.is_symlink() and classify(rel, config):
                    diagnostics.append(Diagnostic(rel, "skipped: broken or looping symbolic link", code="skip"))
            stack.extend(reversed(subdirs))


def tree_boundary(paths: list[Path], config: Config) -> Tree:
    """The tree files may be read from: the root, and folders named on the command line
    outside it (links inside those may point within them)."""
    root = Path(config.root).resolve()
    outside = [str(p) for p in paths if p.is_dir() and relative(Path(os.path.abspath(p)), root).startswith("../")]
    return Tree(root, _matchers(config).exclude, tuple(outside))


def _refused(tree: Tree, path: str | Path, rel: str, diagnostics: list[Diagnostic]) -> bool:
    """A symbolic link that leaves the tree (or enters an excluded folder) is skipped with
    a notice: its target is neither read nor quoted."""
    reason = tree.refusal(path)
    if reason is not None:
        diagnostics.append(Diagnostic(rel, f"skipped: symbolic link {reason}", code="skip"))
    return reason is not None


def read_candidate(rel: str, abspath: str, kind: str, config: Config,
                   cache: ScanCache | None = None) -> SourceFile | Diagnostic:
    """Read one file's bytes, or say why not (too large, unreadable).

    When the cache saw the file with the same size and mtime, its bytes are not read
    (``data`` is None) and its recorded hash is used: nothing changed that needs them.
    The cache is only read here (this runs in worker processes too); :func:`remember`
    records what was learnt.
    """
    try:
        stat = os.stat(abspath)
        if stat.st_size > config.max_file_size:
            return Diagnostic(rel, f"skipped: {stat.st_size:,} bytes is over max-file-size ({config.max_file_size:,})",
                              code="skip")
        if cache is not None:
            known = cache.known_digest(rel, stat_key(stat))
            if known is not None:
                return SourceFile(rel, abspath, kind, None, known)
        with open(abspath, "rb") as handle:
            data = handle.read(config.max_file_size + 1)
    except OSError as exc:
        return Diagnostic(rel, f"skipped: cannot read file: {exc.strerror or exc}", code="skip")
    if data.startswith(WIDE_BOMS):  # no prefilter anchor matches such bytes: say so, never drop it silently
        return Diagnostic(rel, f"skipped: {wide_encoding(data)}; promptlint reads UTF-8 only", code="skip")
    return SourceFile(rel, abspath, kind, data, digest(data), tuple(stat_key(stat)))


def passes_prefilter(source: SourceFile, config: Config) -> bool:
    if source.path.endswith(".prompty"):
        return True  # a prompt file by its name
    check = prefilter(source.kind, tuple(config.prompt_name_patterns), fixture_path(source.path))
    return check is None or check.matches(source.load())


def verdict(source: SourceFile, config: Config, cache: ScanCache | None) -> tuple[bool, bool]:
    """Whether the file may hold prompts, and whether that was decided now (not cached)."""
    known = cache.verdict(source.path, source.digest) if cache is not None else None
    if known is not None:
        return known, False
    return passes_prefilter(source, config), True


def remember(cache: ScanCache | None, source: SourceFile, passes: bool, fresh: bool) -> None:
    """Record in the cache what reading and prefiltering ``source`` learnt."""
    if cache is None:
        return
    if source.stat is not None:
        cache.remember_stat(source.path, list(source.stat), source.digest)
    if fresh and not passes:
        cache.remember(source.path, source.digest, False)


def walk(paths: list[Path], config: Config) -> tuple[list, list, list]:
    """The walk of ``paths``: (candidates, diagnostics, others), as :func:`iter_candidates` yields them."""
    diagnostics: list[Diagnostic] = []
    others: list[str] = []
    candidates = list(iter_candidates(paths, config, diagnostics, others))
    return candidates, diagnostics, others


def discover(paths: list[Path], config: Config, cache: ScanCache | None = None, extract: Extract | None = None,
             meanwhile: Callable[[], None] | None = None, walked: tuple[list, list, list] | None = None) -> Discovery:
    """Walk, read and prefilter; with ``extract``, the files that pass are extracted in the
    same pass (their results are ``Discovery.results``), over all cores on large trees.
    ``walked``: the walk of ``paths`` (:func:`walk`) already made."""
    candidates, diagnostics, others = walked or walk(paths, config)
    # copies: discovery adds its notices, and a given walk keys the kept project once more after it
    candidates, diagnostics, others = list(candidates), list(diagnostics), list(others)
    progress().phase("reading files", total=len(candidates))
    files: list[SourceFile] = []
    skipped: list[str] = []
    results: list[FileResult] = []
    names: dict[str, tuple[str, NameFacts]] = {}
    for outcome in survey_all(candidates, config, cache, extract, meanwhile):
        source = outcome.source
        if source is None:
            diagnostics.append(outcome.diagnostic)  # type: ignore[arg-type]
            continue
        remember(cache, source, outcome.passes, outcome.fresh_verdict)
        if not outcome.passes:
            skipped.append(source.path)
            if outcome.names is not None:
                names[source.path] = (source.digest, outcome.names)
            continue
        files.append(source)
        if extract is None:
            continue
        result, extracted_now = outcome.result, outcome.result is not None
        if result is None and cache is not None:
            result = cache.result(source.path, source.digest, source.kind)
        if result is None:  # a cache entry that did not read back: extract, and mend the entry
            result = extract(source.path, source.kind, source.load(), tuple(config.prompt_name_patterns))
            extracted_now = True
        if extracted_now and cache is not None:
            cache.remember(source.path, source.digest, True, result, outcome.body)
        results.append(result)
    return Discovery(tuple(files), len(candidates), tuple(diagnostics), tuple(skipped), tuple(others), tuple(results),
                     names)


def discover_text(rel: str, data: bytes, config: Config, extract: Extract) -> Discovery:
    """Discovery of one file whose text is given (stdin) rather than read: the file ``rel``
    of the tree, with its kind, exclusions and prefilter as if it had been walked."""
    kind = classify(rel, config) or "python"
    if _matchers(config).exclude(rel):
        return Discovery((), 1, (Diagnostic(rel, "not scanned: excluded by `exclude`/`extend-exclude`", code="skip"),))
    source = SourceFile(rel, os.path.abspath(os.path.join(config.root, rel)), kind, data, digest(data))
    if not passes_prefilter(source, config):
        return Discovery((), 1, (), skipped=(rel,))
    result = extract(rel, kind, data, tuple(config.prompt_name_patterns))
    return Discovery((source,), 1, (), results=(result,))


def callers(candidates: list[str], names: set[str], config: Config, cache: ScanCache | None = None,
            index: NameIndex | None = None, round_no: int = 1) -> list[str]:
    """Of files the prefilter skipped, those that call one of ``names`` (the tree's in-house
    wrappers, known only once the files that define them are read): they hold prompts too.
    The answer per file is kept in the cache while the file and the names stay the same,
    one memo per round of the search (``round_no``: each round looks for other names, and
    one memo for all rounds was emptied by each round in turn, so a warm run read every
    skipped file again); ``index`` answers for the files the survey read, without reading
    them again."""
    if not names or not candidates:
        return []
    ordered = sorted(names)
    stamp = digest("\n".join(ordered).encode())
    memo = "wrapper-callers" if round_no == 1 else f"wrapper-callers-{round_no}"
    known = cache.memo(memo, stamp, apart=True) if cache is not None else {}
    calls_one = _caller_check(tuple(ordered))
    root = Path(config.root)
    found = []
    for rel in candidates:
        told = index.calls_any(rel, ordered) if index is not None else None
        if told is not None:
            if cache is not None:
                known[rel] = [index.digest(rel), told]
            if told:
                found.append(rel)
            continue
        abspath = root / rel
        try:
            stat = abspath.stat()
        except OSError:
            continue
        file_digest = cache.known_digest(rel, stat_key(stat)) if cache is not None else None
        entry = known.get(rel)
        if file_digest is not None and isinstance(entry, list) and len(entry) == 2 and entry[0] == file_digest:
            calls = bool(entry[1])
        else:
            try:
                data = abspath.read_bytes()
            except OSError:
                continue
            calls = calls_one(data)
            if cache is not None:
                known[rel] = [digest(data), calls]
        if calls:
            found.append(rel)
    return found



_FEW_NAMES = 16
_WORD_BYTES = bytes(c if chr(c).isascii() and (chr(c).isalnum() or chr(c) == "_") else 32 for c in range(256))
T = TypeVar("T")


def by_words(names: Iterable[bytes], exact: Callable[[tuple[bytes, ...]], Callable[[bytes], T]],
             absent: T) -> Callable[[bytes], T]:
    """``exact(names)``, a search over a file for any of ``names`` that matches a name only
    as a whole word, asked in time linear in the file whatever the number of names.

    A literal search or a regex alternation per name costs files x names, which made the
    searches for the callers of the tree's wrappers and helpers quadratic in the tree (every
    module of a large tree defines some). Splitting the file into its words is one pass in
    C; only the names among them can match, so ``exact`` is built for those few (once per
    set) and its answer is the one it gives for all names. A name beyond ASCII, which the
    split cannot isolate, makes the search ask ``exact`` for all names."""
    ordered = tuple(sorted(set(names)))
    if not all(n.isascii() for n in ordered):
        return exact(ordered)
    wanted = frozenset(ordered)
    built: dict[frozenset[bytes], Callable[[bytes], T]] = {}
    # A few names are looked for as substrings first (one pass in C each, no objects made):
    # most files hold none, and a file that holds none as a substring holds none as a word.
    few = ordered if len(ordered) <= _FEW_NAMES else ()

    def search(data: bytes) -> T:
        if few and not any(name in data for name in few):
            return absent
        present = wanted.intersection(data.translate(_WORD_BYTES).split())
        if not present:
            return absent
        key = frozenset(present)
        if key not in built:
            built[key] = exact(tuple(sorted(key)))
        return built[key](data)

    return search


def _caller_check(ordered: tuple[str, ...]) -> Callable[[bytes], bool]:
    """Whether a file calls one of ``ordered``, bare or on a receiver (``name(``,
    ``client.name(``, ``self.llm.name(``), or hands a method on to run it
    (``asyncio.to_thread(self.llm.name, ...)``)."""
    window = len(max(ordered, key=len)) + 60

    def exact(chosen: tuple[bytes, ...]) -> Callable[[bytes], bool]:
        return Prefilter((Check.of(tuple(((n.lower(),), rb"(?<![\w.])(?:\w+\.){0,3}" + re.escape(n) + rb"\s*\(|\."
                                          + re.escape(n) + rb"\s*,") for n in chosen), 0, window=window),)).matches

    return by_words((n.encode() for n in ordered), exact, False)


def named_uses(names: Iterable[bytes]) -> Callable[[bytes], frozenset[bytes] | set[bytes]]:
    """Which of ``names`` a file calls or passes on by name (``summarize(``,
    ``func=summarize,``, ``tools=[summarize]``)."""

    def exact(chosen: tuple[bytes, ...]) -> Callable[[bytes], set[bytes]]:
        either = re.compile(rb"\b(" + b"|".join(re.escape(n) for n in sorted(chosen, key=len, reverse=True))
                            + rb")\s*[(,)\]]")
        return lambda data: set(either.findall(data))

    return by_words(names, exact, frozenset())
