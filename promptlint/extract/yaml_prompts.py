"""Prompts kept in YAML: prompt files, promptfoo configs, Semantic Kernel prompt files.

The file is composed into PyYAML nodes (safe loader, never constructed into Python
objects), so every value keeps its line, column and offsets. A value is a prompt when its
key says so:

- ``prompt``, ``instructions``, ``*_prompt``, ``*_instructions``, ``system_message``
  always; ``system``, ``user``, ``assistant``, ``template``, ``*_template`` when the text
  reads like prose (or a sibling already is a prompt), so ``user: "1000:1000"`` in a
  compose file is not one;
- ``content`` of each ``messages: [{role, content}]`` item;
- every value under ``prompts:`` / ``templates:`` (promptfoo ``file://`` entries link
  the named file);
- ``examples:`` beside a prompt: each item is a few-shot example.

A mapping holding a prompt and a sibling ``model`` or ``max_tokens`` (directly, or in
``parameters``/``execution_settings``) is a request. Its provider is ``yaml``: the file
says what is sent, not how the calling code sends it, so API-specific rules (Anthropic's
required ``max_tokens``, ``cache_control``) are not applied to it; its model still
prices it. promptfoo configs give templates only: their calls are test runs.

Aliases are followed (a shared system prompt referenced with ``*base``) but every node
is visited at most ``MAX_VISITS`` times in total, so a billion-laughs file stops early
with a diagnostic instead of expanding.
"""

from __future__ import annotations

import posixpath
import re
from contextlib import contextmanager
from dataclasses import dataclass, field

import yaml

from promptlint.extract import values as v
from promptlint.extract.evidence import fixture_path
from promptlint.extract.fewshot import ANSWER_KEYS, RECORDING, Turn, label_of, pair_examples
from promptlint.extract.result import FileResult, RequestDraft
from promptlint.extract.roles import role_from_name, role_of
from promptlint.extract.sections import split_sections
from promptlint.extract.source import LineIndex, MappedText, text_segments
from promptlint.extract.yaml_kinds import ModelBlockKind, kind_for
from promptlint.suppress import yaml_suppressions
from promptlint.types import Diagnostic, Evidence, Example, Segment, Span, Template
from promptlint.yamlload import SAFE_LOADER

MAX_VISITS = 50_000
MAX_DEPTH = 64  # prompts sit near the top of a file; deeper structure is data
# libyaml's loader is many times faster, caps nesting depth, and gives the same
# character offsets as the pure-Python one; either only builds nodes, never objects.
_LOADER = SAFE_LOADER
_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_STRONG = {"prompt", "instructions", "system_message", "system_instructions"}
_WEAK = {"system", "user", "assistant", "human", "developer", "template"}
_MODEL_KEYS = ("model", "model_id", "model_name", "ai_model_id", "deployment", "azure_deployment")
_DEPLOYMENT_KEYS = frozenset({"deployment", "azure_deployment"})  # the name of a deployment, not a model id
_MAX_KEYS = ("max_tokens", "max_completion_tokens", "max_output_tokens", "maxtokens", "max_tokens_to_sample",
             "max_new_tokens")
_SETTINGS_HOLDERS = ("parameters", "execution_settings", "settings", "config", "options", "generation_config")
# The note every template of a recorded trajectory carries: the anatomy reads it as transcript
_SK_MESSAGE = re.compile(r"<message\s+role\s*=\s*[\"'](?P<role>\w+)[\"']\s*>")
_SK_MESSAGE_END = re.compile(r"</message\s*>")


class _Budget(Exception):
    pass


@dataclass
class _Found:
    """Prompt content found directly in one mapping."""

    fields: list[tuple[str, Template]] = field(default_factory=list)  # (key, template)
    messages: list[tuple[str, list[Template]]] = field(default_factory=list)  # (role, templates)
    examples: list[tuple[list[Template], list[Template]]] = field(default_factory=list)  # (inputs, outputs)


