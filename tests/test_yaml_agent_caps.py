"""A YAML agent config whose model block belongs to a framework with its own schema is capped
by that framework's fields, and a missing cap names the field its schema has. SWE-agent's
model config forbids unknown keys (so ``max_tokens`` cannot be set there), sends
``max_output_tokens`` to Anthropic models only, and passes ``completion_kwargs`` to LiteLLM."""

from __future__ import annotations

from conftest import run_analysis

CHOOSER = '''\
agent:
  type: retry
  chooser:
    system_template: |
      You are an expert reviewer. Several candidate patches for one bug report follow.
      Compare them carefully and answer with the index of the patch that fixes the bug.
    instance_template: |
      Bug report:
      {{{{problem_statement}}}}
    model:
      name: {model}
      per_instance_cost_limit: 10
      temperature: 1.0
{extra}
'''


def _config(model: str, extra: str = "") -> str:
    return CHOOSER.format(model=model, extra=extra)


def _check(project, files):
    """The one request of ``files`` and the missing-cap messages on it (the project folder
    keeps the files of earlier calls in the same test)."""
    analysis = run_analysis(project(files))
    (request,) = [r for r in analysis.project.requests if r.span.path in files]
    capless = [f.finding.message for f in analysis.findings
               if f.finding.code == "PL301" and f.finding.span.path in files]
    return request, capless


def test_an_uncapped_model_block_is_told_the_field_its_framework_reads(project):
    request, capless = _check(project, {"config/heavy.yaml": _config("o1", "      completion_kwargs:\n"
                                                                           "        reasoning_effort: high")})
    assert request.model == "o1" and request.max_tokens is None
    (message,) = capless
    assert message.endswith("set completion_kwargs.max_tokens")
    _, capless = _check(project, {"config/claude.yaml": _config("claude-sonnet-4-5")})
    assert capless[0].endswith("set max_output_tokens")


def test_the_frameworks_own_cap_field_caps_the_request(project):
    request, capless = _check(project, {"config/a.yaml": _config("o1", "      completion_kwargs:\n"
                                                                       "        max_tokens: 2000")})
    assert (request.max_tokens, capless) == (2000, [])
    request, capless = _check(project, {"config/b.yaml": _config("claude-sonnet-4-5", "      max_output_tokens: 4000")})
    assert (request.max_tokens, capless) == (4000, [])


def test_a_field_the_framework_does_not_send_for_that_model_is_no_cap(project):
    # look-alike: SWE-agent passes max_output_tokens to Anthropic models only; o1 stays uncapped
    request, capless = _check(project, {"config/c.yaml": _config("o1", "      max_output_tokens: 4000")})
    assert request.max_tokens is None and len(capless) == 1


def test_a_model_block_of_no_known_framework_keeps_the_generic_reading(project):
    plain = ("summarize:\n  system: You summarise support tickets in three short bullet points for the on-call engineer.\n"
             "  model:\n    name: gpt-4o\n")
    request, capless = _check(project, {"prompts/summarize.yaml": plain})
    assert capless and capless[0].endswith("set max_tokens")
    request, capless = _check(project, {"prompts/capped.yaml": plain + "    max_tokens: 300\n"})
    assert (request.max_tokens, capless) == (300, [])
