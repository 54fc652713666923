"""LangChain prompt objects and chat models, read as the plain values they stand for.

- ``ChatPromptTemplate.from_messages([...])`` (tuples, message classes, message prompt
  templates, ``MessagesPlaceholder``) is a message list; ``PromptTemplate(template=...)``
  and ``.from_template(...)`` are text. ``{name}`` fields are holes (``{{`` is a brace);
  with ``template_format="jinja2"`` or ``"mustache"`` ``{{ name }}`` is.
- ``SystemMessage/HumanMessage/AIMessage(content=...)`` are messages whose content is
  sent as written (no placeholders).
- ``FewShotChatMessagePromptTemplate`` / ``FewShotPromptTemplate`` expand each example
  through the example prompt, so the demonstrations are counted and seen as examples.
- A chat model (``ChatAnthropic(model=..., max_tokens=...)``, ``init_chat_model(...)``) is a
  map tagged ``__lc__ = "model"``; ``prompt | model`` (and ``| parser``) a ``"chain"``.

A prompt definition alone is a template. A request (provider ``langchain``) is made
only where a chat model or a chain holding one is invoked (``invoke``, ``stream``,
``batch`` and their async forms); its input is resolved after linking, so a chain
imported from another module works too.
"""

from __future__ import annotations

from dataclasses import replace

from promptlint.extract import values as v
from promptlint.extract.ops import apply
from promptlint.lazyre import lazy
from promptlint.models import LOCAL
from promptlint.types import Segment, Span

TAG = "__lc__"
PROMPT_CALLS = frozenset({
    "from_messages", "from_template", "PromptTemplate", "ChatPromptTemplate", "SystemMessage", "HumanMessage",
    "AIMessage", "ToolMessage", "ChatMessage", "MessagesPlaceholder", "FewShotChatMessagePromptTemplate",
    "FewShotPromptTemplate", "SystemMessagePromptTemplate", "HumanMessagePromptTemplate",
    "AIMessagePromptTemplate", "LLMChain", "init_chat_model",
})
# Functions that hand back the messages they are given in LangChain's classes (OpenAI-style
# role dicts in, message objects out): what is sent is what they were given.
ADAPTERS = frozenset({"convert_openai_messages"})
INVOKE_METHODS = frozenset({"invoke", "ainvoke", "stream", "astream", "batch", "abatch"})
CALL_NAMES = PROMPT_CALLS | INVOKE_METHODS
# The methods a wrapper's summary follows when the receiver is unknown and what it is given
# is the wrapper's parameter (a streaming twin in another branch would count the call twice).
FORWARDING_METHODS = frozenset({"invoke", "ainvoke"})
_MESSAGES_ONLY = "messages only"  # an unknown receiver that is a chat model only when sent messages
PASS_THROUGH = frozenset({"bind", "bind_tools", "with_structured_output", "with_retry", "with_config",
                           "with_fallbacks", "partial", "format_messages", "format_prompt", "configurable_fields"})
_MESSAGE_ROLES = {"SystemMessage": "system", "HumanMessage": "user", "AIMessage": "assistant", "ToolMessage": "tool",
                  "SystemMessagePromptTemplate": "system", "HumanMessagePromptTemplate": "user",
                  "AIMessagePromptTemplate": "assistant"}
_MODEL_KWARGS = ("model", "model_name", "model_id", "azure_deployment", "deployment_name")
_MAX_KWARGS = ("max_tokens", "max_completion_tokens", "max_output_tokens", "max_tokens_to_sample", "num_predict")
_URL_KWARGS = ("base_url", "openai_api_base", "api_base")  # the server a chat model sends to
# Chat model classes of a server on the user's machine: whatever the model, $0 per token.
_LOCAL_CLASSES = frozenset({"ChatOllama", "ChatLlamaCpp"})
# Chat model classes that always send an output cap of their own when none is given.
_DEFAULT_CAP = {"ChatAnthropic", "ChatAnthropicMessages", "ChatBedrock", "ChatBedrockConverse"}