def key_kind(key: str) -> str | None:
    """``strong``, ``weak`` or None: how surely a key names prompt text."""
    k = key.lower()
    if k in _STRONG or k.endswith(("_prompt", "_instructions", "-prompt")):
        return "strong"
    if k in _WEAK or k.endswith(("_template", "-template")):
        return "weak"
    return None


def reads_like_prose(text: str) -> bool:
    words = [w for w in text.split() if any(c.isalpha() for c in w)]
    has_hole = "{" in text and "}" in text
    return len(words) >= 3 or "\n" in text.strip() or (has_hole and len(words) >= 1)


def extract_yaml(path: str, text: str, name_patterns: tuple[str, ...] = ()) -> FileResult:
    if path.endswith(".prompty"):
        from promptlint.extract.prompty import extract_prompty

        return extract_prompty(path, text)
    lines = LineIndex(text)
    walker = YamlWalker(path, lines)
    diagnostics: list[Diagnostic] = []
    documents = compose_documents(path, text, lines, diagnostics)
    for i, node in enumerate(documents):
        try:
            walker.document(node, "" if i == 0 else f"doc[{i}]")
        except _Budget:
            diagnostics.append(Diagnostic(path, f"YAML aliases expand past {MAX_VISITS:,} values; the rest of the "
                                                "file is not scanned", node.start_mark.line + 1))
            break
    return walker.result(diagnostics, yaml_suppressions(text))


def compose_documents(path: str, text: str, lines: LineIndex, diagnostics: list[Diagnostic], base: int = 0) -> list:
    """YAML nodes of every document, or a PL001 diagnostic (never raises)."""
    try:
        return [d for d in yaml.compose_all(text, Loader=_LOADER) if d is not None]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = lines.position(base + mark.index) if mark is not None else (1, 1)
        problem = exc.problem or exc.context or "syntax error"
        diagnostics.append(Diagnostic(path, f"cannot parse YAML: {problem}", line, column))
    except yaml.YAMLError as exc:
        diagnostics.append(Diagnostic(path, f"cannot parse YAML: {exc}"))
    except RecursionError:
        diagnostics.append(Diagnostic(path, "cannot parse YAML: nesting too deep"))
    return []


def scalar_text(node) -> str | None:
    if isinstance(node, yaml.ScalarNode) and node.tag == _STR_TAG:
        return node.value
    return None


def scalar_number(node) -> int | None:
    if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:int":
        try:
            return int(node.value.replace("_", ""), 0)
        except ValueError:
            return None
    return None


