"""The plain data that flows between pipeline stages.

Every stage hands the next one frozen dataclasses from this module and nothing else, so a
stage can be cached, run in another process, or tested alone. Paths are POSIX strings
relative to the scan root; lines are 1-based, columns 1-based (as editors show them);
``start``/``end`` are character offsets into the decoded file text when known.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning", "info"]
SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}

Role = Literal["system", "user", "assistant", "tool", "unknown"]
Kind = Literal["python", "jinja", "yaml", "notebook", "text"]


@dataclass(frozen=True)
class Span:
    path: str
    line: int
    column: int = 1
    end_line: int | None = None
    end_column: int | None = None
    start: int | None = None
    end: int | None = None
    cell: int | None = None  # notebook cell index when the file is a notebook
    # For a Python literal whose value breaks lines where its source does not (an escaped
    # ``\n``, a continuation, concatenated pieces): the source line, counted from ``line``,
    # each line of the value starts on (extract/literal_lines.py).
    rows: tuple[int, ...] | None = None
    # Where the source continues one value line on a lower line (a backslash continuation):
    # (value line, characters from the join to that line's end, source line from ``line``).
    joins: tuple[tuple[int, int, int], ...] | None = None

    def within(self, outer: "Span") -> bool:
        """Whether these lines lie inside ``outer``'s, in the same file and cell."""
        return self.path == outer.path and self.cell == outer.cell and \
            outer.line <= self.line and (self.end_line or self.line) <= (outer.end_line or outer.line)


@dataclass(frozen=True)
class Segment:
    """A piece of template text: static ``text``, or a hole named ``hole``.

    ``span`` locates the source literal the text came from (for fixes and suppressions);
    ``exact`` says the text is the verbatim source slice ``span.start:span.end`` so span
    edits can work on it directly (true for Jinja and plain YAML scalars, false for
    Python literals with escapes or dedent applied).
    """

    text: str = ""
    hole: str | None = None
    span: Span | None = None
    exact: bool = False
    # For a hole: the expression its value was computed from, when the extractor followed a
    # name to it (``date.today().isoformat()`` behind ``{today}``); rules read where a
    # run-time value comes from (a clock, a random id, a parameter) from it.
    source: str | None = None
    # For static text spliced into other text (``f"...{document1}..."``): the id of the
    # named value it was written in (``data/leases.py::document1``). The anatomy reads
    # text of a data constant as a document, not as instructions.
    origin: str | None = None
    # A fill point (a segment with no text): a substitution (``.replace("{{TASK}}", task)``,
    # ``.format``, ``%``, ``Template.substitute``) put the value named here into the text
    # that follows. That value is counted, but it is what changes from one use of the
    # template to the next, so the static prefix a cache can hold ends here.
    fill: str | None = None


@dataclass(frozen=True)
class Evidence:
    """Why a piece of text is taken for a prompt: one fact, strongest kinds first.

    ``kind`` is one of ``sink`` (it reaches an SDK text slot), ``wrapper`` (it reaches one
    through an in-house function), ``config`` (a prompt config names it), ``shape`` (it is
    a message of a message list), ``spliced`` (it is part of another prompt's text),
    ``name`` (a prompt-like name holds prose), ``file`` (a prompt file by its place or
    name), ``content`` (it reads as instructions). ``detail`` says where, for a reader.
    """

    kind: str
    detail: str = ""


EVIDENCE_KINDS = ("sink", "wrapper", "config", "shape", "spliced", "name", "file", "content")


