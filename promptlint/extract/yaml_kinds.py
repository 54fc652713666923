"""Agent frameworks whose YAML config holds a model settings block: how each is recognised
and which of its fields cap the output.

A YAML request's cap is read from the keys the file uses. A framework with a schema of its
own names its cap differently, and may forbid the generic name: SWE-agent's model config
(``GenericAPIModelConfig``, pydantic with ``extra="forbid"``) has no ``max_tokens`` field;
it sends ``max_output_tokens`` as ``max_tokens`` to Anthropic models only (overwriting any
``completion_kwargs.max_tokens`` there), and passes ``completion_kwargs`` to LiteLLM as
they are. An entry here says which fields cap the output for which models, and which
field a missing-cap finding should tell the user to set.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelBlockKind:
    name: str  # the request's api: the framework the config is for
    required: frozenset[str]  # keys the model block always has
    marks: frozenset[str]  # keys of which one shows the framework (its own settings)
    # (model id prefixes or None for any model, cap key paths inside the block, the path to suggest)
    caps: tuple[tuple[tuple[str, ...] | None, tuple[str, ...], str], ...]

    def matches(self, keys: set[str]) -> bool:
        return self.required <= keys and bool(self.marks & keys)

    def cap_fields(self, model: str | None) -> tuple[tuple[str, ...], str]:
        """The key paths that cap the output for ``model`` and the one to suggest."""
        name = (model or "").lower()
        for prefixes, fields, suggest in self.caps:
            if prefixes is None or name.startswith(prefixes):
                return fields, suggest
        return (), ""


KINDS: tuple[ModelBlockKind, ...] = (
    ModelBlockKind(
        "swe-agent", frozenset({"name"}),
        frozenset({"per_instance_cost_limit", "total_cost_limit", "per_instance_call_limit", "completion_kwargs",
                   "convert_system_to_user", "choose_api_key_by_thread", "litellm_model_registry"}),
        caps=((("claude", "anthropic/"), ("max_output_tokens",), "max_output_tokens"),
              (None, ("completion_kwargs.max_tokens", "completion_kwargs.max_completion_tokens"),
               "completion_kwargs.max_tokens")),
    ),
)


def kind_for(keys: set[str]) -> ModelBlockKind | None:
    """The framework whose model block has these keys."""
    return next((k for k in KINDS if k.matches(keys)), None)


def kind_named(api: str) -> ModelBlockKind | None:
    return next((k for k in KINDS if k.name == api), None)
