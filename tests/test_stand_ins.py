"""Agents a test suite runs on what it made up are no requests; live ones stay (issue 13,
unseen repositories); loops that wait for the user's next message are not runaway agent
loops; a function whose return value is spliced into a request's arguments is not a wrapper."""

from __future__ import annotations

import textwrap

from conftest import run_analysis

_SUITE = '''
from typing import Any, cast

from unittest.mock import patch

import pytest
from openai import AsyncOpenAI

from agents import Agent, OpenAIResponsesModel, RunConfig, Runner
from .fakes import FakeModel


class _RecordingModel(FakeModel):
    pass


class _Provider:
    pass


class _Client:
    responses = None


def _build(events):
    client = _Client()
    return OpenAIResponsesModel(model="gpt-4.1", openai_client=cast(Any, client)), client


async def test_fixture_model(model):
    agent = Agent(name="fixture", instructions="Say hi.", model=model)
    await Runner.run(agent, "hi")


async def test_helper_model():
    model, client = _build([])
    agent = Agent(name="helper", instructions="Say hi.", model=model)
    await Runner.run(agent, "hi")


async def test_own_class():
    model = _RecordingModel()
    await Runner.run(Agent(name="own", instructions="Say hi.", model=model), "hi")


async def test_local_client():
    agent = Agent(name="client", instructions="Say hi.",
                  model=OpenAIResponsesModel(model="gpt-4.1", openai_client=cast(Any, object())))
    await Runner.run(agent, "hi")


async def test_provider_of_the_test():
    agent = Agent(name="provider", instructions="Say hi.", model="gpt-4.1")
    await Runner.run(agent, "hi", run_config=RunConfig(model_provider=_Provider()))


def test_inspected_only():
    agent = Agent(name="inspected", instructions="Say hi.", model="gpt-4.1")
    assert agent.clone(model="gpt-4.1-mini").model == "gpt-4.1-mini"


async def test_placeholder_id():
    await Runner.run(Agent(name="placeholder", instructions="Say hi.", model="test-model"), "hi")


def _agent(model: FakeModel):
    return Agent(name="helper-param", instructions="Say hi.", model=model)


async def test_live_id():
    agent = Agent(name="live-id", instructions="Answer in one word.", model="gpt-4.1")
    await Runner.run(agent, "hi")


async def test_live_client():
    agent = Agent(name="live-client", instructions="Answer in one word.",
                  model=OpenAIResponsesModel(model="gpt-4.1-mini", openai_client=AsyncOpenAI()))
    await Runner.run(agent, "hi")


async def test_run_patched(monkeypatch):
    agent = Agent(name="patched", instructions="Be concise.", model="gpt-4.1")

    async def fake_run(starting_agent, input, **kwargs):
        return None

    monkeypatch.setattr(Runner, "run", fake_run)
    await Runner.run(agent, "hi")


@patch("agents.Runner.run_streamed")
async def test_run_patched_by_decorator(fake):
    Runner.run_streamed(Agent(name="decorated", instructions="Be concise.", model="gpt-4.1"), "hi")


async def test_other_method_patched(monkeypatch):
    monkeypatch.setattr(Runner, "_trace", lambda *a: None)
    agent = Agent(name="live-patched-other", instructions="Answer in one word.", model="gpt-4.1")
    await Runner.run(agent, "hi")


async def test_run_config_of_the_test():
    agent = Agent(name="made-config", instructions="Be concise.", model="gpt-4.1")
    Runner.run_streamed(agent, "hi", run_config=object())


async def test_live_run_config():
    agent = Agent(name="live-config", instructions="Answer in one word.", model="gpt-4.1")
    await Runner.run(agent, "hi", run_config=RunConfig(workflow_name="nightly"))


async def test_live_fixture_id(integration_model: str):
    agent = Agent(name="live-fixture", instructions="Answer in one word.", model=integration_model)
    await Runner.run(agent, "hi")
'''


def _agents(tmp_path, files: dict[str, str]) -> dict[str, object]:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    analysis = run_analysis(tmp_path)
    return {r.id.split("::")[1]: r for r in analysis.project.requests}, analysis


def test_an_agent_a_test_runs_on_what_it_made_up_is_no_request_and_a_live_one_stays(tmp_path):
    found, analysis = _agents(tmp_path, {"tests/__init__.py": "", "tests/fakes.py": "class FakeModel:\n    pass\n",
                                         "tests/test_agents.py": _SUITE})
    assert set(found) == {"test_live_id", "test_live_client", "test_live_fixture_id", "test_other_method_patched",
                          "test_live_run_config"}
    capless = {f.finding.request for f in analysis.findings if f.finding.code == "PL301"}
    assert {r.id for r in found.values()} <= capless  # live agents with no cap are still reported


