"""The SDK call shapes that send prompts: one declarative entry per shape.

A :class:`Sink` says how to recognise a call (the tail of its callee), which of its
arguments hold prompt text, the model, the output cap and cache settings, and what counts
as evidence that the receiver is that SDK's client. Everything that reasons about requests
reads this table: extraction recognises the calls, wrapper summaries ask which parameters
reach a text slot, the prefilter's markers come from the same names. A new SDK is an entry
here (and, when its parameters are shaped differently, a shape in
:mod:`promptlint.extract.shapes`); wrappers around it are then found for free.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import lru_cache

from promptlint.extract.scopes import FUNCTION_DETAIL, ModuleIndex, Pos, Scope, dotted

# Response wrappers that leave the call's parameters unchanged.
WRAPPERS = frozenset({"with_raw_response", "with_streaming_response"})


@dataclass(frozen=True)
class Sink:
    name: str
    provider: str
    tail: tuple[frozenset[str], ...]  # the callee's last attribute names, each a set of choices
    text: tuple[str, ...]  # parameters whose value is prompt text (or a message list of it)
    model: tuple[str, ...] = ("model",)
    cap: tuple[str, ...] = ("max_tokens",)
    cache: tuple[str, ...] = ()
    positional: tuple[str, ...] = ()  # parameter names of positional arguments, in order
    packages: tuple[str, ...] = ()  # an import of one of these is evidence of a client
    clients: tuple[str, ...] = ()  # constructors of a client (``Anthropic()``)
    signature: tuple[str, ...] = ()  # keywords of which two or more show this call's shape
    function: bool = False  # a module function (``litellm.completion``), not a client method
    batch: bool = False
    api_prefix: str = ""  # ``messages.batches.``: what the api name is, before the method
    shape: str = ""  # how :mod:`shapes` reads the arguments ("" -> by provider and api, as before)
    strict: bool = False  # a one-word method (``chat``, ``converse``): the SDK must be imported here
    bound: tuple[str, ...] = ()  # constructors whose arguments the call inherits (``GenerativeModel(...)``)
    bound_positional: tuple[str, ...] = ()  # parameter names of those constructors' positional arguments
    decoded: tuple[str, ...] = ()  # parameters sent as ``json.dumps({...})``: read as the mapping
    local: bool = False  # a server on the user's machine: counted, priced at $0
    embedding: bool = False  # an embeddings call: priced on its input, its input never a prompt
    callable_text: tuple[str, ...] = ()  # text parameters that may be a function the framework calls for the text

    @property
    def markers(self) -> tuple[str, ...]:
        """Names a file using this sink must contain (for the prefilter): its methods."""
        return tuple(sorted(self.tail[-1]))

    def api(self, chain: tuple[str, ...]) -> str:
        method = chain[-1]
        if self.function:
            return method
        beta = "beta." if self.provider == "anthropic" and "beta" in chain[: -len(self.tail)] else ""
        return beta + ".".join(chain[-len(self.tail):])

    def stream(self, chain: tuple[str, ...]) -> bool:
        """Whether the method streams its answer: ``stream``, ``stream_async``,
        ``converse_stream``, ``invoke_model_with_response_stream``."""
        name = chain[-1]
        return name == "stream" or name.startswith("stream_") or name.endswith("_stream")


def _tail(*parts: str) -> tuple[frozenset[str], ...]:
    return tuple(frozenset(p.split("|")) for p in parts)


_ANTHROPIC = dict(packages=("anthropic",), clients=("Anthropic", "AsyncAnthropic", "AnthropicBedrock",
                                                    "AsyncAnthropicBedrock", "AnthropicVertex", "AsyncAnthropicVertex"))
_OPENAI = dict(packages=("openai",), clients=("OpenAI", "AsyncOpenAI", "AzureOpenAI", "AsyncAzureOpenAI"))
# Hosted APIs whose clients copy OpenAI's chat completions (priced by their model id).
_COMPATIBLE = (("groq", ("groq",), ("Groq", "AsyncGroq")), ("together", ("together",), ("Together", "AsyncTogether")),
               ("fireworks", ("fireworks",), ("Fireworks", "AsyncFireworks")),
               ("cerebras", ("cerebras",), ("Cerebras", "AsyncCerebras")),
               # Zhipu GLM: ``zai.ZhipuAiClient()`` / ``zai.ZaiClient()`` and the older ``zhipuai.ZhipuAI()``
               ("zhipu", ("zai", "zhipuai"), ("ZhipuAiClient", "ZaiClient", "ZhipuAI")))
# instructor patches a client (``instructor.from_openai(OpenAI())``: the inner client decides
# whose it is) or builds one from ``"provider/model"`` (``instructor.from_provider(...)``: the
# string names both); its calls take ``response_model=`` and add these methods.
_INSTRUCTOR = "|create_partial|create_iterable|create_with_completion"
FACTORIES = ("from_provider",)
FACTORY_PACKAGES = ("instructor",)
_CHAT_SIGNATURE = ("model", "messages", "max_tokens", "max_completion_tokens", "tools")

SINKS: tuple[Sink, ...] = (
    Sink("anthropic.batches", "anthropic", _tail("messages", "batches", "create"), text=("requests",),
         batch=True, signature=("requests",), **_ANTHROPIC),
    Sink("openai.chat", "openai", _tail("chat", "completions", "create|parse|stream" + _INSTRUCTOR), text=("messages",),
         cap=("max_completion_tokens", "max_tokens"), signature=("model", "messages", "max_tokens",
                                                                 "max_completion_tokens", "tools"),
         bound=FACTORIES, bound_positional=("model",), **_OPENAI),
    Sink("anthropic.messages", "anthropic", _tail("messages", "create|stream|parse" + _INSTRUCTOR),
         text=("system", "messages"), cache=("cache_control",),
         signature=("model", "messages", "max_tokens", "system", "tools"), bound=FACTORIES, bound_positional=("model",),
         **_ANTHROPIC),
    Sink("openai.responses", "openai", _tail("responses", "create|stream|parse"), text=("instructions", "input"),
         cap=("max_output_tokens",), signature=("model", "input", "instructions", "max_output_tokens"), **_OPENAI),
    Sink("openai.completions", "openai", _tail("completions", "create"), text=("prompt",),
         signature=("model", "prompt"), **_OPENAI),
    # The pre-1.0 OpenAI SDK (2023 code): module-level resources, ``openai.ChatCompletion.create(
    # model=, messages=)`` and ``openai.Completion.create(prompt=)`` (Azure names the model ``engine=``).
    Sink("openai.legacy.chat", "openai", _tail("ChatCompletion", "create|acreate"), text=("messages",),
         model=("model", "engine", "deployment_id"), signature=("model", "engine", "messages", "max_tokens"),
         shape="openai.chat", **_OPENAI),
    Sink("openai.legacy.completion", "openai", _tail("Completion", "create|acreate"), text=("prompt",),
         model=("model", "engine", "deployment_id"), signature=("model", "engine", "prompt", "max_tokens"),
         shape="prompt", **_OPENAI),
    Sink("litellm", "litellm", _tail("completion|acompletion"), text=("messages",), positional=("model", "messages"),
         cache=("cache_control",), packages=("litellm",), function=True),
    *(Sink(f"{name}.chat", name, _tail("chat", "completions", "create"), text=("messages",),
           cap=("max_completion_tokens", "max_tokens"), signature=_CHAT_SIGNATURE, packages=packages, clients=clients,
           shape="openai.chat")
      for name, packages, clients in _COMPATIBLE),
    # Google GenAI: ``client.models.generate_content(model=, contents=, config=GenerateContentConfig(...))``
    Sink("google.genai", "google", _tail("models", "generate_content|generate_content_stream"),
         text=("contents", "config.system_instruction"), cap=("config.max_output_tokens",),
         signature=("model", "contents", "config"), packages=("google",), clients=("Client",), shape="gemini"),
    # google-generativeai: ``GenerativeModel("gemini-..", system_instruction=..).generate_content(prompt)``
    Sink("google.generativeai", "google", _tail("generate_content"), text=("contents", "system_instruction"),
         cap=("generation_config.max_output_tokens",), positional=("contents",), packages=("google",),
         clients=("GenerativeModel",), bound=("GenerativeModel",), bound_positional=("model",),
         model=("model", "model_name"), strict=True, shape="gemini"),
    # AWS Bedrock runtime: ``boto3.client("bedrock-runtime").converse(modelId=, messages=, system=, inferenceConfig=)``
    Sink("bedrock.converse", "bedrock", _tail("converse|converse_stream"), text=("system", "messages"),
         model=("modelId",), cap=("inferenceConfig.maxTokens",), signature=("modelId", "messages", "system"),
         packages=("boto3", "aioboto3"), strict=True, shape="bedrock.converse"),
    Sink("bedrock.invoke", "bedrock", _tail("invoke_model|invoke_model_with_response_stream"),
         text=("body.system", "body.messages", "body.prompt"), model=("modelId",),
         cap=("body.max_tokens", "body.max_gen_len", "body.maxTokenCount"), signature=("modelId", "body"),
         packages=("boto3", "aioboto3"), strict=True, decoded=("body",), shape="bedrock.invoke"),
    # Mistral: ``Mistral(api_key=..).chat.complete(model=, messages=, max_tokens=)``
    Sink("mistral.chat", "mistral", _tail("chat|agents", "complete|complete_async|stream|stream_async"),
         text=("messages",), signature=("model", "messages", "max_tokens"), packages=("mistralai",),
         clients=("Mistral",), shape="openai.chat"),
    # Cohere: v2 ``ClientV2().chat(model=, messages=)``, v1 ``Client().chat(message=, preamble=)``
    Sink("cohere.chat", "cohere", _tail("chat|chat_stream"), text=("preamble", "messages", "message"),
         signature=("model", "messages", "message", "preamble", "max_tokens"), packages=("cohere",),
         clients=("Client", "ClientV2", "AsyncClient", "AsyncClientV2"), strict=True, shape="cohere"),
    # Ollama: ``ollama.chat(model=, messages=)``, ``ollama.generate(model=, prompt=, system=)``, or a Client
    Sink("ollama", "ollama", _tail("chat|generate"), text=("messages", "prompt", "system"),
         cap=("options.num_predict",), signature=("model", "messages", "prompt"), packages=("ollama",),
         clients=("Client", "AsyncClient"), strict=True, local=True, shape="ollama"),
    # Embeddings: priced on the model's input rate; what they embed is data, never a prompt
    # (``input=`` is not a text slot, so no template is made of it).
    Sink("openai.embeddings", "openai", _tail("embeddings", "create"), text=(), cap=(),
         signature=("model", "input", "dimensions", "encoding_format"), embedding=True, shape="embedding", **_OPENAI),
    Sink("litellm.embedding", "litellm", _tail("embedding|aembedding"), text=(), cap=(), positional=("model",),
         packages=("litellm",), function=True, embedding=True, shape="embedding"),
    Sink("mistral.embeddings", "mistral", _tail("embeddings", "create|create_async"), text=(), cap=(),
         signature=("model", "inputs"), packages=("mistralai",), clients=("Mistral",), embedding=True,
         shape="embedding"),
    Sink("google.embed", "google", _tail("models", "embed_content"), text=(), cap=(), signature=("model", "contents"),
         packages=("google",), clients=("Client",), embedding=True, shape="embedding"),
    Sink("cohere.embed", "cohere", _tail("embed"), text=(), cap=(), signature=("model", "texts", "input_type"),
         packages=("cohere",), clients=("Client", "ClientV2", "AsyncClient", "AsyncClientV2"), strict=True,
         embedding=True, shape="embedding"),
    Sink("ollama.embed", "ollama", _tail("embed|embeddings"), text=(), cap=(), signature=("model", "input", "prompt"),
         packages=("ollama",), clients=("Client", "AsyncClient"), strict=True, local=True, embedding=True,
         shape="embedding"),
    # Agent frameworks: the definition is the request (its instructions are sent on every run).
    # OpenAI Agents SDK: ``Agent(name=, instructions=, model=, model_settings=ModelSettings(max_tokens=))``;
    # ``extra_args`` are passed to the API call as they are (``{"max_completion_tokens": 512}``);
    # ``run_config`` is what the function that builds the agent runs it with (see python._run_settings)
    # ``instructions`` may be a function of (run context, agent) returning the text
    Sink("openai-agents", "openai-agents", _tail("Agent"), text=("instructions",), packages=("agents",),
         callable_text=("instructions",),
         cap=("model_settings.max_tokens", "model_settings.extra_args.max_completion_tokens",
              "model_settings.extra_args.max_output_tokens", "model_settings.extra_args.max_tokens",
              "run_config.model_settings.max_tokens"),
         function=True, shape="agent"),
    # pydantic-ai: ``Agent("anthropic:claude-..", system_prompt=, instructions=, model_settings={"max_tokens": })``
    Sink("pydantic-ai", "pydantic-ai", _tail("Agent"), text=("system_prompt", "instructions"), positional=("model",),
         callable_text=("instructions",),
         packages=("pydantic_ai",), cap=("model_settings.max_tokens",), function=True, shape="agent"),
    # Claude Agent SDK (and the older Claude Code SDK): ``ClaudeAgentOptions(system_prompt=, model=)``
    Sink("claude-agent-sdk", "claude-agent-sdk", _tail("ClaudeAgentOptions|ClaudeCodeOptions"),
         text=("system_prompt", "append_system_prompt"), packages=("claude_agent_sdk", "claude_code_sdk"),
         cap=(), function=True, shape="agent"),
    # CrewAI: ``Agent(role=, goal=, backstory=, llm="gpt-4o" | LLM(model=, max_tokens=))``: its
    # role, goal and backstory are the system prompt of every task it runs; the cap is the LLM's
    Sink("crewai", "crewai", _tail("Agent"), text=("role", "goal", "backstory"), model=("llm",), cap=("llm.max_tokens",),
         packages=("crewai",), function=True, shape="agent"),
    # Agno (formerly phidata): ``Agent(model=OpenAIChat(id=), description=, instructions=str | [str],
    # expected_output=, additional_context=)``, all of them put in the system message; the cap is the model's
    Sink("agno", "agno", _tail("Agent"), text=("description", "instructions", "expected_output", "additional_context"),
         cap=("model.max_tokens",), packages=("agno", "phi"), function=True, shape="agent"),
    # Google ADK: ``Agent(name=, model="gemini-2.5-flash", instruction=, global_instruction=,
    # generate_content_config=types.GenerateContentConfig(max_output_tokens=))``
    Sink("google-adk", "google-adk", _tail("Agent|LlmAgent"), text=("instruction", "global_instruction"),
         cap=("generate_content_config.max_output_tokens",), packages=("google",), function=True, shape="agent"),
    # LlamaIndex agent workflows: ``FunctionAgent(name=, system_prompt=, tools=, llm=OpenAI(model=, max_tokens=))``
    # (and ``ReActAgent``); the cap is the LLM object's
    Sink("llama-index-agent", "llama-index-agent", _tail("FunctionAgent|ReActAgent"), text=("system_prompt",),
         model=("llm",), cap=("llm.max_tokens",), packages=("llama_index",), function=True, shape="agent"),
    # AutoGen: ``AssistantAgent(name, model_client=OpenAIChatCompletionClient(model=), system_message=)``
    # (autogen-agentchat), or the older ``AssistantAgent(name, system_message=, llm_config={"model": })``
    Sink("autogen", "autogen", _tail("AssistantAgent"), text=("system_message",),
         model=("model_client", "llm_config.model"), cap=("model_client.max_tokens", "llm_config.max_tokens"),
         packages=("autogen_agentchat", "autogen"), function=True, shape="agent"),
    # LangGraph: ``create_react_agent(model, tools, prompt=)`` (``state_modifier=`` before it was
    # renamed); the model is "provider:model" or a chat model object
    Sink("langgraph", "langgraph", _tail("create_react_agent"), text=("prompt", "state_modifier", "messages_modifier"),
         positional=("model", "tools"), cap=("model.max_tokens",), packages=("langgraph",), function=True,
         shape="agent"),
    # Semantic Kernel: ``ChatCompletionAgent(service=OpenAIChatCompletion(ai_model_id=), name=, instructions=)``
    Sink("semantic-kernel-agent", "semantic-kernel-agent", _tail("ChatCompletionAgent"), text=("instructions",),
         model=("service",), cap=(), packages=("semantic_kernel",), function=True, shape="agent"),
    # smolagents: ``CodeAgent(tools=, model=LiteLLMModel(model_id=), instructions=)`` (and ``ToolCallingAgent``)
    Sink("smolagents", "smolagents", _tail("CodeAgent|ToolCallingAgent"), text=("instructions",),
         cap=("model.max_tokens",), packages=("smolagents",), function=True, shape="agent"),
    # DSPy: ``dspy.Predict(Signature)`` / ``ChainOfThought``, on the module's ``dspy.LM(...)``
    # (the signature's text and the LM's settings are put in by :mod:`frameworks`)
    Sink("dspy", "dspy", _tail("Predict|ChainOfThought|ReAct|ProgramOfThought"), text=("signature",),
         positional=("signature",), packages=("dspy",), function=True, shape="agent"),
)

# Any other callee given ``model=`` and a system prompt in prose (an in-house client, an SDK
# not in the registry): ``LLM(model="gpt-4o", system="You are ...")``. The prose is required:
# ``ToolResult(system="ok")`` carries none. Matched by :func:`generic_call`, never by a tail.
GENERIC = Sink("model-with-prose", "generic", _tail("<any callee>"), text=("system", "system_prompt", "instructions"),
               cap=("max_tokens", "max_output_tokens", "max_completion_tokens"), function=True, shape="agent")

# What the generated SDKs take for "not given": ``instructions=system or omit``,
# ``tools=tools or NOT_GIVEN`` sends no instructions and no tools, as ``None`` would.
NOT_GIVEN_NAMES = frozenset({"NOT_GIVEN", "omit"})
NOT_GIVEN_PACKAGES = frozenset({"anthropic", "openai", *(p for _, packages, _ in _COMPATIBLE for p in packages)})


def not_given(module: str, name: str) -> bool:
    """Whether ``module.name`` is an SDK's "not given" sentinel (``openai.omit``,
    ``anthropic._types.NOT_GIVEN``)."""
    return name in NOT_GIVEN_NAMES and module.split(".", 1)[0] in NOT_GIVEN_PACKAGES


# Where a client (``OpenAI(base_url=...)``) or a call (LiteLLM's ``api_base=``) names the server it sends to.
ENDPOINTS = ("base_url", "api_base")

TEXT_SLOTS = frozenset(slot for sink in SINKS for slot in sink.text)
_PACKAGES = frozenset(p for sink in SINKS for p in sink.packages)
METHODS = frozenset(name for sink in SINKS for name in sink.tail[-1])  # the calls extraction indexes


def match(chain: tuple[str, ...], index: ModuleIndex) -> tuple[Sink, tuple[str, ...]] | None:
    """The sink a callee chain names, with the chain as the sink reads it (response
    wrappers dropped, an imported function under its own name), if any."""
    return next(iter(candidates(chain, index)), None)


def candidates(chain: tuple[str, ...], index: ModuleIndex) -> list[tuple[Sink, tuple[str, ...]]]:
    """Every sink a callee chain may name, in registry order: several SDKs share a shape
    (``chat.completions.create``), and client evidence decides which one a call is."""
    tail = tuple(p for p in chain if p not in WRAPPERS)
    if not tail:
        return []
    out = []
    for sink in SINKS:
        if sink.function:
            found = _function_call(sink, tail, index)
            if found is not None:
                out.append((sink, found))
            continue
        n = len(sink.tail)
        if len(tail) >= n and all(tail[len(tail) - n + i] in choices for i, choices in enumerate(sink.tail)):
            if len(tail) == n == 1:  # a bare ``chat(...)``: only when imported from the SDK
                found = _function_call(sink, tail, index)
                if found is not None:
                    out.append((sink, found))
                continue
            out.append((sink, tail))
    return out


def sink_of(provider: str, api: str) -> Sink | None:
    """The registry entry a request of ``provider``'s ``api`` was made with."""
    if provider == GENERIC.provider:
        return GENERIC
    names = tuple(p for p in api.split(".") if p != "beta")
    for sink in SINKS:
        n = len(sink.tail)
        if sink.provider == provider and len(names) >= n \
                and all(names[len(names) - n + i] in choices for i, choices in enumerate(sink.tail)):
            return sink
    return None


