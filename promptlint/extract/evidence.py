"""What text looks like: the content half of the evidence that something is a prompt.

Data flow is the strong evidence (text reaching an SDK slot is sent to a model whatever it
looks like). Where there is no flow to follow, a name or the text itself must carry the
case, and these tests say how far they can: a prompt-like name counts only on a prose
value (never on ``""``, a filename, a glob, an id or an environment variable's name), and
text with no telling name counts only when it reads as instructions to a model and shows
none of the marks of other text a program holds (SQL, HTML, shell, usage help, log
formats, code). The tests are deliberately strict: a missed constant costs one template,
a wrong one costs the user's trust in every figure.
"""

from __future__ import annotations

import re

from promptlint.lazyre import lazy
from promptlint.types import Evidence

_WORD = lazy(r"[^\W\d_][\w'’-]*", re.UNICODE)
_HOLE_TEXT = lazy(r"\{\{?\s*[A-Za-z_][\w.]*\s*\}\}?")


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def reads_like_prose(text: str, holes: int = 0) -> bool:
    """Three words or more, several lines of words, or a placeholder beside a word: the
    least a prompt holds (``"Hello, Claude!"`` is two words: it needs a sink to count)."""
    found = words(text)
    if len(found) >= 3:
        return True
    stripped = text.strip()
    if "\n" in stripped and len(found) >= 2:
        return True
    has_hole = holes > 0 or bool(_HOLE_TEXT.search(text))
    return has_hole and len(found) >= 1


_URL = lazy(r"^(?:[a-z][a-z0-9+.-]*://|www\.)\S+$", re.IGNORECASE)
_GLOB = lazy(r"[*?]|\[[^\]\s]+\]")
_PATHLIKE = lazy(r"^[\w.~\-]*(?:[/\\][\w.~\-{}]+)+[/\\]?$|^[\w.~\-]+\.[A-Za-z][A-Za-z0-9]{0,7}$")
_ENV = lazy(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
_TOKEN = lazy(r"^[\w.\-:/@+#]+$")

# Extensions of files that hold prompt text: a name-matched constant holding such a
# filename names a prompt file (``system_prompt_filename = "system_prompt.j2"``).
PROMPT_FILE_EXTENSIONS = (".j2", ".jinja", ".jinja2", ".txt", ".md", ".markdown", ".prompt", ".prompty",
                          ".tmpl", ".tpl", ".mustache", ".hbs", ".njk", ".liquid", ".yaml", ".yml")


def not_text(text: str) -> str | None:
    """Why a value without spaces is a name of something rather than text, or None.

    ``"system_prompt.j2"`` is a filename, ``"*.j2"`` a glob, ``"OPENAI_API_KEY"`` an
    environment variable's name, ``"langchain-ai/rag-prompt"`` or ``"system"`` an id."""
    stripped = text.strip()
    if not stripped:
        return "empty"
    if any(c.isspace() for c in stripped):
        return None
    if _URL.match(stripped):
        return "a URL"
    if _GLOB.search(stripped) and not _HOLE_TEXT.search(stripped):
        return "a glob"
    if _PATHLIKE.match(stripped):
        return "a file path"
    if _ENV.match(stripped):
        return "an environment variable's name"
    if _TOKEN.match(stripped):
        return "an identifier"
    return None


def prompt_filename(text: str) -> bool:
    """A relative path to a file of a prompt-text kind (``prompts/system.j2``)."""
    stripped = text.strip()
    return (not any(c.isspace() for c in stripped) and not _URL.match(stripped) and not _GLOB.search(stripped)
            and stripped.lower().endswith(PROMPT_FILE_EXTENSIONS) and bool(_PATHLIKE.match(stripped)))


# Instruction cues, each a class of its own: a prompt shows two different kinds. The orders
# are the tasks people give a model (summarize, classify, answer in JSON), not the requests
# an application makes of its user (please sign in, check your card): those address
# "you" too, and must not read as instructions.
_ORDERS = (r"respond|answer|summari[sz]e|write|return|provide|classify|translate|"
           r"extract|generate|output|format|list|explain|describe|identify|determine|analy[sz]e|review|rewrite|"
           r"do not|don't|never|always|ensure|include|avoid|think|consider|given|create|produce|reply|focus|"
           r"limit|select|choose|rate|score|evaluate|compare|convert|phrase|imagine|pretend|act")
_FORMATS = (r"json|xml|bullet points?|step by step|in the following format|one word|"
            r"a single (?:word|number|digit|sentence|line)|in (?:one|two|three|\d+) sentences?|"
            r"the following (?:text|question|document|input|conversation|code|request|message)")
# What may stand between a sentence's start and its order: list marks, emphasis, an adverb
# ("- Briefly summarize").
_LEAD = r"[*_>#\-\s]*(?:[A-Za-z]+ly[*_]*\s+)?"
_CUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("addresses the model", lazy(r"\b(?:you|your|yourself)\b", re.IGNORECASE)),
    ("gives a role", lazy(
        r"\b(?:you are (?:an?|the)\b|act as|your (?:task|job|role|goal)\b|as an? (?:ai|assistant|expert)\b|"
        r"the (?:user|assistant)(?:'s)?\b|an? (?:ai|helpful) assistant)", re.IGNORECASE)),
    ("gives orders", lazy(r"(?:^|[.!?:\n]\s*)" + _LEAD + r"(?:" + _ORDERS + r")\b", re.IGNORECASE | re.MULTILINE)),
    ("marks its parts", lazy(r"</[A-Za-z_][\w-]*>")),
    ("asks for a format", lazy(
        r"\b(?:" + _FORMATS + r")\b", re.IGNORECASE)),
)
# What the byte prefilter asks of a file's text before parsing it: a cue of the kind content
# evidence cannot do without (orders, a format, tagged parts), found in source bytes as
# "gives orders" finds it in the value: an order word where a sentence or line starts, not
# one in passing ("Use the tool to think"). In the source a sentence may also start after a
# quote (the literal's start, or a joined piece's), an escape (``\n``, after which a format's
# word starts too) or a placeholder, and a non-ASCII byte may be part of a space.
_SOURCE_SPACE = r"(?:[\s\x80-\xff]|\\[ntrfv])"
TASK_CUE = (r"(?:(?<=[.!?:\n\"'}])|(?<=\\[ntrfv]))(?:[*_>#\-]|" + _SOURCE_SPACE + r")*"
            r"(?:[A-Za-z\x80-\xff]+ly[*_]*" + _SOURCE_SPACE + r"+)?(?:" + _ORDERS + r")\b"
            r"|(?:\b|(?<=\\[ntrfv]))(?:" + _FORMATS + r")\b|</[A-Za-z_]").encode("latin-1")

