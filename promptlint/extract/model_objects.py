"""Model objects an agent framework is given instead of a model id.

``Agent(model=OpenAIChatCompletionsModel(model="gpt-oss:20b", openai_client=AsyncOpenAI(base_url=...)))``
(OpenAI Agents SDK) or ``Agent(OpenAIChatModel("gpt-4o", provider=OpenAIProvider(base_url=...)))``
(pydantic-ai): the request runs the model id inside the object, on the server its client
names. One entry per class says where the id and the server are. An object of a class
named like a test double (``FakeModel()``, ``ScriptedModel(...)``, pydantic-ai's
``TestModel``) answers from a script and bills nothing: the agent is no request. Any other
model object (a project's own ``Model`` subclass) is a model promptlint cannot read, and
its output cap may be set inside it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class ModelObject:
    """Where a model class keeps the id and the server (and the output cap)."""

    model: str  # the keyword holding the model id (``"id|model"``: either, as classes of one name differ by framework)
    position: int | None = 0  # its position when passed positionally
    clients: tuple[str, ...] = ()  # keywords holding a client or provider built with ``base_url=``
    urls: tuple[str, ...] = ()  # keywords naming the server directly
    caps: tuple[str, ...] = ()  # keywords holding the output cap (the agent's own cap parameter then)

    @property
    def model_keywords(self) -> tuple[str, ...]:
        return tuple(self.model.split("|"))


_AGENTS_SDK = ModelObject("model", 0, clients=("openai_client",))
_PYDANTIC_AI = ModelObject("model_name", 0, clients=("provider",))
_AGNO = ModelObject("id|model", None, urls=("base_url", "api_base"), caps=("max_tokens", "max_completion_tokens"))

MODEL_OBJECTS: dict[str, ModelObject] = {
    # OpenAI Agents SDK
    "OpenAIChatCompletionsModel": _AGENTS_SDK,
    "OpenAIResponsesModel": _AGENTS_SDK,
    "OpenAIResponsesWSModel": _AGENTS_SDK,
    "LitellmModel": ModelObject("model", 0, urls=("base_url",)),
    "AnyLLMModel": ModelObject("model", 0, urls=("base_url", "api_base")),
    # pydantic-ai
    "OpenAIModel": _PYDANTIC_AI,
    "OpenAIChatModel": _PYDANTIC_AI,
    "AnthropicModel": _PYDANTIC_AI,
    "GroqModel": _PYDANTIC_AI,
    "MistralModel": _PYDANTIC_AI,
    "GeminiModel": _PYDANTIC_AI,
    "GoogleModel": _PYDANTIC_AI,
    # CrewAI: ``Agent(llm=LLM(model="gpt-4o", max_tokens=800))``
    "LLM": ModelObject("model", 0, urls=("base_url", "api_base"), caps=("max_tokens", "max_completion_tokens")),
    # LlamaIndex: ``FunctionAgent(llm=OpenAI(model="gpt-4o", max_tokens=500))``, ``Anthropic(model=)``
    **{name: ModelObject("model", None, urls=("api_base", "base_url"), caps=("max_tokens",))
       for name in ("OpenAI", "Anthropic", "Ollama", "MistralAI", "Bedrock", "BedrockConverse")},
    # AutoGen: ``model_client=OpenAIChatCompletionClient(model="gpt-4o", max_tokens=)``
    **{name: ModelObject("model", None, urls=("base_url",), caps=("max_tokens",))
       for name in ("OpenAIChatCompletionClient", "AzureOpenAIChatCompletionClient", "AnthropicChatCompletionClient",
                    "OllamaChatCompletionClient")},
    # LangChain chat models given to a LangGraph agent: ``create_react_agent(ChatOpenAI(model=, max_tokens=), ...)``
    **{name: ModelObject("model|model_name", None, urls=("base_url",), caps=("max_tokens", "max_completion_tokens"))
       for name in ("ChatOpenAI", "ChatAnthropic", "AzureChatOpenAI", "ChatGroq", "ChatMistralAI", "ChatOllama",
                    "ChatGoogleGenerativeAI", "ChatBedrock", "ChatBedrockConverse", "ChatLiteLLM")},
    # Semantic Kernel: ``service=OpenAIChatCompletion(ai_model_id="gpt-4o")``
    "OpenAIChatCompletion": ModelObject("ai_model_id", None),
    "AzureChatCompletion": ModelObject("deployment_name", None),
    # smolagents: ``model=LiteLLMModel(model_id="gpt-4o")``
    **{name: ModelObject("model_id", 0, urls=("api_base",), caps=("max_tokens",))
       for name in ("LiteLLMModel", "OpenAIServerModel", "InferenceClientModel", "HfApiModel", "AzureOpenAIServerModel")},
    # Agno: ``Agent(model=OpenAIChat(id="gpt-4o", max_tokens=600))``
    # (``Groq`` and ``AzureOpenAI`` of LlamaIndex take ``model=``, Agno's ``id=``)
    **{name: _AGNO for name in ("OpenAIChat", "OpenAIResponses", "Claude", "Gemini", "Groq", "AzureOpenAI",
                                "AwsBedrock", "MistralChat", "DeepSeek", "xAI", "OpenRouter", "LiteLLM")},
}

# Agent frameworks whose agent runs on a default model the program (or a test suite's
# fixtures) installs when the definition names none.
DEFAULT_MODEL_FRAMEWORKS = frozenset({"openai-agents", "pydantic-ai", "claude-agent-sdk"})

# How a test runs an agent, and the run settings that replace the agent's model for the
# run (OpenAI Agents SDK ``Runner.run(agent, ..., run_config=RunConfig(model_provider=...))``;
# pydantic-ai ``agent.run_sync(...)``, ``agent.override(model=...)``).
RUN_METHODS = frozenset({"run", "run_sync", "run_streamed", "run_stream", "iter", "query"})
RUN_OVERRIDES: dict[str, tuple[str, ...]] = {
    "RunConfig": ("model_provider", "model"),
    "override": ("model",),
    # a run given a config the test made up (``run_config=object()``, a fixture) runs on that
    **{method: ("run_config",) for method in ("run", "run_sync", "run_streamed")},
}

# The keyword of a run that carries settings for every agent of the run, by framework:
# ``Runner.run(agent, q, run_config=RunConfig(model_settings=ModelSettings(max_tokens=256)))``.
RUN_SETTINGS: dict[str, str] = {"openai-agents": "run_config"}

_TEST_DOUBLE = re.compile(r"Fake|Mock|Stub|Dummy|Scripted|Canned|Recorded|Replay|^(Test|Function)Model$")


def is_test_double(name: str) -> bool:
    """``FakeModel``, ``ScriptedModel``, ``MockLLM``, ``DummyClient``, pydantic-ai's
    ``TestModel``/``FunctionModel``: a stand-in a test gives the agent or its model."""
    return bool(_TEST_DOUBLE.search(name))