def _function_call(sink: Sink, tail: tuple[str, ...], index: ModuleIndex) -> tuple[str, ...] | None:
    methods = sink.tail[-1]
    if len(tail) == 1:  # ``completion(...)`` imported from the SDK, perhaps renamed
        imp = index.imports.get(tail[0])
        if imp is not None and imp.name in methods and imp.module.split(".")[0] in sink.packages:
            return (imp.name,)
        return None
    if len(tail) == 2 and tail[1] in methods and _names_module(tail[0], sink, index):
        return tail
    return None


def _names_module(name: str, sink: Sink, index: ModuleIndex) -> bool:
    """``litellm`` in ``litellm.completion``: the SDK module, imported as itself or re-exported
    by a module of the project (``from aider.llm import litellm``, a lazy proxy of it)."""
    imp = index.imports.get(name)
    if imp is not None:
        if imp.name is None:
            return imp.module.split(".")[0] in sink.packages
        return imp.name in sink.packages
    return name in sink.packages


# client evidence -----------------------------------------------------------------------
_MOCKS = frozenset({"Mock", "MagicMock", "AsyncMock", "NonCallableMock", "create_autospec", "patch", "mock_open"})


def client_evidence(sink: Sink, receiver: ast.expr | None, scope: Scope, index: ModuleIndex,
                    keywords: tuple[str, ...]) -> bool:
    """Whether the receiver of ``receiver.messages.create(...)`` is this SDK's client.

    Yes when it is built by one of the SDK's constructors (here, or in ``__init__`` for
    ``self.client``), or typed as one; no when it is a mock or built by another library's
    constructor; otherwise the module importing the SDK (for a call with the SDK's
    keywords), or the call's own keywords (``model=`` with ``messages=``) decide. A Django ``thread.messages.create(content=...)``
    or a Twilio client's ``messages.create(body=...)`` is not a request."""
    if sink.function:
        return True
    if factory_client(receiver, scope, index):
        return True  # instructor's unified client: any provider's model behind either shape
    built = _construction(receiver, scope)
    if built is not None:
        names = {n.rsplit(".", 1)[-1] for n in built}
        if names & _MOCKS:
            return False
        made = [m for n in built if (m := _made_by(n, sink, index)) is not None]
        if any(made):
            return True
        if made or any(n[:1].isupper() for n in names):
            return False  # another SDK's client (``cohere.Client()`` is not Ollama's), an ORM manager
        if any(n[:1].isupper() for n in names):
            return False  # made by another class: Twilio's Client(), an ORM manager
    typed = _annotated(receiver, scope, sink)
    if typed is not None:
        return typed  # ``client: Anthropic`` is one; ``report: Report`` is not
    imported = any(imp.module.split(".")[0] in sink.packages for imp in index.imports.values())
    if sink.strict:
        return imported
    given = set(keywords)
    if given & set(sink.signature) and imported:
        return True
    return len(given & set(sink.signature)) >= 2 or ("model" in given and bool(given & _LLM_KEYWORDS))