_SQL = lazy(r"^\s*(?:(?:SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|WITH|PRAGMA)\b(?!\s+[a-z]+\s+[a-z]+\s+[a-z])"
                  r"|(?:select\s+[\w*.,\s()]+?\s+from|insert\s+into|update\s+\w+\s+set|delete\s+from|"
                  r"create\s+(?:table|index|view)|drop\s+table|pragma)\b)")
_HTML = lazy(r"^\s*<(?:!doctype|html|head|body|div|table|svg|\?xml)\b", re.IGNORECASE)
_HTML_ATTRS = lazy(r"<\w+\s+[\w:-]+=[\"']")
_SHELL = lazy(r"^\s*(?:#!|\$ |sudo |apt(?:-get)? |pip install |cd |export |set -e)", re.MULTILINE)
_USAGE = lazy(r"^\s*(?:usage|options|arguments|commands):", re.IGNORECASE | re.MULTILINE)
_OPTION_LINE = lazy(r"^\s*-{1,2}[A-Za-z][\w-]*(?:[ =,]|$)", re.MULTILINE)
_LOG = lazy(r"%\(\w+\)[sdif]|\{asctime\}|\{levelname\}")
_CODE_LINE = lazy(r"^\s*(?:def |class |import |from \S+ import |return |if .+:\s*$|for .+ in .+:\s*$|"
                        r"\w+\s*=\s*\S.*[;)]\s*$|[{}]\s*$|}\s*else|function\s+\w+\s*\()", re.MULTILINE)
_ERROR = lazy(r"^\s*(?:error|failed|failure|cannot|can't|could not|unable|invalid|exception|warning|"
                    r"traceback|missing|unknown|not found|no such)\b", re.IGNORECASE)