def test_the_same_shapes_outside_a_test_suite_stay_requests(tmp_path):
    app = _SUITE.replace("from .fakes import FakeModel", "class FakeModel:\n    pass")
    found, _ = _agents(tmp_path, {"app/agents_app.py": app})
    # outside a test suite the same code is the project's own: every agent is a request
    assert set(found) == {"test_fixture_model", "test_helper_model", "test_own_class", "test_local_client",
                          "test_provider_of_the_test", "test_inspected_only", "test_placeholder_id", "_agent",
                          "test_live_id", "test_live_client", "test_live_fixture_id", "test_run_patched",
                          "test_run_patched_by_decorator", "test_other_method_patched", "test_run_config_of_the_test",
                          "test_live_run_config"}


def test_a_conversation_loop_that_waits_for_the_next_message_is_not_a_runaway_agent_loop(tmp_path):
    source = textwrap.dedent('''
        from agents import Agent, Runner
        from temporalio import workflow


        @workflow.defn
        class Chat:
            def __init__(self):
                self._pending = []
                self._done = False

            @workflow.run
            async def run(self):
                while not self._done:
                    await workflow.wait_condition(lambda: len(self._pending) > 0 or self._done)
                    messages = list(self._pending)
                    self._pending.clear()
                    await Runner.run(self._agent(), messages, max_turns=5)

            def _agent(self):
                return Agent(name="chat", instructions="You help with the workspace.", model="gpt-4.1")


        class Inbox:
            def __init__(self, queue):
                self._queue = queue

            async def serve(self):
                while True:
                    message = await self._queue.get()
                    await Runner.run(Agent(name="inbox", instructions="Reply to the message.", model="gpt-4.1"),
                                     message, max_turns=5)


        async def runaway(state):
            while not state.get("finished"):
                result = await Runner.run(Agent(name="loop", instructions="Do the next step.", model="gpt-4.1"),
                                          state["task"], max_turns=5)
                state["finished"] = "DONE" in result.final_output
    ''')
    (tmp_path / "workflow.py").write_text(source)
    analysis = run_analysis(tmp_path, select=("PL303",))
    lines = sorted(f.finding.span.line for f in analysis.findings if f.finding.code == "PL303")
    runaway = next(i for i, line in enumerate(source.splitlines(), 1) if 'name="loop"' in line)
    assert lines == [runaway]  # only the loop the model ends; the workflow and the inbox wait for the user


def test_a_function_whose_result_builds_a_requests_arguments_is_not_a_wrapper(tmp_path):
    (tmp_path / "model.py").write_text(textwrap.dedent('''
        from openai import AsyncOpenAI


        class Model:
            def __init__(self):
                self.client = AsyncOpenAI()

            async def fetch(self, system, items):
                kwargs = self._build(system, items)
                return await self.client.responses.create(**kwargs)

            def _build(self, system, items):
                return {"model": "gpt-4.1", "instructions": system, "input": self._strip(items)}

            def _strip(self, items):
                kept = []
                for item in items:
                    cleaned = self._clean(item)
                    if cleaned is not None:
                        kept.append(cleaned)
                return kept

            def _clean(self, item):
                item.pop("provider_data", None)
                return item


        def ask(question):
            return AsyncOpenAI().responses.create(model="gpt-4.1", input=question)


        def lookup():
            return ask("What is the capital of France? Answer in one word.")
    '''))
    analysis = run_analysis(tmp_path)
    functions = sorted(r.id.split("::", 1)[1] for r in analysis.project.requests)
    # the SDK call, the real wrapper ``ask`` and its caller; not ``_build`` or ``_clean``
    assert functions == ["Model.fetch::responses.create#1", "ask::responses.create#1", "lookup::ask#1"]


def test_a_tests_run_of_a_scripted_agent_is_no_unbounded_run_and_a_live_ones_is(tmp_path):
    found, analysis = _agents(tmp_path, {"tests/__init__.py": "", "tests/test_turns.py": '''
        from agents import Agent, Runner
        from .fakes import FakeModel


        async def test_no_cap_on_a_scripted_model():
            agent = Agent(name="scripted", instructions="Say hi.", model=FakeModel())
            await Runner.run(agent, "hi", max_turns=None)


        async def test_no_cap_live():
            agent = Agent(name="live", instructions="Say hi.", model="gpt-4.1")
            await Runner.run(agent, "hi", max_turns=None)
    '''})
    runs = [f.finding for f in analysis.findings if f.finding.code == "PL303"]
    assert len(runs) == 1 and runs[0].span.line == 13