# Keywords of an LLM call, whichever SDK: ``model=`` with one of them reads as one.
_LLM_KEYWORDS = frozenset({"messages", "max_tokens", "max_completion_tokens", "max_output_tokens", "system",
                           "prompt", "input", "instructions", "temperature", "tools", "stream"})


def built_by_other(sink: Sink, receiver: ast.expr | None, scope: Scope, index: ModuleIndex) -> bool:
    """Whether the receiver is built by a constructor of another known SDK (``Client``
    imported from ``ollama`` is not Cohere's) or is a mock: a call that spreads
    ``**params`` is then still not this SDK's request."""
    built = _construction(receiver, scope)
    if not built or factory_client(receiver, scope, index):
        return False
    if {n.rsplit(".", 1)[-1] for n in built} & _MOCKS:
        return True
    made = [_made_by(n, sink, index) for n in built]
    return False in made and True not in made


def factory_client(receiver: ast.expr | None, scope: Scope, index: ModuleIndex) -> bool:
    """Whether the receiver is a client built from a ``"provider/model"`` string by a
    factory of a known package (``instructor.from_provider("anthropic/claude-haiku-4-5")``)."""
    node = _binding(receiver, scope)
    if not (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str) and "/" in node.args[0].value):
        return False
    name = dotted(node.func) or ""
    imp = index.imports.get(name.split(".", 1)[0])
    return name.rsplit(".", 1)[-1] in FACTORIES and imp is not None and imp.module.split(".")[0] in FACTORY_PACKAGES