class YamlWalker:
    """Collects templates, requests and examples from composed YAML nodes."""

    def __init__(self, path: str, lines: LineIndex, base: int = 0, api: str = "prompt-file") -> None:
        self.path = path
        self.lines = lines
        self.base = base  # offset of the YAML text inside the file (prompty front matter)
        self.api = api
        self.visits = 0
        self.depth = 0
        self.templates: dict[str, Template] = {}
        self.by_node: dict[int, Template] = {}
        self.drafts: list[RequestDraft] = []
        self.examples: list[Example] = []
        self.links: list[v.FileLink] = []
        self.promptfoo = False
        self.notes: tuple[str, ...] = ()  # notes every template of the document carries

    def result(self, diagnostics: list[Diagnostic], suppressions: tuple = ()) -> FileResult:
        return FileResult(
            self.path, "yaml", templates=tuple(self.templates.values()), drafts=tuple(self.drafts),
            examples=tuple(self.examples), diagnostics=tuple(diagnostics), suppressions=suppressions,
            links=tuple(self.links),
        )

    # nodes ----------------------------------------------------------------------
    def tick(self) -> None:
        self.visits += 1
        if self.visits > MAX_VISITS:
            raise _Budget()

    def span(self, node) -> Span:
        return self.lines.span(self.path, self.base + node.start_mark.index, self.base + node.end_mark.index)

    def pairs(self, node, depth: int = 0) -> list[tuple[str, object, object]]:
        """(key, key node, value node) of a mapping, with ``<<`` merges applied (own keys win)."""
        own: list[tuple[str, object, object]] = []
        merged: list[tuple[str, object, object]] = []
        for key_node, value_node in node.value:
            self.tick()
            if key_node.tag == _MERGE_TAG and depth < 8:
                sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                for source in sources:
                    if isinstance(source, yaml.MappingNode):
                        merged += self.pairs(source, depth + 1)
                continue
            key = scalar_text(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            if key is None and isinstance(key_node, yaml.ScalarNode):
                key = key_node.value
            if key is not None:
                own.append((key, key_node, value_node))
        keys = {k for k, _, _ in own}
        return own + [p for p in merged if p[0] not in keys]

    def mapped(self, node) -> MappedText:
        """The scalar's value mapped to the file: exact for plain, quoted and literal scalars."""
        text = self.lines.text
        start, end = self.base + node.start_mark.index, self.base + node.end_mark.index
        value = node.value
        if node.style == "|":
            header_end = text.find("\n", start, end)
            if header_end >= 0:
                return MappedText.aligned(self.path, value, self.lines, header_end + 1, end)
        elif node.style in (None, "'", '"') and "\n" not in text[start:end]:
            inner = (start, end) if node.style is None else (start + 1, end - 1)
            if text[inner[0] : inner[1]] == value:
                return MappedText.aligned(self.path, value, self.lines, *inner)
        return MappedText.inexact(self.path, value, self.lines, start, end)

    def template(self, node, keypath: str, role: str, notes: tuple[str, ...] = (),
                 evidence: Evidence | None = None) -> Template | None:
        """A template for a string scalar (one per node: aliases reuse the first)."""
        text = scalar_text(node)
        if text is None or not text.strip():
            return None
        existing = self.by_node.get(id(node))
        if existing is not None:
            return existing
        segments = text_segments(self.mapped(node))
        if evidence is None:
            if fixture_path(self.path):
                return None  # a test's data file: a key's name is no evidence there
            key = re.sub(r"\[\d+\]", "", keypath).rsplit(".", 1)[-1]
            evidence = Evidence("name", f"the key `{key}` holds prose")
        return self.add(Template(
            id=f"{self.path}::{keypath}", path=self.path, span=self.span(node), kind="yaml",  # type: ignore[arg-type]
            role=role, segments=segments, name=keypath, notes=(*notes, *self.notes), evidence=(evidence,),  # type: ignore[arg-type]
        ), node)

    def add(self, template: Template, node=None) -> Template:
        self.templates.setdefault(template.id, template)
        if node is not None:
            self.by_node[id(node)] = template
        return self.templates[template.id]

    # structure ------------------------------------------------------------------
    def document(self, node, keypath: str) -> None:
        if isinstance(node, yaml.MappingNode):
            pairs = self.pairs(node)
            keys = {k.lower() for k, _, _ in pairs}
            self.promptfoo = "prompts" in keys and ("providers" in keys or "tests" in keys)
            self.notes = (RECORDING,) if _recording(pairs, self) else ()
        self.walk(node, keypath)

    @contextmanager
    def level(self):
        """One level deeper into the document; yields whether it is still worth reading."""
        self.tick()
        self.depth += 1
        try:
            yield self.depth <= MAX_DEPTH
        finally:
            self.depth -= 1

    def walk(self, node, keypath: str) -> None:
        with self.level() as shallow:
            if shallow and isinstance(node, yaml.MappingNode):
                self.mapping(node, keypath)
            elif shallow and isinstance(node, yaml.SequenceNode):
                for i, item in enumerate(node.value):
                    self.walk(item, f"{keypath}[{i}]")

    def mapping(self, node, keypath: str) -> _Found:
        pairs = self.pairs(node)
        found = _Found()
        candidates: list[tuple[str, object, str]] = []
        example_nodes = []
        for key, _, value in pairs:
            lower = key.lower()
            path = _join(keypath, key)
            if lower in ("prompts", "templates"):
                self.collection(value, path)
            elif lower == "messages" and _is_message_list(value, self):
                found.messages += self.messages(value, path)
            elif lower == "examples" and isinstance(value, yaml.SequenceNode):
                example_nodes.append((value, path))
            elif key_kind(key) is not None and scalar_text(value) is not None:
                candidates.append((key, value, key_kind(key) or ""))
            elif key_kind(key) is not None and isinstance(value, yaml.SequenceNode) \
                    and all(scalar_text(i) is not None for i in value.value):
                for i, item in enumerate(value.value):
                    candidates.append((f"{key}[{i}]", item, key_kind(key) or ""))
            elif isinstance(value, (yaml.MappingNode, yaml.SequenceNode)):
                self.walk(value, path)
        sure = any(kind == "strong" or reads_like_prose(scalar_text(val) or "") for _, val, kind in candidates) \
            or found.messages
        if sure:
            for key, value, _ in candidates:
                name = key.split("[", 1)[0]
                template = self.template(value, _join(keypath, key), role_from_name(name))
                if template is not None:
                    found.fields.append((name, template))
        if example_nodes and (found.fields or found.messages or "prompt" in self.path.lower()
                              or "shot" in self.path.lower()):
            for value, path in example_nodes:
                found.examples += self.example_items(value, path)
        if found.fields or found.messages:
            self.request(node, pairs, keypath, found)
        return found

    def api_for(self, pairs) -> str:
        keys = {k.lower() for k, _, _ in pairs}
        return "semantic-kernel" if keys & {"execution_settings", "template_format"} else self.api

    def collection(self, node, keypath: str) -> None:
        """Everything under ``prompts:`` / ``templates:`` is a prompt (or names a prompt file)."""
        with self.level() as shallow:
            if shallow:
                self._collection(node, keypath)

    def _collection(self, node, keypath: str) -> None:
        if isinstance(node, yaml.ScalarNode):
            text = scalar_text(node)
            if text is not None and self.function_link(node, text):
                pass
            elif text is not None and text.startswith("file://"):
                self.link(node, text)
            elif text is not None:
                self.template(node, keypath, role_from_name(keypath.rsplit(".", 1)[-1]), evidence=_LISTED)
        elif isinstance(node, yaml.SequenceNode):
            if _is_message_list(node, self):
                self.messages(node, keypath)
                return
            for i, item in enumerate(node.value):
                self.collection(item, f"{keypath}[{i}]")
        elif isinstance(node, yaml.MappingNode):
            pairs = self.pairs(node)
            keys = {k.lower() for k, _, _ in pairs}
            if keys & {"raw", "id", "file", "label"} and not keys & (_STRONG | _WEAK | {"messages"}):
                for key, _, value in pairs:  # promptfoo: {raw: ..., label: ...} or {id: file://..., label: ...}
                    text = scalar_text(value)
                    if key.lower() in ("id", "file", "raw") and text is not None and self.function_link(value, text):
                        continue
                    if key.lower() in ("id", "file", "raw") and text is not None and text.startswith("file://"):
                        self.link(value, text)
                    elif key.lower() == "raw" and text is not None:
                        self.template(value, _join(keypath, key), "unknown", evidence=_LISTED)
                return
            if keys & {"messages"} or any(key_kind(k) for k in keys):
                self.mapping(node, keypath)
                return
            for key, _, value in pairs:
                text = scalar_text(value)
                if text is not None and self.function_link(value, text):
                    continue
                if text is not None and text.startswith("file://"):
                    self.link(value, text)
                elif text is not None and key.lower() not in _SETTING_WORDS:
                    self.template(value, _join(keypath, key), role_from_name(key), evidence=_LISTED)
                elif isinstance(value, (yaml.MappingNode, yaml.SequenceNode)):
                    self.collection(value, _join(keypath, key))

    def function_link(self, node, text: str) -> bool:
        """promptfoo's ``prompts.py:build_prompt`` (or ``file://prompts.py:build_prompt``): the
        prompt is what that function returns, linked to the function's template."""
        m = _FUNCTION_REF.match(text.strip())
        if not m or not self.promptfoo:
            return False
        self.links.append(v.FileLink(m.group(1), "function", self.span(node), base=posixpath.dirname(self.path),
                                     keys=(m.group(2),)))
        return True

    def link(self, node, text: str) -> None:
        target = text[len("file://"):].strip()
        if not target or any(c in target for c in "*?[") or target.endswith((".py", ".js", ".ts", ".json")) \
                or ":" in target:
            return  # globs, code that builds prompts, and JSON message files are not followed
        self.links.append(v.FileLink(target, "prompt", self.span(node), base=posixpath.dirname(self.path)))

    def messages(self, node, keypath: str) -> list[tuple[str, list[Template]]]:
        out: list[tuple[str, list[Template]]] = []
        for i, item in enumerate(node.value):
            self.tick()
            if not isinstance(item, yaml.MappingNode):
                continue
            pairs = {k.lower(): val for k, _, val in self.pairs(item)}
            role = role_of(scalar_text(pairs.get("role")) or "")
            content = pairs.get("content", pairs.get("text"))
            templates: list[Template] = []
            path = f"{keypath}[{i}].content"
            if scalar_text(content) is not None:
                t = self.template(content, path, role, evidence=_MESSAGE)
                templates += [t] if t else []
            elif isinstance(content, yaml.SequenceNode):
                for j, block in enumerate(content.value):
                    text_node = dict((k.lower(), val) for k, _, val in self.pairs(block)).get("text") \
                        if isinstance(block, yaml.MappingNode) else block
                    t = self.template(text_node, f"{path}[{j}]", role, evidence=_MESSAGE) if text_node is not None else None
                    templates += [t] if t else []
            out.append((role, templates))
        group = f"{self.path}::{keypath}"
        self.examples += pair_examples(group, [
            Turn(role, tuple(t.id for t in ts), ts[0].span if ts else None, bool(ts),
                 "".join(t.text for t in ts)) for role, ts in out
        ])
        return out

    def example_items(self, node, keypath: str) -> list[tuple[list[Template], list[Template]]]:
        """Each item of an ``examples:`` list is one example (inputs, outputs)."""
        items: list[tuple[list[Template], list[Template]]] = []
        group = f"{self.path}::{keypath}"
        for i, item in enumerate(node.value):
            self.tick()
            path = f"{keypath}[{i}]"
            inputs: list[Template] = []
            outputs: list[Template] = []
            if isinstance(item, yaml.MappingNode):
                for key, _, value in self.pairs(item):
                    lower = key.lower()
                    role = "assistant" if lower in ANSWER_KEYS else "user"
                    t = self.template(value, _join(path, key), role)
                    if t is not None:
                        (outputs if lower in ANSWER_KEYS else inputs).append(t)
            elif isinstance(item, yaml.SequenceNode) and _is_message_list(item, self):
                for role, ts in self.messages(item, path):
                    (outputs if role == "assistant" else inputs).extend(ts)
            else:
                t = self.template(item, path, "user")
                inputs += [t] if t else []
            if inputs or outputs:
                answer = outputs[-1].text if outputs else None
                self.examples.append(Example(group, tuple(t.id for t in inputs + outputs), label_of(answer),
                                             self.span(item)))
                items.append((inputs, outputs))
        return items

    # requests -------------------------------------------------------------------
    def request(self, node, pairs, keypath: str, found: _Found) -> None:
        """A request when the mapping (or its settings block) names a model or an output cap."""
        if not self.promptfoo:
            self.add_request(self.span(node), keypath, self.found_messages(found), pairs, api=self.api_for(pairs))

    def found_messages(self, found: _Found) -> list[v.Value]:
        """The request's messages in the order a caller would send them: system, turns, examples, user."""
        messages = [_message("system", t) for _, t in found.fields if t.role == "system"]
        for role, templates in found.messages:
            messages += [_message(role, t) for t in templates]
        for inputs, outputs in found.examples:
            messages += [_message("user", t) for t in inputs] + [_message("assistant", t) for t in outputs]
        for key, template in found.fields:
            if template.role == "system":
                continue
            if key.lower() == "template" and _SK_MESSAGE.search(template.text):
                messages += self.sk_messages(template)
            else:
                messages.append(_message("user" if template.role == "unknown" else template.role, template))
        return messages

    def add_request(self, span: Span, keypath: str, messages: list[v.Value], settings, always: bool = False,
                    api: str | None = None) -> None:
        model, model_span, max_tokens, max_key, max_span, deployment = self.settings(settings)
        if model is None and max_key is None and not always:
            return
        kind = self.model_kind(settings)
        if kind is not None:  # the framework's own cap fields, and only those
            api = kind.name
            max_key, max_span, max_tokens = self.framework_cap(kind, model, settings)
        params: list[tuple[str, v.Value]] = [("messages", v.Seq(tuple(messages), span))]
        if model is not None and deployment:
            params.append(("deployment", v.Lit(True, model_span)))
        param_spans: list[tuple[str, Span]] = []
        if model is not None:
            params.append(("model", v.Str((Segment(text=model, span=model_span),), model_span)))
        if max_key is not None:
            param = "max_completion_tokens" if max_key == "max_completion_tokens" else "max_tokens"
            value = v.Lit(max_tokens, max_span) if max_tokens is not None else \
                v.Unknown("not a number", max_key, "dynamic", max_span)
            params.append((param, value))
            if max_span is not None:
                param_spans.append((param, max_span))
        self.drafts.append(RequestDraft(
            id=f"{self.path}::{keypath or 'request'}", path=self.path, span=model_span or span,
            provider="yaml", api=api or self.api, function=None, params=tuple(params), param_spans=tuple(param_spans),
        ))

    def model_block(self, pairs) -> list | None:
        """The pairs of ``model: {...}`` in a mapping, when it is a block of settings."""
        for key, _, value in pairs:
            if key.lower() == "model" and isinstance(value, yaml.MappingNode):
                return self.pairs(value)
        return None

    def model_kind(self, pairs) -> ModelBlockKind | None:
        block = self.model_block(pairs)
        return kind_for({k.lower() for k, _, _ in block}) if block else None

    def framework_cap(self, kind: ModelBlockKind, model: str | None, pairs):
        """(key, span, value) of the first of ``kind``'s cap fields the model block sets."""
        fields, _ = kind.cap_fields(model)
        for field_ in fields:
            current = self.model_block(pairs)
            node = None
            for part in field_.split("."):
                node = next((val for k, _, val in current or () if k.lower() == part), None)
                current = self.pairs(node) if isinstance(node, yaml.MappingNode) else None
            if isinstance(node, yaml.ScalarNode) and node.value.lower() not in ("", "null", "~", "none"):
                return field_.rsplit(".", 1)[-1], self.span(node), scalar_number(node)
        return None, None, None

    def settings(self, pairs) -> tuple[str | None, Span | None, int | None, str | None, Span | None, bool]:
        """Model and output cap from a mapping's keys, ``model: {...}`` or a settings block,
        and whether the model is a deployment's name (``azure_deployment:``)."""
        model = model_span = max_tokens = max_key = max_span = None
        deployment = False
        stack = [(pairs, 0)]
        while stack:
            current, depth = stack.pop(0)
            for key, _, value in current:
                lower = key.lower()
                if lower in _MODEL_KEYS and model is None:
                    text = scalar_text(value)
                    if text is not None and text.strip():
                        model, model_span = text.strip(), self.span(value)
                        deployment = lower in _DEPLOYMENT_KEYS
                    elif isinstance(value, yaml.MappingNode) and depth < 3:
                        stack.append((self.pairs(value), depth + 1))
                elif lower in _MAX_KEYS and max_key is None:
                    max_key, max_span, max_tokens = lower, self.span(value), scalar_number(value)
                elif lower in ("configuration", "name", "id") and depth > 0 and model is None:
                    text = scalar_text(value)
                    if lower in ("name", "id") and text:
                        model, model_span = text.strip(), self.span(value)
                    elif isinstance(value, yaml.MappingNode):
                        stack.append((self.pairs(value), depth + 1))
                elif lower in _SETTINGS_HOLDERS and isinstance(value, yaml.MappingNode) and depth < 3:
                    inner = self.pairs(value)
                    stack.append((inner, depth + 1))
                    for _, _, nested in inner:  # execution_settings: {default: {...}}
                        if isinstance(nested, yaml.MappingNode):
                            stack.append((self.pairs(nested), depth + 2))
        return model, model_span, max_tokens, max_key, max_span, deployment

    def sk_messages(self, template: Template) -> list[v.Value]:
        """A Semantic Kernel template with ``<message role="...">`` tags is a message list."""
        sections = split_sections(template.segments, _SK_MESSAGE, self.lines, "user", end=_SK_MESSAGE_END)
        out: list[v.Value] = []
        for i, section in enumerate(sections):
            if not any(s.hole is not None or s.text.strip() for s in section.segments):
                continue
            span = section.marker.span if section.marker is not None and section.marker.span else template.span
            part = self.add(Template(
                id=f"{template.id}.messages[{i}]", path=self.path, span=span, kind="yaml",
                role=section.role, segments=section.segments, name=f"{template.name}.messages[{i}]",  # type: ignore[arg-type]
                evidence=template.evidence,
            ))
            out.append(_message(section.role, part))
        if out:
            self.templates.pop(template.id, None)  # its messages stand for it
        return out


_LISTED = Evidence("config", "listed under `prompts:` of a prompt config")
_MESSAGE = Evidence("shape", "a message of a YAML message list")
_FUNCTION_REF = re.compile(r"^(?:file://)?((?:[\w.-]+/)*[\w.-]+\.py):([A-Za-z_]\w*)$")

_SETTING_WORDS = {"model", "label", "id", "name", "description", "provider", "temperature", "type", "version",
                  "api", "template_format", "format"} | set(_MODEL_KEYS) | set(_MAX_KEYS)


def _recording(pairs, walker: "YamlWalker") -> bool:
    """A recorded run: a top-level ``history`` (or ``trajectory``) of turns, beside the
    configuration it was recorded with (SWE-agent's demonstrations: ``history`` +
    ``replay_config``, replayed as a few-shot example) or with both (its ``.traj`` layout)."""
    keys = {k.lower() for k, _, _ in pairs}
    if "replay_config" not in keys and not {"history", "trajectory"} <= keys:
        return False
    for key, _, value in pairs:
        if key.lower() in ("history", "trajectory") and isinstance(value, yaml.SequenceNode) and value.value:
            turns = [i for i in value.value[:5] if isinstance(i, yaml.MappingNode)]
            if turns and all(any(k.lower() in ("role", "action", "observation") for k, _, _ in walker.pairs(t))
                             for t in turns):
                return True
    return False


def _message(role: str, template: Template) -> v.Map:
    content = v.Str(template.segments, template.span, template.id)
    return v.Map((("role", v.Str((Segment(text=role),))), ("content", content)), template.span)


def _is_message_list(node, walker: YamlWalker) -> bool:
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        return False
    for item in node.value:
        if not isinstance(item, yaml.MappingNode):
            return False
        keys = {k.lower() for k, _, _ in walker.pairs(item)}
        if "role" not in keys or not keys & {"content", "text"}:
            return False
    return True


def _join(keypath: str, key: str) -> str:
    return f"{keypath}.{key}" if keypath else key