@dataclass(frozen=True)
class Template:
    """One piece of prompt text at a source location."""

    id: str
    path: str
    span: Span
    kind: Kind
    role: Role
    segments: tuple[Segment, ...]
    name: str | None = None  # qualified name when it is a named constant
    notes: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()  # why this text is a prompt (strongest first)

    @property
    def text(self) -> str:
        """Static text only; holes contribute nothing (they are never guessed)."""
        return "".join(s.text for s in self.segments if s.hole is None)

    @property
    def placeholders(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for s in self.segments:
            if s.hole is not None:
                seen.setdefault(s.hole, None)
        return tuple(seen)

    @property
    def varying(self) -> tuple[str, ...]:
        """Placeholders and fill points, in order: what makes two requests' text differ."""
        seen: dict[str, None] = {}
        for s in self.segments:
            name = s.hole if s.hole is not None else s.fill
            if name is not None:
                seen.setdefault(name, None)
        return tuple(seen)

    def display(self, hole_format: str = "{{{name}}}") -> str:
        """Text with holes shown as ``{name}``: what a reader of the prompt sees."""
        return "".join(
            hole_format.format(name=s.hole) if s.hole is not None else s.text for s in self.segments
        )


@dataclass(frozen=True)
class CacheMark:
    """A cache breakpoint after the part that carries it: Anthropic's ``cache_control``, or
    OpenAI's ``prompt_cache_breakpoint`` (GPT-5.6 and later)."""

    ttl: str = "5m"  # "5m" | "1h"; OpenAI: "30m"
    span: Span | None = None


OPENAI_CACHE_TTL = "30m"  # prompt_cache_options.ttl: its default and, late 2026, its only value

Section = Literal["tools", "system", "messages"]


@dataclass(frozen=True)
class Part:
    """One element of a request's prompt in the order the API builds the prefix.

    Exactly one of ``template`` (known text, possibly with holes), ``hole`` (a run-time
    value such as the user's question or the chat history) and ``unresolved`` (a value
    promptlint should have been able to see but could not) is set.
    """

    section: Section
    role: Role
    template: str | None
    cache: CacheMark | None = None
    unresolved: str | None = None  # why this element cannot be known (reported as PL002)
    hole: str | None = None  # the element is one run-time value (user input, history)
    message: int | None = None  # index of the message this part belongs to
    span: Span | None = None

    @property
    def static(self) -> bool:
        return self.template is not None and self.hole is None and self.unresolved is None


@dataclass(frozen=True)
class Example:
    """A few-shot example: the templates that make up one demonstration."""

    group: str  # the request or collection the example belongs to
    templates: tuple[str, ...]
    label: str | None = None  # the expected answer when it is short
    span: Span | None = None


@dataclass(frozen=True)
class Loop:
    """A loop that repeats a request: around its call, or around a call of a helper that
    makes it (``via`` names the helpers, innermost first). Found by :mod:`promptlint.loops`.

    ``kind``: ``collection`` (over data: items, documents, rows), ``literal`` (over a list
    written in the code), ``settings`` (its variable sets the model or a parameter: a
    comparison of models or temperatures), ``counter`` (``range(n)``: samples, steps),
    ``retry`` (exits on the first success: attempts, fallbacks), ``capped`` (open-ended
    but a step counter, budget, deadline or a work list it empties ends it), ``unbounded`` (``while True``,
    ``while not done``, ``itertools.count()`` with no cap on any path out) and
    ``interactive`` (waits for a person: ``input()``).
    """

    kind: str
    span: Span
    header: str  # the loop as written: "for doc in documents", "while True"
    cap: str | None = None  # what bounds it, as written: "range(3)", "step >= MAX_STEPS"
    count: int | None = None  # how many times it runs, when the code says (``range(8)``)
    independent: bool = True  # no value one iteration sends is built by an earlier one
    carried: str | None = None  # the value an iteration builds for the next (when not independent)
    grows: str | None = None  # the message list that grows every iteration and is sent whole
    grows_in_text: bool = False  # ... written whole into a message's text (``f"{history}"``), not as messages
    trimmed: bool = False  # that list is cut back (a sliding window, a summary) in the loop
    timed: bool = False  # the iteration reads a clock: a latency measurement
    via: tuple[str, ...] = ()
    waited: str | None = None  # who waits on each answer (a handler, a tool, a display), as a message says it


@dataclass(frozen=True)
class CallEdge:
    """A call of a function of the tree (maybe a helper that makes a request), with the
    loops around it. ``target`` is the callee as (module, qualified name) when this file
    can tell; the linker matches it to the function a request sits in."""

    caller: str | None  # qualified name of the calling function; None at module level
    module: str  # module of the callee (this file's module for a local function)
    qualname: str
    loops: tuple[Loop, ...]
    span: Span
    bounded: bool = False  # the caller stops on a depth or budget check: recursion through it ends


@dataclass(frozen=True)
class FunctionFacts:
    """What the loop rules know about one function of the tree, from its own file:
    whether it reads a clock, and why a caller waits on it (a route or tool decorator, a
    registration as a callback). ``module`` and ``qualname`` name the function as
    :class:`CallEdge` targets do, so a registration in another file meets its definition."""

    module: str
    qualname: str
    timed: bool = False
    serves: str | None = None


@dataclass(frozen=True)
class AgentRun:
    """An agent framework run whose step cap is a keyword argument (``AgentExecutor(
    max_iterations=...)``, ``Runner.run(max_turns=...)``): the framework loops for us."""

    path: str
    span: Span
    framework: str
    call: str  # the callee as written
    keyword: str
    value: int | None  # the cap as written (None: unbounded, or not a literal)
    given: bool  # the keyword is passed (else the framework default applies)
    literal: bool  # the value is a literal (an int or None)
    default: int | None  # the framework's own default
    function: str | None = None


@dataclass(frozen=True)
class Request:
    """One LLM API call site and what could be resolved statically."""

    id: str
    path: str
    span: Span
    provider: str  # anthropic | openai | litellm | langchain | yaml
    api: str  # e.g. messages.create, chat.completions.create
    function: str | None = None  # qualified name of the enclosing function
    model: str | None = None
    model_span: Span | None = None
    # The model was written as an Azure deployment name (``azure_deployment: gpt-4``), which
    # names a deployment, not the model it runs: ``deployments`` in the config maps it.
    deployment: bool = False
    # An embeddings call (``embeddings.create``): priced on its input at the model's rate,
    # never linted as a prompt (its input is data to index, not instructions).
    embedding: bool = False
    max_tokens: int | None = None
    max_tokens_param: str | None = None  # the keyword that set it, when set
    max_tokens_span: Span | None = None
    max_tokens_dynamic: bool = False  # set, but not to a literal
    parts: tuple[Part, ...] = ()
    auto_cache: CacheMark | None = None  # top-level cache_control (automatic caching)
    cache_mode: str | None = None  # OpenAI prompt_cache_options.mode ("implicit" | "explicit"), as written
    stream: bool = False
    batch: bool = False
    in_loop: bool = False
    loop_kind: str | None = None  # for | while | comprehension | range (a counter: retries, agent steps)
    interactive: bool = False  # inside a web handler or similar request path
    is_async: bool = False
    unresolved: tuple[str, ...] = ()  # parameters that could not be resolved, with why
    kwargs_open: str | None = None  # keyword arguments promptlint cannot see (``**params``)
    notes: tuple[str, ...] = ()
    loops: tuple[Loop, ...] = ()  # innermost first; loops around helper calls follow the request's own
    history: str | None = None  # a message list each call appends to and sends whole (``self.messages``)
    history_in_text: bool = False  # ... written whole into a message's text (``f"{self.transcript}"``)
    history_turns: int | None = None  # ... at most this many turns (``if self.turns > 3: return``)
    episode: str | None = None  # the loop its answer starts (the first step of an agent episode)
    cached_by: str | None = None  # what sets cache_control on the messages at run time (a helper)
    # The in-house function(s) the call goes through (``gpt_call()``): the request is made
    # at this call, its SDK parameters are set inside the wrapper.
    via: str | None = None
    # The server on the user's machine the request is sent to (``base_url="http://localhost:11434/v1"``):
    # a model it runs itself bills nothing; a vendor's model id sent there is forwarded and billed
    # (``tokens.request_model``). For a URL set at run time on a client whose key says the
    # server checks none, what says so (``api_key='not-needed'``).
    local_server: str | None = None

    @property
    def templates(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for p in self.parts:
            if p.template is not None:
                seen.setdefault(p.template, None)
        return tuple(seen)

    @property
    def cache_breakpoints(self) -> int:
        return sum(1 for p in self.parts if p.cache is not None)


@dataclass(frozen=True)
class Use:
    """A place that composes or sends prompts defined elsewhere (a message list of imported
    constants, a prompt object, a promptfoo entry): visible at its own location, never
    counted or priced, since the templates it names are."""

    id: str
    path: str
    span: Span
    templates: tuple[str, ...]
    kind: str  # messages | prompt-object | config | repeat (the same prose again in the file)


@dataclass(frozen=True)
class Diagnostic:
    """A problem with the input itself (unreadable, unparsable, skipped)."""

    path: str
    message: str
    line: int = 1
    column: int = 1
    code: str = "PL001"  # PL001 parse-error, or "skip" for a notice that is not a finding
    cell: int | None = None  # notebook code cell the line is counted in


@dataclass(frozen=True)
class Usage:
    """Billable token counts of one request, for pricing a before/after scenario.

    ``weight`` lets a scenario be a probability mix (a cache hit with weight 0.9 and a
    miss with weight 0.1).
    """

    model: str
    input_tokens: float = 0
    cache_write_tokens: float = 0
    cache_write_1h_tokens: float = 0
    cache_read_tokens: float = 0
    output_tokens: float = 0
    batch: bool = False
    weight: float = 1.0
    site: str | None = None  # the request whose calls this usage bills (for pricing at its traffic)


@dataclass(frozen=True)
class Saving:
    """What a finding would save: the request's usage before and after the change.

    An ``exposure`` prices a risk (output running to the model's limit) rather than money
    spent on every request; reports show it apart and never add it to what is saveable.
    """

    tokens: int
    before: tuple[Usage, ...] = ()
    after: tuple[Usage, ...] = ()
    exposure: bool = False  # a worst case that may never be billed, not a saving on every request

    def by_request(self, request: str | None) -> dict[str | None, tuple[tuple[Usage, ...], tuple[Usage, ...]]]:
        """The usages request by request (``Usage.site``; a usage with none belongs to
        ``request``, the finding's own)."""
        out: dict[str | None, tuple[tuple[Usage, ...], tuple[Usage, ...]]] = {}
        for side, usages in ((0, self.before), (1, self.after)):
            for u in usages:
                key = u.site if u.site is not None else request
                was = out.get(key, ((), ()))
                out[key] = (was[0] + (u,), was[1]) if side == 0 else (was[0], was[1] + (u,))
        return out


@dataclass(frozen=True)
class Edit:
    """Replace ``[start, end)`` of a file's text with ``replacement``.

    Offsets are characters of the decoded file text (after a BOM). The fix stage turns
    every other kind of edit into these before it writes anything.
    """

    path: str
    start: int
    end: int
    replacement: str


# What a rule asks the fix stage to change, in the terms the rule sees (template text, a
# request's parameters), not source characters: a rule never sees source, and the same
# template text may come from a Python literal with escapes, an f-string, a dedented
# block or a YAML scalar. ``promptlint.fix`` maps each to file edits and checks, by
# extracting the edited files again, that the change is the one asked for.


@dataclass(frozen=True)
class TextEdit:
    """Replace ``[start, end)`` of a template's text with ``replacement``.

    Offsets count each hole as one character (the text rules read, with a marker per
    placeholder), so an edit can say which side of a placeholder it is on.
    """

    template: str
    start: int
    end: int
    replacement: str = ""


@dataclass(frozen=True)
class ArgumentEdit:
    """Set keyword ``name`` of the request's call to ``value`` (Python source of a literal)."""

    request: str
    name: str
    value: str


@dataclass(frozen=True)
class CacheEdit:
    """Put a ``cache_control`` breakpoint on part ``part`` of the request (an index into
    ``Request.parts``), or top-level (automatic caching) when ``part`` is None."""

    request: str
    part: int | None = None
    ttl: str = "5m"


@dataclass(frozen=True)
class RemoveEdit:
    """Delete the list items (messages, example entries) that hold these templates."""

    templates: tuple[str, ...]


FixEdit = Edit | TextEdit | ArgumentEdit | CacheEdit | RemoveEdit


@dataclass(frozen=True)
class Fix:
    applicability: Literal["safe", "unsafe"]
    description: str
    edits: tuple[FixEdit, ...] = ()
    tokens_saved: int | None = None


@dataclass(frozen=True)
class Finding:
    code: str
    name: str
    severity: Severity
    span: Span
    message: str
    template: str | None = None
    request: str | None = None
    saving: Saving | None = None
    fix: Fix | None = None
    requests: tuple[str, ...] = ()  # every request the finding is about (one finding per rule and location)


@dataclass(frozen=True)
class Price:
    """Dollar figures of one finding or request (computed by the price stage)."""

    usd_per_request: float
    usd_per_1k_requests: float
    usd_per_month: float


@dataclass(frozen=True)
class PricedFinding:
    finding: Finding
    price: Price | None
    model: str | None = None

    @property
    def tokens_saved(self) -> int | None:
        return self.finding.saving.tokens if self.finding.saving else None


@dataclass(frozen=True)
class Suppression:
    """A ``# promptlint: ignore[...]`` (or ``noqa: PLxxx``) comment: it silences findings
    reported on its line (in a notebook, the cell's line)."""

    line: int
    column: int
    codes: tuple[str, ...] | None  # None: every code (a bare ``promptlint: ignore``)
    cell: int | None = None
    noqa: bool = False  # written as ``noqa``: codes that are not promptlint's belong to other tools


@dataclass(frozen=True)
class Project:
    """Everything extraction found in the scanned tree, linked across files."""

    root: str
    files_scanned: int
    templates: dict[str, Template] = field(default_factory=dict)
    requests: tuple[Request, ...] = ()
    examples: tuple[Example, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    suppressions: dict[str, tuple[Suppression, ...]] = field(default_factory=dict)
    agent_runs: tuple[AgentRun, ...] = ()
    uses: tuple[Use, ...] = ()
