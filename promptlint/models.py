"""What promptlint knows about a model besides its price: limits, tier, tokenizer family.

Facts live in ``data/models.toml``, each value with its source and the date it was read;
model ids written in code (``claude-sonnet-4-5-20250929``, ``anthropic/claude-3-5-haiku``,
``us.anthropic.claude-opus-4-1-v1:0``) are matched to a canonical id first through the
facts file, then through genai-prices' own matching rules.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from promptlint.lazyre import lazy

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

# Used when a model has no sourced value; chosen so estimates err towards reporting.
DEFAULT_MIN_CACHEABLE = 1024
DEFAULT_MAX_OUTPUT = 32_000
# An agent framework's router in front of a LiteLLM-style id (the OpenAI Agents SDK's
# ``litellm/openai/gpt-4o-mini``, ``any-llm/openrouter/openai/gpt-5.4-mini``).
_ROUTER_PREFIX = lazy(r"^(?:litellm|any-llm)/(?=[\w.-]+/)")
_PROVIDER_PREFIX = lazy(r"^(?:anthropic|openai|azure|bedrock|vertex_ai|litellm_proxy|openrouter/[\w-]+)/")
# ``"openai:gpt-4.1"``: the provider-qualified ids of LangChain's ``init_chat_model`` and pydantic-ai
_PROVIDER_QUALIFIER = lazy(
    r"^(?:anthropic|openai|azure_openai|azure|google_genai|google_vertexai|google-gla|google-vertex|"
    r"bedrock|bedrock_converse|groq|mistralai|mistral|ollama|fireworks|together|deepseek|xai|cohere):(?=[\w.-])")
_BEDROCK = lazy(r"^(?:[a-z]{2}\.)?anthropic\.(claude-[\w.-]+?)(?:-v\d+(?::\d+)?)?$")
_DATE_SUFFIX = lazy(r"(?:-\d{8}|-\d{4}-\d{2}-\d{2}|@\d{8})$")
# The two vendors whose models the facts file describes; genai-prices is asked about them first.
_FIRST = ("anthropic", "openai")
# A routing prefix (LiteLLM's, or a canonical id's) naming a genai-prices provider.
_ROUTES = {"gemini": "google", "google": "google", "vertex_ai": "google", "mistral": "mistral", "cohere": "cohere",
           "cohere_chat": "cohere", "groq": "groq", "together": "together", "together_ai": "together",
           "fireworks": "fireworks", "fireworks_ai": "fireworks", "cerebras": "cerebras", "deepseek": "deepseek",
           "xai": "x-ai", "x-ai": "x-ai", "zai": "zai", "zhipuai": "zhipuai", "moonshot": "moonshotai",
           "moonshotai": "moonshotai", "aws": "aws"}
# Prefixes of a model served on the user's own machine (LiteLLM's names): $0 per token.
_LOCAL_ROUTES = frozenset({"local", "ollama", "ollama_chat", "lm_studio", "hosted_vllm", "llamafile", "vllm"})
LOCAL = "local"  # the provider of a canonical ``local/<model>`` id
# Hosts of a server on the user's own machine (or its Docker host).
_LOCAL_HOSTS = frozenset({"localhost", "0.0.0.0", "::1", "host.docker.internal"})


def local_server(url: str | None) -> bool:
    """Whether ``url`` (a client's ``base_url``) names a server on the user's machine:
    ``http://localhost:11434/v1``, ``http://127.0.0.1:8000``, ``http://[::1]:1234``."""
    if not url or "://" not in url:
        return False
    from urllib.parse import urlsplit

    try:
        host = (urlsplit(url.strip()).hostname or "").lower()
    except ValueError:
        return False
    return host in _LOCAL_HOSTS or host.endswith(".localhost") or host.startswith("127.")


# API keys the documentation of self-hosted servers tells clients to send because the server
# checks none (LM Studio ``not-needed``/``lm-studio``, vLLM ``EMPTY``, Ollama ``ollama``,
# llama.cpp ``sk-no-key-required``): a vendor's API never takes them.
_NO_KEY = frozenset({"not-needed", "not_needed", "notneeded", "no-key", "no_key", "nokey", "none", "empty",
                     "ollama", "lm-studio", "lmstudio", "lm_studio", "vllm", "llama.cpp", "llamacpp",
                     "sk-no-key-required", "no-key-required"})


def keyless(api_key: str | None) -> bool:
    """Whether a client's literal ``api_key`` says its server checks no key (self-hosted)."""
    return bool(api_key) and api_key.strip().lower() in _NO_KEY


# Vendors whose own API serves their models, searched for an id with no prefix (``gemini-2.5-flash``).
_VENDORS = ("google", "mistral", "cohere", "deepseek", "x-ai", "zai", "zhipuai", "moonshotai", "minimax")
# The genai-prices providers a request made with an SDK (sinks.py's provider) is priced on.
SDK_PRICES = {"google": ("google",), "mistral": ("mistral",), "cohere": ("cohere",), "groq": ("groq",),
              "together": ("together",), "fireworks": ("fireworks",), "cerebras": ("cerebras",),
              "zhipu": ("zai", "zhipuai"), "bedrock": ("aws",)}
LOCAL_SDKS = frozenset({"ollama"})  # SDKs of a server on the user's machine
# What a request of a vendor's SDK whose model cannot be read is priced as, rather than
# ``default-model`` (another vendor's): a general-purpose mid model of that vendor, chosen
# here, and PL403 names it in its message.
# An agent framework runs on its own vendor's models when it names none (the OpenAI Agents
# SDK's default model is OpenAI's; the Claude Agent SDK's is Anthropic's; CrewAI, Agno,
# AutoGen, Semantic Kernel and LlamaIndex default to OpenAI's, Google ADK to Gemini).
SDK_VENDOR = {"openai-agents": "openai", "claude-agent-sdk": "anthropic", "crewai": "openai", "agno": "openai",
              "autogen": "openai", "semantic-kernel-agent": "openai", "llama-index-agent": "openai",
              "google-adk": "google"}
SDK_FALLBACK = {"google": "google/gemini-2.5-flash", "mistral": "mistral/mistral-medium-latest",
                "cohere": "cohere/command-a", "zhipu": "zai/glm-4.6",
                "groq": "groq/llama-3.3-70b-versatile", "together": "together/meta-llama/Llama-3.3-70B-Instruct-Turbo",
                "cerebras": "cerebras/llama-3.3-70b"}
# The vendor an unknown model id names by its family prefix (a retired ``claude-instant-1.2``
# called through the legacy completions API is still Anthropic's): it decides the fallback
# price, never the shape of the call that sends it.
_NAMED_VENDORS = (("claude", "anthropic"), ("gpt-", "openai"), ("chatgpt", "openai"), ("text-davinci", "openai"),
                  ("davinci", "openai"), ("o1", "openai"), ("o3", "openai"), ("o4", "openai"))
OTHER_FAMILY = "other"  # counted as an estimate (the legacy BPE scaled), never exact
_MATCHING = "2"  # the version of the matching rules, part of every memoised answer's key


@dataclass(frozen=True)
class ModelFacts:
    id: str
    provider: str
    tokenizer: str  # a counter family (tokens/offline.py) or a calibration.toml family; defaulted by _load_facts
    tier: str = "mid"
    current: bool = True
    max_output_tokens: int | None = None
    min_cacheable_tokens: int | None = None
    tool_use_system_tokens: int | None = None
    cache_read_multiplier: float | None = None  # where not 0.1x base input
    cache_write_multiplier: float | None = None  # OpenAI GPT-5.6 and later
    cache_breakpoints: str | None = None  # "cache_control" | "prompt_cache_breakpoint"; None: automatic only
    prompt_caching: bool = True  # False: the vendor never offered caching for it (not "minimum unknown")
    max_cache_breakpoints: int | None = None
    prompt_tier: dict | None = None  # {above, input, output}: the whole request repriced past `above`
    source: dict[str, str] = field(default_factory=dict)
    note: str = ""


@dataclass(frozen=True)
class Successor:
    model: str
    source: str


@lru_cache(maxsize=1)
def _models_toml() -> dict:
    """``data/models.toml``, parsed (kept parsed between runs: :mod:`promptlint.parsed`)."""
    from promptlint.parsed import parsed

    data = Path(__file__).with_name("data") / "models.toml"  # not importlib.resources: 10 ms of imports
    return parsed(data.read_text(encoding="utf-8"),
                  tomllib.loads, "models-toml")


@lru_cache(maxsize=1)
def successors() -> dict[str, Successor]:
    """The ``[successors]`` table of ``data/models.toml``: a model's next release of the same line."""
    raw = _models_toml()
    return {k: Successor(str(v["model"]), str(v["source"])) for k, v in raw.get("successors", {}).items()}


@dataclass(frozen=True)
class Retired:
    model: str
    retired: str  # the date requests to it began to fail
    source: str
    replacement: str | None = None  # the vendor's documented replacement, when a source gives it


@lru_cache(maxsize=1)
def retired_ids() -> dict[str, Retired]:
    """The ``[retired]`` table of ``data/models.toml``: retired ids no price list carries."""
    return {k: Retired(k, str(v["retired"]), str(v["source"]), v.get("replacement"))
            for k, v in _models_toml().get("retired", {}).items()}


@lru_cache(maxsize=1)
def _load_facts() -> tuple[dict[str, ModelFacts], dict[str, dict]]:
    raw = _models_toml()
    facts: dict[str, ModelFacts] = {}
    known = {f for f in ModelFacts.__dataclass_fields__}
    for model_id, table in raw.get("models", {}).items():
        values = {k: val for k, val in table.items() if k in known and k != "id"}
        # the tokenizer, when an entry leaves it out: OpenAI's, or the one newer Claude models share
        values.setdefault("tokenizer", "openai-o200k" if values.get("provider") == "openai" else "claude-4-8")
        if values.get("provider") == "anthropic":  # every Claude model caches by cache_control, 4 at most
            values.setdefault("cache_breakpoints", "cache_control")
            values.setdefault("max_cache_breakpoints", 4)
        facts[model_id] = ModelFacts(id=model_id, **values)
    return facts, raw.get("sources", {})


def normalize_model_ref(model: str) -> str:
    """Strip routing prefixes so the id can be matched: provider/, bedrock ARNs, regions."""
    ref = _ROUTER_PREFIX.sub("", model.strip().lower())
    ref = _PROVIDER_PREFIX.sub("", ref)
    ref = _PROVIDER_QUALIFIER.sub("", ref)
    bedrock = _BEDROCK.match(ref)
    if bedrock:
        ref = bedrock.group(1)
    return ref


class ModelCatalog:
    """Answers which model an id means and what is known about it."""

    def __init__(self, price_overrides: dict | None = None, memo: dict | None = None,
                 deployments: dict[str, str] | None = None) -> None:
        self.facts_by_id, _ = _load_facts()
        self.deployments = dict(deployments or {})  # Azure deployment name -> model id (config ``deployments``)
        self.price_overrides = {k.lower(): k for k in (price_overrides or {})}
        self._cache: dict[str, str | None] = {}
        # genai-prices' answers for ids the facts file does not know, kept between runs by
        # the scan cache so a warm run need not import genai-prices at all
        self._genai_memo = memo if memo is not None else {}

    def canonical(self, model: str | None) -> str | None:
        """The facts/genai-prices id for ``model``, or None when nothing knows it."""
        if not model:
            return None
        if model in self._cache:
            return self._cache[model]
        ref = normalize_model_ref(model)
        found: str | None = None
        if ref in self.facts_by_id:
            found = ref
        else:
            undated = _DATE_SUFFIX.sub("", ref)
            if undated in self.facts_by_id:
                found = undated
            else:
                key = f"{_MATCHING}|{ref}"
                if key not in self._genai_memo:
                    self._genai_memo[key] = _genai_model_id(ref)
                found = self._genai_memo[key]
        self._cache[model] = found
        return found

    def facts(self, model: str | None) -> ModelFacts | None:
        canonical = self.canonical(model)
        return self.facts_by_id.get(canonical) if canonical else None

    def is_known(self, model: str) -> bool:
        return self.canonical(model) is not None or model.lower() in self.price_overrides

    def provider(self, model: str | None) -> str | None:
        facts = self.facts(model)
        if facts is not None:
            return facts.provider
        canonical = self.canonical(model)
        if canonical is not None and "/" in canonical:
            return canonical.split("/", 1)[0]  # google/gemini-2.5-flash, local/llama3
        ref = normalize_model_ref(model or "")
        if ref.startswith("claude"):
            return "anthropic"
        if ref.startswith(("gpt", "o1", "o3", "o4", "chatgpt", "text-", "davinci")):
            return "openai"
        return None

    def family(self, model: str | None) -> str:
        """The tokenizer family ``model`` is counted with: its own when promptlint has it,
        else an estimate (another vendor's model is never counted as exact)."""
        facts = self.facts(model)
        if facts is not None:
            return facts.tokenizer
        provider = self.provider(model)
        if provider == "openai":
            return "openai-o200k"
        return "claude-4-8" if provider in ("anthropic", None) else OTHER_FAMILY

    def is_local(self, model: str | None) -> bool:
        """A model served on the user's machine (Ollama, LM Studio, vLLM): $0 per token."""
        return self.provider(model) == LOCAL

    def runs(self, request) -> str | None:
        """The model id a request runs: its own, or for an Azure deployment name the model
        ``deployments`` maps it to (None when unmapped: a deployment name is not a model id)."""
        if request.deployment:
            return self.deployments.get(request.model or "")
        return request.model

    def deployed(self, request) -> str | None:
        """The model an Azure deployment is priced as: the one ``deployments`` maps it to,
        else the model its name spells (``gpt-4o-mini``, the name Azure suggests for a
        deployment of it: an assumption, said in the report); None when neither is known."""
        model = self.runs(request) or request.model
        return model if model and self.is_known(model) else None

    def qualified(self, provider: str, model: str | None) -> str | None:
        """``model`` as the SDK ``provider`` it is called through serves it, when genai-prices
        knows it there (``groq/llama-3.3-70b-versatile``), or as a local model for a server
        on the user's machine; None when the model id alone decides (a Claude or OpenAI id
        in the facts file, a routed ``gemini/..`` id) or nothing knows it."""
        if not model:
            return None
        ref = normalize_model_ref(model)
        if ref in self.facts_by_id or _DATE_SUFFIX.sub("", ref) in self.facts_by_id:
            return None
        head = ref.split("/", 1)[0]
        if head in _ROUTES or head in _LOCAL_ROUTES:
            return None
        if provider in LOCAL_SDKS:
            return f"{LOCAL}/{model}"
        route = SDK_PRICES.get(provider)
        if route is None:
            return None
        for name in route:
            found = self.canonical(f"{name}/{model}")
            if found is not None:
                return found
        return None

    def min_cacheable(self, model: str | None) -> tuple[int, bool]:
        """Minimum cacheable prefix and whether it is a sourced value (not the default)."""
        facts = self.facts(model)
        if facts is not None and facts.min_cacheable_tokens is not None:
            return facts.min_cacheable_tokens, True
        return DEFAULT_MIN_CACHEABLE, False

    def caches(self, model: str | None) -> bool:
        """Whether ``model`` can cache a prompt at all: False only where the facts say the
        vendor never offered it (Claude 3 Sonnet, GPT-4); an unknown minimum still caches."""
        facts = self.facts(model)
        return facts is None or facts.prompt_caching

    def tool_use_system(self, model: str | None) -> tuple[int, str | None]:
        """Tokens the API adds to a request with tools on ``model``, and the model the figure
        was taken from when ``model`` has none of its own (None: its own, or no figure).

        A missing figure is never 0: the nearest earlier release of the line that has one
        (Sonnet 5.5 takes Sonnet 5's), else the largest of the vendor's models counted with
        the same tokenizer, else the largest of the vendor's. Only Anthropic publishes it."""
        facts = self.facts(model)
        if facts is None or facts.provider != "anthropic":
            return 0, None
        if facts.tool_use_system_tokens:
            return facts.tool_use_system_tokens, None
        return _assumed_tool_use(facts.id)

    def max_output(self, model: str | None) -> tuple[int, bool]:
        facts = self.facts(model)
        if facts is not None and facts.max_output_tokens is not None:
            return facts.max_output_tokens, True
        return DEFAULT_MAX_OUTPUT, False

    def cache_breakpoints(self, model: str | None) -> tuple[str | None, int]:
        """How a request marks a prefix to cache on ``model`` (``cache_control`` on Claude,
        ``prompt_cache_breakpoint`` on OpenAI GPT-5.6 and later, None where caching is
        automatic only or unknown) and how many marks one request may carry."""
        facts = self.facts(model)
        if facts is None or facts.cache_breakpoints is None:
            return None, 0
        return facts.cache_breakpoints, facts.max_cache_breakpoints or 4

    def known_ids(self) -> list[str]:
        ids = set(self.facts_by_id)
        ids.update(_genai_ids())
        return sorted(ids)

    def closest(self, model: str) -> str | None:
        """The known id ``model`` most likely misspells, or None. Only an id of the same family
        is a guess worth making: its words pair up one to one, each spelt nearly the same
        (``claude-sonet-4-5`` -> ``claude-sonnet-4-5``), so a retired ``claude-instant-1.2`` is
        never offered ``claude-sonnet-5``."""
        import difflib

        ref = normalize_model_ref(model)
        words = _words(ref)
        ids = [i for i in self.known_ids() if _same_words(words, _words(i))]
        matches = difflib.get_close_matches(ref, ids, n=1, cutoff=0.6)
        return matches[0] if matches else None

    def retired(self, model: str | None) -> Retired | None:
        """What the facts say of a retired id no price list knows (``claude-instant-1.2``)."""
        if not model:
            return None
        ref = normalize_model_ref(model)
        table = retired_ids()
        return table.get(ref) or table.get(_DATE_SUFFIX.sub("", ref))

    def named_vendor(self, model: str | None) -> str | None:
        """The vendor an unknown model id names by its family prefix (``claude-instant-1.2``:
        Anthropic), else None."""
        if not model:
            return None
        ref = normalize_model_ref(model)
        return next((vendor for prefix, vendor in _NAMED_VENDORS
                     if ref.startswith(prefix) and (len(prefix) > 2 or ref[len(prefix):len(prefix) + 1] in ("", "-"))),
                    None)

    def fallback(self, provider: str, default_model: str) -> str:
        """What a request of ``provider`` with no known model is priced as: ``default_model``
        when it is that vendor's (or the vendor is not known), else the vendor's newest
        current mid-tier model; a local server's request is a local model ($0)."""
        if provider in LOCAL_SDKS:
            return f"{LOCAL}/{provider}"
        provider = SDK_VENDOR.get(provider, provider)
        if provider in SDK_FALLBACK and self.provider(default_model) in ("anthropic", "openai", None):
            return SDK_FALLBACK[provider]
        if provider not in ("anthropic", "openai") or self.provider(default_model) in (provider, None):
            return default_model
        candidates = [f for f in self.facts_by_id.values() if f.provider == provider and f.tier == "mid" and f.current]
        return sorted(candidates, key=lambda f: _version_key(f.id))[-1].id if candidates else default_model

    def successor(self, model: str | None) -> Successor | None:
        """The next release of the model's line, with its source (PL405)."""
        canonical = self.canonical(model)
        return successors().get(canonical) if canonical else None

    def cheaper_current(self, model: str, tier: str = "small") -> str | None:
        """The newest current model of the same provider in ``tier`` (for PL401's suggestion)."""
        facts = self.facts(model)
        if facts is None:
            return None
        candidates = [f for f in self.facts_by_id.values()
                      if f.provider == facts.provider and f.tier == tier and f.current and f.id != facts.id]
        if not candidates:
            return None
        return sorted(candidates, key=lambda f: _version_key(f.id))[-1].id


def _words(model_id: str) -> list[str]:
    return re.findall(r"[a-z]{2,}", model_id)


def _same_words(ours: list[str], theirs: list[str]) -> bool:
    """Both ids name the same family: as many words, each nearly the same spelling."""
    import difflib

    return len(ours) == len(theirs) and all(
        a == b or difflib.SequenceMatcher(None, a, b).ratio() >= 0.8 for a, b in zip(ours, theirs))


@lru_cache(maxsize=64)
def _assumed_tool_use(model_id: str) -> tuple[int, str | None]:
    """The stand-in figure of :meth:`ModelCatalog.tool_use_system` for a model with none."""
    facts, _ = _load_facts()
    before = {v.model: k for k, v in successors().items()}
    current = model_id
    for _ in range(len(before)):
        current = before.get(current)
        if current is None:
            break
        known = facts.get(current)
        if known is not None and known.tool_use_system_tokens:
            return known.tool_use_system_tokens, current
    own = facts[model_id]
    for same_tokenizer in (True, False):
        known = [f for f in facts.values() if f.provider == own.provider and f.tool_use_system_tokens
                 and (f.tokenizer == own.tokenizer or not same_tokenizer)]
        if known:
            top = max(known, key=lambda f: (f.tool_use_system_tokens, f.id))
            return top.tool_use_system_tokens, top.id
    return 0, None


def _version_key(model_id: str) -> tuple:
    return tuple(int(n) for n in re.findall(r"\d+", model_id)[:3])


@lru_cache(maxsize=1)
def _genai_ids() -> tuple[str, ...]:
    from genai_prices import data_snapshot

    return tuple(m.id for p in data_snapshot.get_snapshot().providers if p.id in ("anthropic", "openai") for m in p.models)


@lru_cache(maxsize=512)
def _genai_model_id(ref: str) -> str | None:
    """The canonical id of ``ref``: genai-prices' own id for a Claude or OpenAI model
    (``gpt-4o``), ``provider/id`` for another vendor's (``google/gemini-2.5-flash``), found
    under the provider a routing prefix names (``groq/..``, LiteLLM's ``gemini/..``) or
    else among the vendors' own APIs (never a reseller's list); ``local/<model>`` for a
    model a local server runs (LiteLLM's ``ollama/..``)."""
    head, _, rest = ref.partition("/")
    if rest and head in _LOCAL_ROUTES:
        return f"{LOCAL}/{rest}"
    if rest and head in _ROUTES:
        return _find(rest, (_ROUTES[head],))
    return _find(ref, (*_FIRST, *_VENDORS))


def _find(ref: str, providers: tuple[str, ...]) -> str | None:
    from genai_prices import data_snapshot

    snapshot = data_snapshot.get_snapshot()
    for provider_id in providers:
        try:
            provider, model = snapshot.find_provider_model(ref, None, provider_id, None)
        except LookupError:
            continue
        if provider.id == provider_id:
            return model.id if provider_id in _FIRST else f"{provider_id}/{model.id}"
    return None


def genai_provider(model_id: str) -> tuple[str | None, str]:
    """The genai-prices provider of a canonical id and the id genai-prices knows it by."""
    head, _, rest = model_id.partition("/")
    if rest and head in _ROUTES.values():
        return head, rest
    from genai_prices import data_snapshot

    for provider in data_snapshot.get_snapshot().providers:
        if provider.id in _FIRST and any(m.id == model_id for m in provider.models):
            return provider.id, model_id
    return None, model_id