def test_a_cap_passed_through_the_agents_extra_args_is_the_cap(tmp_path):
    (tmp_path / "app.py").write_text(textwrap.dedent('''
        from agents import Agent, ModelSettings

        capped = Agent(name="capped", instructions="Summarize the ticket.", model="gpt-4.1",
                       model_settings=ModelSettings(extra_args={"max_completion_tokens": 300}))
        uncapped = Agent(name="uncapped", instructions="Summarize the ticket.", model="gpt-4.1",
                         model_settings=ModelSettings(extra_args={"service_tier": "flex"}))
    '''))
    analysis = run_analysis(tmp_path)
    caps = {r.id.rsplit("#", 1)[-1]: r.max_tokens for r in analysis.project.requests}
    assert caps == {"1": 300, "2": None}
    assert len([f for f in analysis.findings if f.finding.code == "PL301"]) == 1


def test_the_run_settings_an_agent_is_run_with_in_its_function_cap_it(tmp_path):
    (tmp_path / "app.py").write_text(textwrap.dedent('''
        from agents import Agent, ModelSettings, RunConfig, Runner


        async def answer(question):
            agent = Agent(name="capped", instructions="Answer the support question.", model="gpt-4.1")
            config = RunConfig(model_settings=ModelSettings(max_tokens=256))
            return await Runner.run(agent, question, run_config=config)


        async def traced(question):
            agent = Agent(name="traced", instructions="Answer the support question.", model="gpt-4.1")
            return await Runner.run(agent, question, run_config=RunConfig(tracing_disabled=True))


        async def two_ways(question, short):
            agent = Agent(name="mixed", instructions="Answer the support question.", model="gpt-4.1")
            if short:
                return await Runner.run(agent, question, run_config=RunConfig(model_settings=ModelSettings(max_tokens=64)))
            return await Runner.run(agent, question)
    '''))
    analysis = run_analysis(tmp_path)
    caps = {r.function: r.max_tokens for r in analysis.project.requests}
    assert caps == {"answer": 256, "traced": None, "two_ways": None}  # a run without the settings is uncapped
    capless = {f.finding.request.split("::")[1] for f in analysis.findings if f.finding.code == "PL301"}
    assert capless == {"traced", "two_ways"}


def test_a_message_builder_gets_the_callers_arguments_and_is_no_request_of_its_own(tmp_path):
    (tmp_path / "vision.py").write_text(textwrap.dedent('''
        from openai import OpenAI


        def _messages(task, image):
            return [{"role": "user", "content": [{"type": "text", "text": task},
                                                 {"type": "image_url", "image_url": {"url": f"data:,{image}"}}]}]


        def describe(path, task="Describe this photo for a visually impaired reader, in three sentences."):
            image = open(path).read()
            return OpenAI().chat.completions.create(model="gpt-4.1", messages=_messages(task, image), max_tokens=300)
    '''))
    analysis = run_analysis(tmp_path)
    (request,) = analysis.project.requests
    assert request.id.endswith("describe::chat.completions.create#1")
    texts = [analysis.project.templates[p.template].display() for p in request.parts if p.template]
    assert any("visually impaired reader" in t for t in texts)  # the caller's default, not a hole
    assert not [f for f in analysis.findings if f.finding.code == "PL002"]


def test_top_level_code_calls_the_definition_above_it(tmp_path):
    (tmp_path / "grading.py").write_text(textwrap.dedent('''
        import anthropic

        client = anthropic.Anthropic()


        def ask(messages):
            return client.messages.create(model="claude-sonnet-4-5", max_tokens=5, messages=messages)


        def grade(output, golden):
            return output == golden


        print(grade("a", "b"))


        def rubric(answer, expected):
            return [{"role": "user", "content": f"Is <answer>{answer}</answer> the same as <expected>{expected}</expected>? Answer yes or no."}]


        def grade(output, golden):
            return ask(rubric(output, golden))


        print(grade("a", "b"))
    '''))
    analysis = run_analysis(tmp_path)
    calls = sorted(r.span.line for r in analysis.project.requests if r.id.split("::")[1] == "<module>")
    assert calls == [26]  # the first print calls the comparison defined above it: no request


def test_a_class_built_with_its_prompt_stays_a_wrapper(tmp_path):
    (tmp_path / "bot.py").write_text(textwrap.dedent('''
        import anthropic


        class Bot:
            def __init__(self, system):
                self.system = system
                self.client = anthropic.Anthropic()

            def reply(self, text):
                return self.client.messages.create(model="claude-sonnet-4-5", max_tokens=300, system=self.system,
                                                   messages=[{"role": "user", "content": text}])


        bot = Bot("You answer questions about the garden shop's opening hours, in one sentence.")
    '''))
    analysis = run_analysis(tmp_path)
    ids = sorted(r.id.split("::", 1)[1] for r in analysis.project.requests)
    assert "<module>::Bot#1" in ids  # the constructor's parameter reaches the request its method makes