def _made_by(name: str, sink: Sink, index: ModuleIndex) -> bool | None:
    """Whether a constructor call ``name(...)`` builds this sink's client: decided by the
    package it is imported from when that is a known SDK, else by the class name; None
    when it says nothing (a call of the project's own helper)."""
    head = name.split(".", 1)[0]
    imp = index.imports.get(head)
    if imp is not None:
        package = imp.module.split(".")[0]
        return (package in sink.packages) if package in _PACKAGES else None
    if name.rsplit(".", 1)[-1] in sink.clients:
        return True
    return None


def _construction(receiver: ast.expr | None, scope: Scope) -> set[str] | None:
    """The callees of the calls that build ``receiver`` (``client = Anthropic()``,
    ``self.client = client or Anthropic()``), when the receiver is a name or ``self.x``
    bound in code promptlint can see."""
    node = _binding(receiver, scope)
    if node is None:
        return None
    names = {dotted(n.func) for n in ast.walk(node) if isinstance(n, ast.Call)}
    names.discard(None)
    return names or None  # type: ignore[return-value]


def names_function(node: ast.expr, scope: Scope, pos: Pos | None = None) -> bool:
    """Whether the name ``node`` is, where it is used, a function defined in this module."""
    if not isinstance(node, ast.Name):
        return False
    current: Scope | None = scope
    while current is not None:
        events = [e for e in current.events.get(node.id, ()) if pos is None or current is not scope or e.pos < pos]
        if events:
            return events[-1].kind == "dynamic" and events[-1].detail.startswith(FUNCTION_DETAIL)
        if current.kind == "function" and node.id in current.params:
            return False
        current = current.parent
    return False


