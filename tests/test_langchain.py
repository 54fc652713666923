"""LangChain prompt objects are templates; a bound chat model that is invoked is a request."""

from __future__ import annotations

from conftest import run_analysis

CHAINS = '''\
from langchain_core.prompts import ChatPromptTemplate, PromptTemplate, MessagesPlaceholder
from langchain_core.prompts import FewShotChatMessagePromptTemplate
from langchain_core.messages import SystemMessage, HumanMessage
from langchain_anthropic import ChatAnthropic
from langchain_openai import ChatOpenAI

TRAVEL = "You are a travel agent for {company}. Answer in {language}. Use {{braces}} literally."
qa_prompt = ChatPromptTemplate.from_messages([
    ("system", TRAVEL),
    MessagesPlaceholder("history"),
    ("human", "{question}"),
])
summary = PromptTemplate.from_template("Summarize this text in {n} words: {text}")
jinja_prompt = PromptTemplate(template="Hello {{ name }}, {x}", template_format="jinja2")
llm = ChatAnthropic(model="claude-sonnet-4-5", max_tokens=512)
chain = qa_prompt | llm


def ask(question):
    return chain.invoke({"question": question})


def direct(text):
    model = ChatOpenAI(model="gpt-4o")
    return model.invoke([SystemMessage(content="Be brief and exact, {not a hole}."), HumanMessage(content=text)])


examples = [{"input": "2+2", "output": "4"}, {"input": "3+3", "output": "6"}]
example_prompt = ChatPromptTemplate.from_messages([("human", "{input}"), ("ai", "{output}")])
few_shot = FewShotChatMessagePromptTemplate(examples=examples, example_prompt=example_prompt)
math_prompt = ChatPromptTemplate.from_messages([("system", "You are a calculator."), few_shot, ("human", "{input}")])
'''


def test_prompt_definitions_are_templates_with_holes(project):
    # TRAVEL is named for no prompt pattern: LangChain's use of it makes it a template, with
    # LangChain's f-string rules (``{{`` is a brace).
    templates = run_analysis(project({"app/chains.py": CHAINS})).project.templates
    system = templates["app/chains.py::TRAVEL"]
    assert system.role == "system"
    assert system.placeholders == ("company", "language")
    assert "{braces}" in system.text  # an escaped brace is text
    assert templates["app/chains.py::qa_prompt[2].content"].placeholders == ("question",)
    assert templates["app/chains.py::summary"].placeholders == ("n", "text")
    assert templates["app/chains.py::jinja_prompt"].placeholders == ("name",)
    assert "{x}" in templates["app/chains.py::jinja_prompt"].text
    assert templates["app/chains.py::direct::SystemMessage#1.content"].text == "Be brief and exact, {not a hole}."
    assert not any("history" in t.placeholders for t in templates.values())  # the placeholder is a run-time hole


def test_invoked_chain_with_a_bound_model_is_a_request(project):
    requests = {r.id: r for r in run_analysis(project({"app/chains.py": CHAINS})).project.requests}
    assert set(requests) == {"app/chains.py::ask::invoke#1", "app/chains.py::direct::invoke#1"}
    ask = requests["app/chains.py::ask::invoke#1"]
    assert (ask.provider, ask.api, ask.model, ask.max_tokens) == ("langchain", "ChatAnthropic.invoke",
                                                                  "claude-sonnet-4-5", 512)
    assert [(p.role, p.template or p.hole) for p in ask.parts] == [
        ("system", "app/chains.py::TRAVEL"), ("unknown", "history"),
        ("user", "app/chains.py::qa_prompt[2].content")]
    direct = requests["app/chains.py::direct::invoke#1"]
    assert (direct.model, direct.max_tokens) == ("gpt-4o", None)
    assert [(p.role, p.hole) for p in direct.parts][1] == ("user", "text")


def test_few_shot_template_expands_into_counted_examples(project):
    project_ = run_analysis(project({"app/chains.py": CHAINS})).project
    few = [e for e in project_.examples if e.group == "app/chains.py::few_shot"]
    assert [(e.templates, e.label) for e in few] == [
        (("app/chains.py::few_shot[0].content", "app/chains.py::few_shot[1].content"), "4"),
        (("app/chains.py::few_shot[2].content", "app/chains.py::few_shot[3].content"), "6"),
    ]
    assert project_.templates["app/chains.py::few_shot[2].content"].text == "3+3"
    assert project_.templates["app/chains.py::math_prompt[0].content"].text == "You are a calculator."