def not_prose(text: str) -> str | None:
    """What other kind of program text this is (SQL, HTML, shell, usage help, a log
    format, code, an error message), or None."""
    text = text[:CUE_WINDOW]
    if _SQL.match(text):
        return "SQL"
    if _HTML.match(text) or len(_HTML_ATTRS.findall(text)) >= 3:
        return "HTML"
    lines = [line for line in text.splitlines() if line.strip()]
    if _SHELL.match(text) or (lines and sum(1 for _ in _SHELL.finditer(text)) * 2 >= len(lines)):
        return "a shell script"
    if _USAGE.search(text) or len(_OPTION_LINE.findall(text)) >= 2:
        return "usage help"
    if _LOG.search(text):
        return "a log format"
    if lines and sum(1 for _ in _CODE_LINE.finditer(text)) * 3 >= len(lines) and len(lines) >= 2:
        return "code"
    if _ERROR.match(text) and len(words(text)) < 25:
        return "an error message"
    return None


# Cues are looked for in the opening of a text: instructions come first, and a long text
# (a document, a transcript) must not cost more than a short one.
CUE_WINDOW = 6000


def instruction_cues(text: str) -> list[str]:
    """The kinds of instruction cue the text shows."""
    head = text[:CUE_WINDOW]
    return [name for name, pattern in _CUES if pattern.search(head)]


MIN_CONTENT_WORDS = 8


def content_evidence(text: str, holes: int = 0) -> Evidence | None:
    """Evidence that text with no telling name or flow reads as instructions to a model:
    eight words or more, two kinds of cue, one of them addressing the model, giving it a
    role or giving orders, one setting it a task (orders, a format, tagged parts); and
    nothing marks it as another kind of program text.
    (Placeholders are no cue: e-mails and UI messages have them too.)"""
    if len(words(text)) < MIN_CONTENT_WORDS:
        return None
    cues = instruction_cues(text)
    found = set(cues)
    if len(found) < 2 or not {"addresses the model", "gives a role", "gives orders"} & found \
            or not {"gives orders", "asks for a format", "marks its parts"} & found:
        return None
    if not_prose(text) or coaches_a_person(text):
        return None
    return Evidence("content", "reads as instructions: " + ", ".join(cues))


# Text that tells a person how to prompt a model (a tutorial's hint, a course's exercise):
# it speaks of the model in the third person, as something the reader asks or grades.
_MODEL = r"(?:claude|the (?:model|llm|ai|assistant)|gpt(?:-[\w.]+)?|chatgpt|llms)"
_COACHING = lazy(
    r"\b(?:ask|get|tell|make|give|prompt|have|let)\s+" + _MODEL + r"\b|\b" + _MODEL + r"['’]s (?:response|answer|output|reply)\b"
    r"|\b(?:this|the|each) (?:exercise|lesson|tutorial|notebook cell|grading function)\b", re.IGNORECASE)


def coaches_a_person(text: str) -> bool:
    """``Ask Claude to reply in Spanish``, ``the grading function in this exercise``: words
    for a learner about a model, not instructions to one."""
    return bool(_COACHING.search(text[:CUE_WINDOW]))


# Under a prompt-like name, only text that is plainly another language is vetoed: a
# prompt may well hold code, error wording or option lists as examples.
_NAME_VETO = {"SQL", "HTML", "a shell script", "a log format"}


def name_evidence(name: str, text: str, holes: int = 0) -> Evidence | None:
    """A prompt-like name counts when its value is prose that is not other program text."""
    count = len(words(text))
    sentence = count >= 2 and text.rstrip()[-1:] in ".!?:"
    prose = count >= 3 or ("\n" in text.strip() and count >= 2)  # a placeholder beside a word is not enough
    if not (prose or sentence) or (not holes and not_text(text)) or not_prose(text) in _NAME_VETO:
        return None
    return Evidence("name", f"`{name}` holds prose")