def is_chat_model_class(name: str) -> bool:
    """``ChatAnthropic``, ``ChatOpenAI``, ``AzureChatOpenAI``: LangChain's chat model classes."""
    if name.endswith(("Template", "Message", "History")):
        return False
    return (name.startswith("Chat") and name[4:5].isupper()) or name.startswith("AzureChat")


def tagged(value: v.Value | None, kind: str) -> bool:
    return isinstance(value, v.Map) and isinstance(value.get(TAG), v.Str) and value.get(TAG).text == kind  # type: ignore[union-attr]


def _str(text: str, span: Span | None = None) -> v.Str:
    return v.Str((Segment(text=text, span=span),), span)


# resolver hooks --------------------------------------------------------------------
def call_value(resolver, name: str | None, node, args, kwargs, scope, pos, depth, span: Span) -> v.Value | None:
    """The value of a LangChain constructor call, or None when the call is not one."""
    if not recognized(resolver, name):
        return None
    parts = name.split(".")  # type: ignore[union-attr]
    last = parts[-1]
    owner = parts[-2] if len(parts) > 1 else ""
    value = _call_value(resolver, last, owner, node, args, kwargs, scope, pos, depth, span)
    if value is None or last in ("LLMChain", "init_chat_model", *ADAPTERS) or is_chat_model_class(last):
        return value
    return v.stamp(value, definition_id(resolver, node, scope, last))


def recognized(resolver, name: str | None) -> bool:
    """Whether a callee names a LangChain prompt class or chat model (not a same-named
    class from another library or the project itself)."""
    if not name:
        return False
    parts = name.split(".")
    if parts[-1] not in PROMPT_CALLS and parts[-1] not in ADAPTERS and not is_chat_model_class(parts[-1]):
        return False
    imported = resolver.index.imports.get(parts[0])
    if parts[-1] in ADAPTERS and imported is None:
        return False  # the project's own function of that name
    if imported is not None and not imported.module.startswith(("langchain", "langgraph")):
        return False
    return parts[0] not in resolver.index.module.classes


def definition_id(resolver, node, scope, callee: str) -> str:
    """A stable template id for a prompt object: its variable, else its callee and ordinal."""
    for name, events in scope.events.items():
        if any(e.kind == "assign" and e.node is node for e in events):
            if scope.kind == "module":
                return f"{resolver.path}::{name}"
            sep = "." if scope.kind == "class" else "::"
            return f"{resolver.path}::{scope.qualname}{sep}{name}"
    ordinal = 0
    for site in resolver.index.calls:
        if site.scope is scope and site.chain and site.chain[-1] == callee:
            ordinal += 1
            if site.node is node:
                break
    return f"{resolver.path}::{scope.qualname or '<module>'}::{callee}#{max(ordinal, 1)}"


