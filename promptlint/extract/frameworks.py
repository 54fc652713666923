"""Prompt objects of frameworks: one declarative entry per framework.

Frameworks whose definition *is* a request (an agent with its instructions and model: the
OpenAI Agents SDK, pydantic-ai, the Claude Agent SDK) are entries of the sink registry
(:mod:`promptlint.extract.sinks`), like the SDKs. The entries here are the frameworks whose
prompt is an object built in code and rendered later (Haystack's ``PromptBuilder``,
LlamaIndex's ``PromptTemplate``, Semantic Kernel's prompt functions): each names its
constructors, the package that must be imported for the name to mean it, the argument
holding the template, and its placeholder syntax. Such an object is a template where it is
built, whether or not promptlint sees the request it goes to. A new framework of this
kind is an entry here; ``docs/frameworks.md`` lists what is supported.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from promptlint.extract import values as v
from promptlint.extract.ops import apply
from promptlint.extract.scopes import CallSite
from promptlint.types import Segment

# placeholder syntaxes, as the operations of :mod:`promptlint.extract.langchain` read them
FSTRING = "lc_fstring"  # ``{name}``
DOUBLE_BRACES = "lc_placeholders"  # ``{{ name }}`` (Jinja, Handlebars, Semantic Kernel's ``{{$name}}``)


@dataclass(frozen=True)
class Definition:
    framework: str
    packages: tuple[str, ...]  # an import from one of these is what makes the name the framework's
    callees: frozenset[str]  # the constructor or method's last name
    text: str  # the keyword holding the template (``"a|b"``: the keywords whose texts the framework joins)
    position: int | None = 0  # its position when passed positionally (None: keyword only)
    syntax: str = FSTRING
    messages: bool = False  # the template is a list of chat messages


def _names(*names: str) -> frozenset[str]:
    return frozenset(names)


DEFINITIONS: tuple[Definition, ...] = (
    # Haystack 2: ``PromptBuilder(template="... {{ query }}")`` renders Jinja
    Definition("haystack", ("haystack",), _names("PromptBuilder"), "template", syntax=DOUBLE_BRACES),
    # ``ChatPromptBuilder(template=[ChatMessage.from_system("..."), ChatMessage.from_user("{{ q }}")])``
    Definition("haystack", ("haystack",), _names("ChatPromptBuilder"), "template", syntax=DOUBLE_BRACES,
               messages=True),
    # LlamaIndex: ``PromptTemplate("Context: {context_str}\n...")``
    Definition("llama-index", ("llama_index",), _names("PromptTemplate", "RichPromptTemplate"), "template"),
    Definition("llama-index", ("llama_index",), _names("ChatPromptTemplate"), "message_templates", messages=True),
    # Semantic Kernel: ``kernel.add_function(prompt="... {{$input}}")``, ``KernelFunctionFromPrompt(prompt=)``
    Definition("semantic-kernel", ("semantic_kernel",), _names("add_function", "KernelFunctionFromPrompt"), "prompt",
               position=None, syntax=DOUBLE_BRACES),
    # CrewAI: ``Task(description="Research {topic} ...", expected_output="A list of ...", agent=researcher)``:
    # the task's prompt, sent to its agent (``{topic}`` is filled from ``crew.kickoff(inputs=...)``)
    Definition("crewai", ("crewai",), _names("Task"), "description|expected_output", position=None),
    Definition("semantic-kernel", ("semantic_kernel",), _names("PromptTemplateConfig"), "template", position=None,
               syntax=DOUBLE_BRACES),
)

CALLEES = frozenset(name for d in DEFINITIONS for name in d.callees)
PACKAGES = tuple(sorted({p for d in DEFINITIONS for p in d.packages}))
_ROLES = {"from_system": "system", "from_user": "user", "from_assistant": "assistant"}


def definition_for(site: CallSite, index) -> Definition | None:
    """The entry a call is made with: its last name, with the framework imported in the module."""
    imported = {imp.module.split(".")[0] for imp in index.imports.values()}
    for definition in DEFINITIONS:
        if site.chain[-1] in definition.callees and imported & set(definition.packages):
            return definition
    return None


def template_value(definition: Definition, site: CallSite, resolver) -> v.Value | None:
    """The template a definition's call holds, placeholders named by its syntax."""
    node = site.node
    keys = definition.text.split("|")
    args = [next((k.value for k in node.keywords if k.arg == key), None) for key in keys]
    if args[0] is None and definition.position is not None and len(node.args) > definition.position:
        args[0] = node.args[definition.position]
    given = [a for a in args if a is not None]
    if not given:
        return None
    if definition.messages:
        return _messages(given[0], definition, site, resolver)
    span = resolver.span(node)
    text = resolver.value(given[0], site.scope, site.pos)
    for arg in given[1:]:  # CrewAI's task: its description, then what the answer must meet
        text = apply("Add", (apply("Add", (text, v.Str((Segment("\n\n"),))), span=span),
                             resolver.value(arg, site.scope, site.pos)), span=span)
    return apply(definition.syntax, (text,), span=span)


