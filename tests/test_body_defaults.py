"""A parameter's fallback written in the body (``if model is None: model = DEFAULT``,
``model = model or DEFAULT``, ``model = DEFAULT if model is None else model``) is its
default: a call that passes nothing gets it, a call that passes a model gets that one.
Names a function imports for itself (``from app.config import DEFAULT`` inside the body)
are followed like module imports, and LangChain's provider-qualified ids
(``"openai:gpt-4.1-mini"``) name the model after the colon."""

from __future__ import annotations

from conftest import run_analysis

CONFIG = '''\
from dataclasses import dataclass


@dataclass
class ModelChoice:
    id: str
    label: str


CHOICES = {
    "small": ModelChoice(id="openai:gpt-4.1-mini", label="Small"),
    "large": ModelChoice(id="anthropic:claude-sonnet-4-5", label="Large"),
}
SCREEN_MODEL = CHOICES["small"]
'''

SCREEN = '''\
from langchain.chat_models import init_chat_model
from langchain_core.messages import HumanMessage, SystemMessage

DECLINE = "Write one short, friendly sentence that declines a question unrelated to our billing product."


class Screen:
    def __init__(self, model: str | None = None):
        if model is None:
            from app.config import SCREEN_MODEL

            model = SCREEN_MODEL.id
        self.llm = init_chat_model(model=model, temperature=0)

    async def decline(self, question):
        return await self.llm.ainvoke([SystemMessage(content=DECLINE), HumanMessage(content=question)])
'''

WRAPPERS = '''\
import anthropic

client = anthropic.Anthropic()
SYSTEM = "Answer questions about invoices in two sentences and cite the invoice number you used."


def ask(question, model=None):
    if model is None:
        model = "claude-haiku-4-5"
    return client.messages.create(model=model, max_tokens=300, system=SYSTEM,
                                  messages=[{"role": "user", "content": question}])


def ask_or(question, model=""):
    model = model or "claude-haiku-4-5"
    return client.messages.create(model=model, max_tokens=300, system=SYSTEM,
                                  messages=[{"role": "user", "content": question}])


def ask_ifexp(question, model=None):
    model = "claude-haiku-4-5" if model is None else model
    return client.messages.create(model=model, max_tokens=300, system=SYSTEM,
                                  messages=[{"role": "user", "content": question}])


def ask_fixed(question, model=None):
    model = "claude-haiku-4-5"
    return client.messages.create(model=model, max_tokens=300, system=SYSTEM,
                                  messages=[{"role": "user", "content": question}])


def main(question):
    ask(question, model="claude-opus-4-1")
    ask(question)
    ask_or(question, model="claude-opus-4-1")
    ask_ifexp(question, "claude-opus-4-1")
    ask_fixed(question, model="claude-opus-4-1")
'''


def _models(root):
    return {r.id.split("::", 1)[1]: r.model for r in run_analysis(root).project.requests}


def test_a_default_given_in_the_body_through_a_local_import_is_the_model(project):
    root = project({"app/__init__.py": "", "app/config.py": CONFIG, "app/screen.py": SCREEN})
    models = _models(root)
    assert models["Screen.decline::ainvoke#1"] == "openai:gpt-4.1-mini"
    result = run_analysis(root)
    capless = [f.finding for f in result.findings if f.finding.code == "PL301"]
    assert capless and all("model unknown here" not in f.message for f in capless)
    assert all("gpt-4.1-mini" in f.message for f in capless)
    assert not [f for f in result.findings if f.finding.code == "PL403"]  # "openai:" is a qualifier


def test_a_caller_that_passes_a_model_overrides_the_body_default(project):
    models = _models(project({"app.py": WRAPPERS}))
    assert models["ask::messages.create#1"] == "claude-haiku-4-5"  # the function alone: its default
    assert models["main::ask#1"] == "claude-opus-4-1"
    assert models["main::ask#2"] == "claude-haiku-4-5"
    assert models["main::ask_or#1"] == "claude-opus-4-1"
    assert models["main::ask_ifexp#1"] == "claude-opus-4-1"
    # look-alike: an unconditional re-binding is not a default; the caller's model is dropped
    assert models["main::ask_fixed#1"] == "claude-haiku-4-5"


DESCRIBE = '''\
from openai import OpenAI

client = OpenAI()


def _image_messages(task, image):
    return [{"role": "user", "content": [
        {"type": "text", "text": task},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{image}"}},
    ]}]


def describe_photo(path, task="List every object you can see in this photo, one per line."):
    return client.chat.completions.create(model="gpt-4o", max_tokens=400,
                                          messages=_image_messages(task, open(path).read()))


def describe_frame(path, task="Summarise what happens in this video frame in one sentence."):
    task = task or "Describe the frame."
    return client.chat.completions.create(model="gpt-4o", max_tokens=400,
                                          messages=_image_messages(task, open(path).read()))


def describe_scan(path, task):
    return client.chat.completions.create(model="gpt-4o", max_tokens=400,
                                          messages=_image_messages(task, open(path).read()))
'''


def test_a_wrapper_call_made_with_the_callers_own_parameter_is_priced_with_its_default(project):
    """Nothing in the tree calls ``describe_photo``: the request it makes is the one its
    default task gives, not a prompt made only of run-time values."""
    analysis = run_analysis(project({"media.py": DESCRIBE}))
    unresolved = {f.finding.span.line for f in analysis.findings if f.finding.code == "PL002"}
    project_ = analysis.project
    # the builder is inlined into each request (agents6): the request is the SDK call itself
    texts = {r.function: " ".join(project_.templates[t].text for t in r.templates) for r in project_.requests}
    assert "List every object" in texts["describe_photo"]
    # a non-empty signature default wins over ``task or "..."``: the fallback is for an empty task
    assert "Summarise what happens" in texts["describe_frame"] and "Describe the frame" not in texts["describe_frame"]
    # look-alike: a parameter without a default is the caller's run-time value, still unresolved
    assert "List every" not in texts["describe_scan"] and unresolved