def _call_value(resolver, last: str, owner: str, node, args, kwargs, scope, pos, depth, span: Span) -> v.Value | None:

    def arg(i: int, key: str) -> v.Value | None:
        if key in kwargs:
            return resolver.value(kwargs[key], scope, pos, depth)
        return resolver.value(args[i], scope, pos, depth) if len(args) > i else None

    fmt = arg(99, "template_format")
    holes_op = "lc_fstring" if not isinstance(fmt, v.Str) or fmt.text == "f-string" else "lc_placeholders"
    if last == "from_messages" or (last == "ChatPromptTemplate" and (args or "messages" in kwargs)):
        return messages_value(arg(0, "messages"), holes_op, span)
    if last == "from_template" or last == "PromptTemplate":
        template = arg(0, "template")
        if template is None:
            return None
        text = apply(holes_op, (template,), span=span)
        role = _MESSAGE_ROLES.get(owner)
        if owner == "ChatPromptTemplate":
            role = "user"
        if role is None:
            return text
        message = v.Map((("role", _str(role)), ("content", text)), span)
        return v.Seq((message,), span) if owner == "ChatPromptTemplate" else message
    if last in _MESSAGE_ROLES:
        content = arg(0, "content")
        if last.endswith("PromptTemplate"):
            content = arg(0, "prompt")
        return v.Map((("role", _str(_MESSAGE_ROLES[last])), ("content", content or v.Str((), span))), span)
    if last == "ChatMessage":
        return v.Map((("role", arg(99, "role") or _str("unknown")), ("content", arg(0, "content") or v.Str(()))), span)
    if last == "MessagesPlaceholder":
        variable = arg(0, "variable_name")
        return _placeholder(variable.text if isinstance(variable, v.Str) else "messages", span)
    if last in ("FewShotChatMessagePromptTemplate", "FewShotPromptTemplate"):
        pieces = tuple(x if x is not None else v.Lit(None) for x in (
            arg(99, "examples"), arg(99, "example_prompt"), arg(99, "prefix"), arg(99, "suffix")))
        op = "lc_fewshot_chat" if last.startswith("FewShotChat") else "lc_fewshot_text"
        return apply(op, pieces, span=span, expr=resolver.expr_text(node))
    if last in ADAPTERS:
        return arg(0, "messages")
    if last == "LLMChain":
        return v.Map(((TAG, _str("chain")), ("prompt", arg(99, "prompt") or v.Lit(None)),
                      ("model", arg(99, "llm") or v.Lit(None))), span)
    if last == "init_chat_model" or is_chat_model_class(last):
        return model_value(last, arg(0 if last == "init_chat_model" else 99, "model"), kwargs, resolver, scope, pos,
                           depth, span)
    return None


def model_value(cls: str, model: v.Value | None, kwargs, resolver, scope, pos, depth, span: Span) -> v.Map:
    items: list[tuple[str, v.Value]] = [(TAG, _str("model")), ("class", _str(cls))]
    for key in _MODEL_KWARGS:
        if model is None and key in kwargs:
            model = resolver.value(kwargs[key], scope, pos, depth)
    if cls in _LOCAL_CLASSES:  # ``local/<model>``, as LiteLLM's ``ollama/..`` reads
        text = model.text if isinstance(model, v.Str) and not model.has_holes else cls.lower()
        model = _str(f"{LOCAL}/{text}", getattr(model, "span", None) or span)
    if model is not None:
        items.append(("model", model))
    for key in _URL_KWARGS:
        if key in kwargs:
            items.append(("base_url", resolver.value(kwargs[key], scope, pos, depth)))
            break
    for key in _MAX_KWARGS:
        if key in kwargs:
            param = "max_completion_tokens" if key == "max_completion_tokens" else "max_tokens"
            items.append((param, resolver.value(kwargs[key], scope, pos, depth)))
            break
    return v.Map(tuple(items), span)


def method_value(method: str, receiver: v.Value, kwargs: dict[str, v.Value]) -> v.Value | None:
    """``model.bind(max_tokens=...)``, ``prompt.partial(...)``: the same object, updated."""
    if method not in PASS_THROUGH:
        return None
    if tagged(receiver, "model") and method == "bind":
        for key in _MAX_KWARGS:
            if key in kwargs:
                return receiver.with_item("max_tokens", kwargs[key])  # type: ignore[union-attr]
        return receiver
    if tagged(receiver, "model") or tagged(receiver, "chain") or _is_messages(receiver):
        return receiver
    return None


def pipe(left: v.Value, right: v.Value, span: Span) -> v.Value | None:
    """``prompt | model | parser``: a chain that knows its prompt and model."""
    if tagged(left, "chain"):
        if tagged(right, "model") and isinstance(left.get("model"), v.Lit):  # type: ignore[union-attr]
            return left.with_item("model", right)  # type: ignore[union-attr]
        return left
    if tagged(right, "model") or tagged(left, "model"):
        prompt = v.Lit(None) if tagged(left, "model") else left
        model = left if tagged(left, "model") else right
        return v.Map(((TAG, _str("chain")), ("prompt", prompt), ("model", model)), span)
    return None