def _messages(node: ast.expr, definition: Definition, site: CallSite, resolver) -> v.Value:
    """``[ChatMessage.from_system("..."), ChatMessage(role=MessageRole.USER, content="...")]``."""
    if not isinstance(node, (ast.List, ast.Tuple)):
        return v.Unknown("messages", resolver.expr_text(node), "dynamic", resolver.span(node))
    items = []
    for element in node.elts:
        role, content = "unknown", None
        if isinstance(element, ast.Call) and isinstance(element.func, ast.Attribute) and element.func.attr in _ROLES:
            role = _ROLES[element.func.attr]
            content = element.args[0] if element.args else next(
                (k.value for k in element.keywords if k.arg in ("text", "content")), None)
        elif isinstance(element, ast.Call):
            keywords = {k.arg: k.value for k in element.keywords}
            named = keywords.get("role")
            if named is not None:
                role = ast.unparse(named).rsplit(".", 1)[-1].strip("'\"").lower()
            content = keywords.get("content")
        if content is None:
            items.append(v.Unknown("message", resolver.expr_text(element), "dynamic", resolver.span(element)))
            continue
        text = apply(definition.syntax, (resolver.value(content, site.scope, site.pos),), span=resolver.span(element))
        role_text = v.Str((Segment(text=role),), None)
        items.append(v.Map((("role", role_text), ("content", text)), resolver.span(element)))
    return v.Seq(tuple(items), resolver.span(node))


# DSPy ---------------------------------------------------------------------------------
# A ``dspy.Signature`` subclass is the prompt: DSPy sends its docstring as the task's
# instructions and each field's name, ``desc`` and ``prefix`` around the inputs. The text
# built here is that content (DSPy's adapter adds its own framing around it); a module
# (``dspy.Predict(Sig)``, ``ChainOfThought``) is the request, on the LM ``dspy.LM(..)``
# configured in the same module.
DSPY_FIELDS = frozenset({"InputField", "OutputField"})


def _is_dspy(name: str | None, index, wanted: str) -> bool:
    if not name:
        return False
    head, _, last = name.rpartition(".")
    imp = index.imports.get(head or last)
    if imp is None or imp.module.split(".")[0] != "dspy":
        return False
    return (last if head else (imp.name or "")) == wanted


def dspy_signatures(tree: ast.Module, index, resolver) -> dict[str, v.Str]:
    """Each ``class X(dspy.Signature)`` of the module: its prompt text, stamped with its id."""
    out: dict[str, v.Str] = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        if not any(_is_dspy(_dotted(b), index, "Signature") for b in node.bases):
            continue
        segments: list[Segment] = []
        doc = ast.get_docstring(node)
        if doc and node.body and isinstance(node.body[0], ast.Expr):
            segments.append(Segment(text=doc, span=resolver.span(node.body[0])))
        for stmt in node.body:
            target, value = _field(stmt)
            if target is None or not (isinstance(value, ast.Call) and (_dotted(value.func) or "").rsplit(".", 1)[-1]
                                       in DSPY_FIELDS):
                continue
            words = [ast.literal_eval(k.value) for k in value.keywords
                     if k.arg in ("prefix", "desc") and isinstance(k.value, ast.Constant) and isinstance(k.value.value, str)]
            line = f"{target}: {' '.join(words)}".rstrip(": ") if words else target
            segments.append(Segment(text=("\n" if segments else "") + line, span=resolver.span(stmt)))
        if segments:
            out[node.name] = v.Str(tuple(segments), resolver.span(node), origin=f"{resolver.path}::{node.name}")
    return out


def _field(stmt: ast.stmt) -> tuple[str | None, ast.expr | None]:
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
        return stmt.target.id, stmt.value
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
        return stmt.targets[0].id, stmt.value
    return None, None


def dspy_lm(tree: ast.Module, index, resolver) -> tuple[tuple[str, v.Value], ...]:
    """The model and cap of the module's ``dspy.LM("openai/gpt-4o-mini", max_tokens=..)``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _is_dspy(_dotted(node.func), index, "LM"):
            params: list[tuple[str, v.Value]] = []
            model = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "model"), None)
            if model is not None:
                params.append(("model", resolver.value(model, index.module, (0, 0))))
            for k in node.keywords:
                if k.arg == "max_tokens":
                    params.append(("max_tokens", resolver.value(k.value, index.module, (0, 0))))
            return tuple(params)
    return ()


def _dotted(node: ast.expr) -> str | None:
    from promptlint.extract.scopes import dotted

    return dotted(node)