def binding_node(receiver: ast.expr | None, scope: Scope, pos: Pos | None = None) -> ast.expr | None:
    """The expression a name or ``self.attr`` was last given in the scopes that can see it;
    with ``pos``, the last binding before that point of the scope's code: a notebook's later
    cell (or a later line of the same cell) never gives the value a call sees."""
    return _binding(receiver, scope, pos)


def _binding(receiver: ast.expr | None, scope: Scope, pos: Pos | None = None) -> ast.expr | None:
    if isinstance(receiver, ast.Name):
        current: Scope | None = scope
        while current is not None:
            events = [e for e in current.events.get(receiver.id, ()) if e.kind == "assign" and isinstance(e.node, ast.expr)
                      and (pos is None or current is not scope or e.pos < pos)]
            if events:
                return events[-1].node  # type: ignore[return-value]
            if current.kind == "function" and receiver.id in current.params:
                return None
            current = current.parent
        return None
    if isinstance(receiver, ast.Attribute) and isinstance(receiver.value, ast.Name):
        func: Scope | None = scope
        while func is not None:  # the method whose ``self`` it is (a nested function sees it too)
            if func.kind == "function" and func.cls is not None and func.param_order:
                if receiver.value.id == func.param_order[0]:
                    events = func.cls.self_events.get(receiver.attr, ())
                    if events and isinstance(events[0].node, ast.expr):
                        return events[0].node  # type: ignore[return-value]
                return None
            func = func.parent
    return None


