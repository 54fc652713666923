"""The model and output cap of a call site come from where the client or chat model is built:
a factory in another module, a factory's arguments, an instance whose constructor stores the
model. A look-alike that promptlint cannot follow stays unknown, and building a chat model
without using it sends nothing."""

from __future__ import annotations

from conftest import run_analysis

FACTORIES = '''\
from langchain_anthropic import ChatAnthropic
from langchain_openai import ChatOpenAI


def get_llm():
    return ChatAnthropic(model="claude-sonnet-4-5", max_tokens=900)


def make_llm(model="gpt-4o-mini", temperature=0.0, max_tokens=333):
    return ChatOpenAI(model=model, temperature=temperature, max_tokens=max_tokens)


unused = ChatOpenAI(model="gpt-4o", max_tokens=1000)
'''

USES = '''\
import os

from svc.llms import get_llm, make_llm


def answer(question):
    return get_llm().invoke("Answer the customer's question politely and in two sentences: " + question)


def titles(article):
    llm = make_llm("gpt-4.1", max_tokens=64)
    return llm.invoke("Suggest three short titles for this article: " + article)


def rewrite(paragraph):
    return make_llm().invoke("Rewrite the following paragraph in plain English: " + paragraph)


def configured(text):
    return make_llm(os.environ["LLM_MODEL"]).invoke("Translate the following text to German: " + text)
'''


def _requests(root):
    return {r.function: r for r in run_analysis(root).project.requests}


def test_a_factory_in_another_module_and_its_arguments_give_the_model_and_cap(project):
    # the factory body is local to svc/llms.py, so only the linker can see through get_llm();
    # make_llm is called from another module too, with and without arguments
    found = _requests(project({"svc/__init__.py": "", "svc/llms.py": FACTORIES, "svc/app.py": USES}))
    assert (found["answer"].model, found["answer"].max_tokens) == ("claude-sonnet-4-5", 900)
    assert found["answer"].provider == "langchain"


def test_a_same_module_factory_reads_its_arguments_then_its_defaults(project):
    source = FACTORIES + USES.replace("from svc.llms import get_llm, make_llm\n", "")
    found = _requests(project({"app.py": source}))
    assert (found["titles"].model, found["titles"].max_tokens) == ("gpt-4.1", 64)
    assert (found["rewrite"].model, found["rewrite"].max_tokens) == ("gpt-4o-mini", 333)
    assert found["configured"].model is None  # picked at run time: not guessed from the default
    assert (found["answer"].model, found["answer"].max_tokens) == ("claude-sonnet-4-5", 900)
    assert set(found) == {"answer", "titles", "rewrite", "configured"}  # `unused` sends nothing


CLIENTS = '''\
import litellm

DEFAULT_MODEL = "gpt-4o"


class LLMClient:
    def __init__(self, model_name, retries=3):
        self.name = model_name
        self.label = model_name.upper()
        self.retries = retries


client = LLMClient(DEFAULT_MODEL)
fallback = LLMClient("gpt-4o-mini")
fallback = LLMClient("gpt-4.1-mini")

litellm.completion(model=client.name, messages=[{"role": "user", "content": "Classify this ticket: bug or question?"}])
litellm.completion(model=fallback.name, messages=[{"role": "user", "content": "Summarise the ticket in one line."}])
litellm.completion(model=client.label, messages=[{"role": "user", "content": "Name the product this ticket is about."}])
'''


def test_an_instance_attribute_set_from_a_constructor_argument_is_that_argument(project):
    requests = sorted(run_analysis(project({"app.py": CLIENTS})).project.requests, key=lambda r: r.span.line)
    assert [r.model for r in requests] == ["gpt-4o", None, None]
    # rebound to two different clients: which one sends is not known; a derived value is not the argument