def _placeholder(name: str, span: Span) -> v.Map:
    """A run-time message list (the chat history): a hole, never a template."""
    return v.Map((("role", _str("placeholder")), ("content", v.Unknown("messages placeholder", name))), span)


def _is_messages(value: v.Value) -> bool:
    return isinstance(value, v.Seq) and any(isinstance(i, v.Map) and i.get("role") is not None for i in value.items)


# values ----------------------------------------------------------------------------
def messages_value(items: v.Value | None, holes_op: str, span: Span) -> v.Value:
    """``from_messages``' list: tuples, bare strings and message objects to role maps."""
    if not isinstance(items, v.Seq):
        return items if items is not None else v.Seq((), span)
    out: list[v.Value] = []
    for item in items.items:
        if isinstance(item, v.Seq) and len(item.items) == 2:
            role, content = item.items
            role_text = role.text if isinstance(role, v.Str) else "unknown"
            if role_text == "placeholder":
                name = content.text.strip("{} ") if isinstance(content, v.Str) else "messages"
                out.append(_placeholder(name, span))
            else:
                out.append(v.Map((("role", role), ("content", apply(holes_op, (content,), span=span))), item.span))
        elif isinstance(item, (v.Str, v.Ref, v.Deferred, v.FileLink)):
            out.append(v.Map((("role", _str("user")), ("content", apply(holes_op, (item,), span=span))), span))
        elif isinstance(item, v.Seq) and _is_messages(item):
            out.extend(item.items)  # a few-shot block spliced into the list
        else:
            out.append(item)
    return v.Seq(tuple(out), items.span, items.open)


def evaluate(op: str, operands: tuple[v.Value, ...], span: Span | None, expr: str) -> v.Value:
    """LangChain operations once every operand is known (called by :mod:`ops`)."""
    if op == "lc_fstring":
        value = operands[0]
        return v.format_holes(value, {}, []) if isinstance(value, v.Str) else value
    if op == "lc_placeholders":
        value = operands[0]
        return v.placeholder_holes(value, _DOUBLE_BRACES) if isinstance(value, v.Str) else value
    if op == "lc_messages":
        return as_messages(operands[0], span)
    examples, example_prompt, prefix, suffix = operands
    if not isinstance(examples, v.Seq):
        return v.Unknown("few-shot examples", expr, "dynamic", span)
    rendered = [_render_example(example_prompt, ex) for ex in examples.items]
    if op == "lc_fewshot_chat":
        return v.Seq(tuple(m for r in rendered for m in (r.items if isinstance(r, v.Seq) else (r,))), span)
    pieces: list[v.Str] = []
    for part in (prefix, *rendered, suffix):
        if isinstance(part, v.Str):
            if pieces:
                pieces.append(_str("\n\n"))
            pieces.append(part)
    return v.concat(*pieces, span=span) if pieces else v.Str((), span)


# ``jinja2`` and ``mustache`` LangChain templates: only ``{{ expr }}`` is a placeholder.
_DOUBLE_BRACES = lazy(r"\{\{\s*([^{}]+?)\s*\}\}")


def _render_example(example_prompt: v.Value, example: v.Value) -> v.Value:
    """One example dict through the example prompt: its fields spliced into the holes."""
    fields = dict(example.items) if isinstance(example, v.Map) else {}
    if isinstance(example_prompt, v.Str):
        return _fill(example_prompt, fields)
    if isinstance(example_prompt, v.Seq):
        return replace(example_prompt, items=tuple(
            m.with_item("content", _fill(m.get("content"), fields))  # type: ignore[arg-type]
            if isinstance(m, v.Map) and isinstance(m.get("content"), v.Str) else m
            for m in example_prompt.items
        ))
    return v.Unknown("example prompt", "example_prompt", "dynamic", None)