def _annotated(receiver: ast.expr | None, scope: Scope, sink: Sink) -> bool | None:
    """``def ask(client: Anthropic, ...)``: a parameter typed as the SDK's client (True), as
    a class of another name for a one-word method (False: ``report: Report`` has its own
    ``generate_content``), or neither (None)."""
    if not isinstance(receiver, ast.Name) or scope.kind != "function" or not isinstance(scope.node, ast.AST):
        return None
    args = getattr(scope.node, "args", None)
    if args is None:
        return None
    for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs):
        if arg.arg == receiver.id and arg.annotation is not None:
            text = ast.unparse(arg.annotation)
            if any(c in text for c in sink.clients):
                return True
            last = text.rsplit(".", 1)[-1]
            return False if sink.strict and last[:1].isupper() and last.isidentifier() and last not in ("Any", "Optional") else None
    return None


def text_slots(provider: str, api: str) -> tuple[str, ...]:
    """The text slots of a request made with ``provider``'s ``api`` (``messages.create``)."""
    if provider == "langchain":
        return ("messages", "input")
    names = tuple(p for p in api.split(".") if p != "beta")
    for sink in SINKS:
        n = len(sink.tail)
        if sink.provider == provider and len(names) >= n \
                and all(names[len(names) - n + i] in choices for i, choices in enumerate(sink.tail)):
            return sink.text
    return tuple(sorted(TEXT_SLOTS))