# Names that say a value is retired (``CODEACT_PROMPT_OLD``): with no flow into a request
# such a constant is kept for reference, not sent.
_RETIRED = {"old", "deprecated", "obsolete", "backup", "bak", "retired"}
# Names that say text is for people (``HELP_TEXT``, ``tooltip``, ``welcome_banner``): text
# that merely reads like instructions under such a name is not evidence of a prompt.
# (Not ``error``: agents send errors back to the model as feedback.)
_FOR_PEOPLE = {"help", "usage", "tooltip", "banner", "welcome",
               "docstring", "readme", "faq", "caption", "placeholder", "toast", "notice", "changelog"}


def name_words(name: str) -> set[str]:
    """The lower-case words of an identifier: ``getHintText_OLD`` -> get, hint, text, old."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name.rsplit(".", 1)[-1])
    return {w for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w}


def retired_name(name: str) -> bool:
    return bool(name_words(name) & _RETIRED)


def for_people(name: str) -> bool:
    return bool(name_words(name) & _FOR_PEOPLE)


# Folders that hold a project's prompt files: code that reads one of their files by a
# run-time name (``PROMPTS / name``, a loop over names) may send any of them.
PROMPT_FOLDERS = frozenset({"prompts", "preprompts", "system_prompts", "prompt_templates"})


def is_prompt_folder(path: str) -> bool:
    return path.rstrip("/").rsplit("/", 1)[-1].lower() in PROMPT_FOLDERS


_FIXTURE_DIRS = {"tests", "test", "testing", "test_data", "testdata", "test-data"}


def fixture_path(path: str) -> bool:
    """A file of a test suite's folder (``tests/unit/test_x.py``, ``tests/test_data/a.yaml``)
    or a ``conftest.py``: the values it holds are fixtures, compared with what code builds
    or fed to mocks. Only a request that sends one makes it a prompt. (A ``test_x.py``
    elsewhere is often a benchmark script: its name alone says nothing.)"""
    parts = path.split("/")
    return any(p in _FIXTURE_DIRS for p in parts[:-1]) or parts[-1] == "conftest.py"


# A template file that renders another kind of file: a Dockerfile, Python, YAML, a shell
# script, a web page. It is a prompt only when a request renders it.
_RENDERS_OTHER = (".py", ".sh", ".bash", ".yml", ".yaml", ".json", ".toml", ".ini", ".cfg", ".conf", ".html",
                  ".htm", ".xml", ".sql", ".js", ".ts", ".css", ".env", ".service", ".tf", ".hcl", ".rb", ".go",
                  ".rs", ".java", ".c", ".h", ".cpp", ".ps1", ".bat", ".nginx", ".properties", ".csv", ".rst")
_OTHER_STEMS = ("dockerfile", "containerfile", "makefile", "procfile", "vagrantfile", "jenkinsfile", "gemfile",
                "nginx", "supervisord", "crontab", "docker-compose", "compose", "requirements", "setup", "pyproject")
_PROMPT_PATH = lazy(r"prompt|instruction|persona|system[_-]?message|system\b", re.IGNORECASE)
_TEMPLATE_SUFFIX = lazy(r"\.(?:j2|jinja2?|tmpl|tpl|mustache|hbs|njk|liquid)$", re.IGNORECASE)


def renders_other(path: str) -> str | None:
    """What other kind of file a template file renders (``Dockerfile.j2``: a Dockerfile)."""
    name = path.rsplit("/", 1)[-1].lower()
    inner = _TEMPLATE_SUFFIX.sub("", name)
    if inner.endswith(_RENDERS_OTHER):
        return inner.rsplit(".", 1)[-1] + " file"
    stem = inner.split(".", 1)[0]
    if stem in _OTHER_STEMS:
        return stem
    return None


def file_evidence(path: str, text: str, holes: int = 0) -> Evidence | None:
    """A template file is a prompt by its own evidence when it sits in a prompt folder or
    is named as one, or its text reads as prose; never when it renders another kind of file."""
    if renders_other(path):
        return None
    folders, _, name = path.rpartition("/")
    if _PROMPT_PATH.search(name.split(".", 1)[0]) or any(_PROMPT_PATH.search(p) for p in folders.split("/") if p):
        return Evidence("file", "a template in a prompt folder or named as a prompt")
    if reads_like_prose(text, holes) and not not_prose(text):
        return Evidence("content", "a template file that reads as prose")
    return None