def _fill(template: v.Str, fields: dict[str, v.Value]) -> v.Str:
    """The example's fields in the example prompt's holes, located at the example."""
    filled = v.format_holes(template, fields, [])
    where = next((f.span for f in fields.values() if isinstance(f, v.Str) and f.span is not None), None)
    return replace(filled, span=where or filled.span)


# Roles a chat model accepts as the first item of a ``(role, content)`` message tuple.
TUPLE_ROLES = frozenset({"system", "human", "user", "ai", "assistant", "developer", "tool"})


def _message_tuple(item: v.Value) -> bool:
    return isinstance(item, v.Seq) and len(item.items) == 2 and isinstance(item.items[0], v.Str) \
        and item.items[0].text.strip().lower() in TUPLE_ROLES


def as_messages(value: v.Value, span: Span | None) -> v.Value:
    """What a chat model is sent for an input: a message list (text is one user turn; a
    ``("system", "...")`` tuple is that role's message, as the model converts it)."""
    if isinstance(value, v.Seq):
        return replace(value, items=tuple(
            v.Map((("role", _str("user")), ("content", i)), span) if isinstance(i, v.Str) else
            v.Map((("role", i.items[0]), ("content", i.items[1])), i.span) if _message_tuple(i) else i  # type: ignore[union-attr]
            for i in value.items
        ))
    if isinstance(value, v.Map) and value.get("role") is not None:
        return v.Seq((value,), span)
    if isinstance(value, (v.Str, v.Unknown)):
        return v.Seq((v.Map((("role", _str("user")), ("content", value)), span),), span)
    return value


# requests --------------------------------------------------------------------------
def unknown_model(messages_only: bool = False) -> v.Map:
    """A receiver promptlint cannot follow, taken for a chat model of unknown class; with
    ``messages_only`` it is one only when what it is given turns out to be a message list
    (the wrapper's callers decide)."""
    items: tuple[tuple[str, v.Value], ...] = ((TAG, _str("model")), ("class", _str("unknown")))
    if messages_only:
        items += ((_MESSAGES_ONLY, v.Lit(True)),)
    return v.Map(items)


def _message_list(value: v.Value | None) -> bool:
    """A list of role messages (dicts or LangChain message objects), as callers build one."""
    return _is_messages(value) or (isinstance(value, v.Map) and value.get("role") is not None) or \
        (isinstance(value, v.Seq) and any(_message_tuple(i) for i in value.items))


def invocation_params(method: str, runnable: v.Value, given: v.Value | None) -> list[tuple[str, v.Value]] | None:
    """The request a linked ``runnable.invoke(given)`` makes, or None when it is no chat model."""
    if tagged(runnable, "model") and runnable.get(_MESSAGES_ONLY) is not None and not _message_list(given):  # type: ignore[union-attr]
        return None  # a tool, a graph or a retriever given a dict or a query: no chat request
    if tagged(runnable, "chain"):
        model, prompt = runnable.get("model"), runnable.get("prompt")  # type: ignore[union-attr]
        if not tagged(model, "model"):
            return None
        sent = prompt if prompt is not None and not isinstance(prompt, v.Lit) else given
    elif tagged(runnable, "model"):
        model, sent = runnable, given
    else:
        return None
    params: list[tuple[str, v.Value]] = []
    for key in ("model", "max_tokens", "max_completion_tokens", "base_url"):
        if model.get(key) is not None:  # type: ignore[union-attr]
            params.append((key, model.get(key)))  # type: ignore[union-attr,arg-type]
    cls = model.get("class")  # type: ignore[union-attr]
    if not any(k.startswith("max_") for k, _ in params) and isinstance(cls, v.Str) and cls.text in _DEFAULT_CAP:
        params.append(("max_tokens", v.Unknown(f"{cls.text}'s default cap", "max_tokens", "dynamic")))
    params.append(("messages", as_messages(sent if sent is not None else v.Unknown("input", "input"), None)))
    return params