@lru_cache(maxsize=4)
def prefilter_markers(sinks: tuple[Sink, ...] = SINKS) -> tuple[tuple[tuple[bytes, ...], bytes], ...]:
    """What the byte prefilter looks for so that no file holding a call of these shapes is
    skipped: one (anchors, regex) marker per shape, where every match of the regex holds
    one of its lower-case literal anchors (so an anchor wakes only the regexes it is in).

    A method sink is its last two names (``messages . create (``, with a response wrapper
    between); a module function is its name called bare (``from litellm import
    completion`` and called where code calls, not in a sentence), on its package
    (``litellm.acompletion(``) or imported under another name (``from litellm import
    completion as llm_call``). A one-word method (``chat``, ``converse``,
    ``generate_content``) and a framework whose prompts are objects (``PromptBuilder``)
    need their package imported: the name alone is too common."""
    from promptlint.extract.frameworks import PACKAGES as DEFINING

    markers: list[tuple[tuple[bytes, ...], bytes]] = []
    imported: set[str] = set(DEFINING)
    wrap = b"(?:" + b"|".join(w.encode() + rb"\s*\.\s*" for w in sorted(WRAPPERS)) + b")?"

    def lower(names) -> tuple[bytes, ...]:
        return tuple(sorted({n.lower().encode() for n in names}))

    for sink in sinks:
        names = [b"(?:" + b"|".join(sorted(n.encode() for n in part)) + b")" for part in sink.tail]
        if sink.function:
            markers.append((lower(sink.tail[-1]),
                            rb"(?:^|[=(,\[:]|\bawait|\breturn|\byield)[ \t]*" + names[-1] + rb"\s*\("))
            for package in sink.packages:
                p = re.escape(package).encode()
                markers.append((lower([package]), rb"\b" + p + rb"\s*\.\s*" + names[-1] + rb"\s*\("))
                markers.append((lower([package]), rb"\bfrom[ \t]+" + p + rb"\b[^\n]*?\bimport[ \t]+(?:\([^)]*?|[^\n(]*?)\b"
                                + names[-1] + rb"\b"))
        elif len(sink.tail) == 1:
            imported.update(sink.packages)
        else:
            markers.append((lower(sink.tail[-2]), names[-2] + rb"\s*\.\s*" + wrap + names[-1] + rb"\s*\("))
    called = _one_word_methods(sinks)
    for package in sorted(imported):
        if package not in called or package in DEFINING:
            markers.append(_import_marker(package))
    return tuple(dict.fromkeys((anchors, b"(?-i:" + pattern + b")") for anchors, pattern in markers))


def import_markers(sinks: tuple[Sink, ...] = SINKS) -> tuple[tuple[tuple[bytes, ...], tuple[tuple[bytes, ...], bytes]], ...]:
    """The imports of the packages whose one-word methods are sinks (``generate_content``,
    ``converse``), each with those names: a file holds such a call only if it imports the
    package *and* names one of them somewhere (``from google.cloud import storage`` or
    ``import boto3`` for S3 alone cannot), as (names in lower case, marker)."""
    from promptlint.extract.frameworks import PACKAGES as DEFINING

    return tuple((tuple(sorted(n.lower().encode() for n in names)), _import_marker(package))
                 for package, names in sorted(_one_word_methods(sinks).items()) if package not in DEFINING)


def _one_word_methods(sinks: tuple[Sink, ...]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for sink in sinks:
        if not sink.function and len(sink.tail) == 1:
            for package in sink.packages:
                found.setdefault(package, set()).update(sink.tail[0])
    return found


def _import_marker(package: str) -> tuple[tuple[bytes, ...], bytes]:
    return ((package.lower().encode(),),
            b"(?-i:" + rb"(?m:^)[ \t]*\"?(?:from|import)[ \t]+" + re.escape(package).encode() + rb"\b" + b")")