def test_chain_imported_from_another_module_is_linked(project):
    root = project({
        "app/chains.py": CHAINS,
        "app/api.py": "from app.chains import chain\n\nasync def handle(q):\n    return await chain.ainvoke({'question': q})\n",
    })
    requests = {r.id: r for r in run_analysis(root).project.requests}
    linked = requests["app/api.py::handle::ainvoke#1"]
    assert (linked.api, linked.model, linked.is_async) == ("ChatAnthropic.ainvoke", "claude-sonnet-4-5", True)
    assert linked.templates[0] == "app/chains.py::TRAVEL"


def test_invoke_on_anything_else_is_not_a_request(project):
    root = project({
        "app/tools.py": "from app.graph import graph\nfrom langchain_core.prompts import PromptTemplate\n"
                        "p = PromptTemplate.from_template('Classify: {x}')\n"
                        "def run(x):\n    graph.invoke(x)\n    return p.invoke({'x': x})\n",
        "app/graph.py": "graph = object()\n",
    })
    project_ = run_analysis(root).project
    assert not project_.requests
    assert "app/tools.py::p" in project_.templates


def test_same_named_class_from_another_library_is_not_langchain(project):
    root = project({"app/x.py": "from mylib import PromptTemplate\nt = PromptTemplate(template='Hello {name}, welcome')\n"})
    assert not run_analysis(root).project.templates


def test_langchain_and_chat_models_pass_the_prefilter(project):
    root = project({"app/a.py": "from langchain_anthropic import ChatAnthropic\nllm = ChatAnthropic(model='claude-haiku-4-5')\n"
                                "def f(q):\n    return llm.invoke(q)\n"})
    (request,) = run_analysis(root).project.requests
    assert request.max_tokens_dynamic  # ChatAnthropic always sends its own cap


ADAPTED = '''\
from langchain_community.adapters.openai import convert_openai_messages
from langchain_openai import ChatOpenAI

from app.local import convert_openai_messages as own_convert

llm = ChatOpenAI(model="gpt-4o-mini", max_tokens=200)


def brief(notes):
    messages = [
        {"role": "system", "content": "You turn meeting notes into a three-line brief."},
        {"role": "user", "content": f"Notes:\\n{notes}"},
    ]
    return llm.invoke(convert_openai_messages(messages)).content


def other(notes):
    return llm.invoke(own_convert([{"role": "user", "content": "Summarize the board's last meeting."}])).content
'''


LOCAL_CONVERT = '''\
from app.store import history_for


def convert_openai_messages(thread_id):
    return history_for(thread_id)
'''


def test_openai_messages_converted_by_langchains_adapter_are_the_messages_sent(project):
    analysis = run_analysis(project({"app/brief.py": ADAPTED, "app/local.py": LOCAL_CONVERT}))
    by = {r.function: r for r in analysis.project.requests}
    assert [(p.role, analysis.project.templates[p.template].text[:24]) for p in by["brief"].parts if p.template] == [
        ("system", "You turn meeting notes i"), ("user", "Notes:\n")]  # a hole is no text
    assert not by["brief"].unresolved
    # the project's own function of that name is not LangChain's adapter: what it returns is sent
    assert not [p for p in by["other"].parts if p.template]


TUPLES = '''\
from langchain_openai import ChatOpenAI

llm = ChatOpenAI(model="gpt-4o-mini", max_tokens=200)


def answer(question):
    messages = [
        ("system", "You answer questions about the user's calendar in one sentence."),
        ("human", question),
    ]
    return llm.invoke(messages)


class Notes:
    def __init__(self, model):
        self.model = model

    def polish(self, note):
        return self.model.invoke([("system", "You rewrite the user's note as a polite e-mail."), ("user", note)])

    def lookup(self, key):
        return self.model.invoke([("calendar", key), ("owner", "me")])  # pairs, not messages
'''


def test_role_tuples_given_to_a_chat_model_are_its_messages(project):
    """``llm.invoke([("system", "..."), ("human", q)])``: the model turns each tuple into that
    role's message, as ``from_messages`` does, also on a receiver promptlint cannot follow;
    pairs whose first item is no role are not messages."""
    analysis = run_analysis(project({"app/bot.py": TUPLES}))
    by = {r.function: r for r in analysis.project.requests}
    assert set(by) == {"answer", "Notes.polish"}
    for function, text in (("answer", "You answer questions about the user's calendar in one sentence."),
                           ("Notes.polish", "You rewrite the user's note as a polite e-mail.")):
        (template,) = [analysis.project.templates[t] for t in by[function].templates]
        assert (template.text, template.role) == (text, "system"), function
