"""Discovery by evidence: one fixture tree per mechanism (tests/fixtures/discovery/).

Every ``# PROMPT`` line of a fixture must be inside a reported template, request or use
record, every ``# NOT-PROMPT`` line inside none; then each mechanism's details."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import ROOT, run_analysis, write_tree
from promptlint.report import View
from promptlint.report.document import build_document

FIXTURES = ROOT / "tests" / "fixtures" / "discovery"
MECHANISMS = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())


def analysed(tmp_path: Path, name: str, fixtures: Path = FIXTURES):
    tree = tmp_path / name
    shutil.copytree(fixtures / name, tree)
    return run_analysis(tree)


def markers(tree: Path):
    """(path, cell, line, expected) for every marker in the tree; cell is None outside notebooks."""
    for path in sorted(tree.rglob("*")):
        if not path.is_file() or ".promptlint_cache" in path.parts:
            continue
        rel = path.relative_to(tree).as_posix()
        if path.suffix == ".ipynb":
            cells = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
            sources = [(i, "".join(c["source"])) for i, c in enumerate(cells, 1)]
        else:
            sources = [(None, path.read_text(encoding="utf-8"))]
        for cell, source in sources:
            for number, line in enumerate(source.splitlines(), 1):
                if "# NOT-PROMPT" in line:
                    yield rel, cell, number, False
                elif "# PROMPT" in line:
                    yield rel, cell, number, True


def covering(items, rel, cell, line):
    return [x for x in items if x["path"] == rel and x.get("cell") == cell
            and x["line"] <= line <= (x.get("end_line") or x["line"])]


def marker_errors(tree: Path, analysis) -> list[str]:
    """Every `# PROMPT` line the analysis missed and every `# NOT-PROMPT` line it reported."""
    doc = build_document(analysis, View(str(tree), str(tree), verbose=True))
    items = doc["templates"] + doc["requests"]
    wrong = []
    for rel, cell, line, expected in markers(tree):
        found = covering(items, rel, cell, line)
        if expected and not found:
            wrong.append(f"missed {rel}:{cell or ''}:{line}")
        if not expected and found:
            wrong.append(f"reported {rel}:{cell or ''}:{line} as {[x['id'] for x in found]}")
    return wrong


@pytest.mark.parametrize("name", MECHANISMS)
def test_every_marked_line_is_found_or_left_alone(tmp_path, name):
    wrong = marker_errors(tmp_path / name, analysed(tmp_path, name))
    assert not wrong, wrong
    assert any(expected for *_, expected in markers(tmp_path / name))  # the fixture has cases


def evidence(template) -> set[str]:
    return {e.kind for e in template.evidence}


def test_builders_are_templates_at_their_definition(tmp_path):
    project = analysed(tmp_path, "builders").project
    triage = project.templates["helpdesk/prompts.py::build_triage_prompt()"]
    assert triage.placeholders == ("ticket",) and evidence(triage) == {"name"}
    assert evidence(project.templates["helpdesk/prompts.py::rewrite_request()"]) == {"content"}
    # No telling name, no cue: a prompt because the triage request sends what it returns.
    question = project.templates["helpdesk/prompts.py::question_for()"]
    assert evidence(question) == {"sink"}
    (request,) = project.requests
    assert request.templates == ("helpdesk/prompts.py::question_for()",)


def test_a_local_prompt_has_one_identity_with_the_request_part_it_reaches(tmp_path):
    project = analysed(tmp_path, "locals").project
    outline = project.templates["agent/planner.py::outline::prompt"]
    assert outline.placeholders == ("document",) and evidence(outline) == {"name"}
    (request,) = project.requests
    system = project.templates["agent/planner.py::plan::system_prompt"]
    assert request.parts[0].template == system.id and evidence(system) == {"sink", "name"}
    texts = [t.text for t in project.templates.values()]
    assert len(texts) == len(set(texts))  # nothing registered twice


def test_each_binding_of_a_rebound_name_is_its_own_template(tmp_path):
    project = analysed(tmp_path, "rebinding").project
    ids = {tid: t.span.cell for tid, t in project.templates.items()}
    assert (ids["moons.ipynb::PROMPT"], ids["moons.ipynb::PROMPT#2"], ids["moons.ipynb::PROMPT#3"]) == (2, 3, 4)
    assert project.templates["moons.ipynb::PROMPT#2"].text.endswith("Explain why there are so many.")
    # Each call of the notebook's get_completion() sends the binding live where it is made.
    sent = {r.span.cell: [p.template for p in r.parts if p.template] for r in project.requests if r.via}
    assert sent == {2: ["moons.ipynb::PROMPT"], 3: ["moons.ipynb::SYSTEM_PROMPT", "moons.ipynb::PROMPT#2"],
                    4: ["moons.ipynb::PROMPT#3"]}


def test_replace_template_and_percent_templating_keep_named_holes(tmp_path):
    project = analysed(tmp_path, "replace").project
    classify = project.templates["replace/classify.py::classify_prompt()"] if "replace/classify.py::classify_prompt()" \
        in project.templates else project.templates["classify.py::classify_prompt()"]
    assert classify.placeholders == ("ticket",)
    assert "<label>Billing</label>" in classify.text  # the known value is spliced in
    categories = project.templates["classify.py::CATEGORIES"]
    assert evidence(categories) == {"spliced"}
    summary = project.templates["classify.py::summary_prompt::template"]
    assert summary.placeholders == ("document", "audience")
    legacy = project.templates["classify.py::legacy_prompt::template"]
    assert legacy.text.startswith("Answer the question below")


def test_names_need_prose_and_a_filename_links_the_file(tmp_path):
    analysis = analysed(tmp_path, "precision")
    templates = analysis.project.templates
    linked = templates["app/prompts/system_prompt.j2"]
    assert "name" in evidence(linked)  # SYSTEM_PROMPT_FILENAME names it
    assert not any(t.text == "" for t in templates.values())
    assert "deploy/templates/Dockerfile.j2" not in templates
    assert "deploy/templates/service.yml.j2" not in templates
    assert evidence(templates["deploy/templates/welcome.j2"]) == {"content"}
    (request,) = analysis.project.requests
    assert [p.role for p in request.parts] == ["user"]  # system="" sends nothing


def test_unnamed_constants_count_only_when_they_read_as_instructions(tmp_path):
    templates = analysed(tmp_path, "content").project.templates
    assert {t.name for t in templates.values()} == {"condense", "retry_hint"}
    assert all(evidence(t) == {"content"} for t in templates.values())


def test_promptfoo_function_references_link_to_what_the_function_returns(tmp_path):
    analysis = analysed(tmp_path, "promptfoo")
    templates = analysis.project.templates
    assert evidence(templates["evals/prompts.py::short_summary()"]) == {"config"}
    assert not any("prompts.py:short_summary" in t.text for t in templates.values())
    uses = {u.id: u for u in analysis.project.uses}
    assert uses["evals/promptfooconfig.yaml::prompts.py:short_summary"].templates == (
        "evals/prompts.py::short_summary()",)
    assert uses["evals/promptfooconfig.yaml::prompts.py:careful_summary"].kind == "config"


def test_composed_message_lists_leave_use_records_and_invoke_on_any_receiver_is_a_request(tmp_path):
    analysis = analysed(tmp_path, "composition")
    project = analysis.project
    uses = {u.id: u for u in project.uses}
    composed = uses["bot/guard.py::Guard.check::messages"]
    assert composed.templates == ("bot/prompts.py::GUARD_SYSTEM_PROMPT",) and composed.kind == "messages"
    assert uses["bot/guard.py::refusal_prompt()"].templates == ("bot/prompts.py::REFUSAL_SYSTEM_PROMPT",)
    (request,) = project.requests
    assert (request.provider, request.api, request.model) == ("langchain", "ainvoke", None)
    assert request.templates == ("bot/prompts.py::GUARD_SYSTEM_PROMPT",)
    # A use record is shown, never counted: the request's input counts the constant once.
    assert project.templates["bot/prompts.py::GUARD_SYSTEM_PROMPT"].evidence[0].kind == "sink"


def test_json_verbose_lists_evidence_and_use_records(tmp_path):
    analysis = analysed(tmp_path, "composition")
    quiet = build_document(analysis, View(str(tmp_path), str(tmp_path)))
    loud = build_document(analysis, View(str(tmp_path), str(tmp_path), verbose=True))
    assert all("evidence" not in t for t in quiet["templates"])
    entry = next(t for t in loud["templates"] if t["id"] == "bot/prompts.py::GUARD_SYSTEM_PROMPT")
    assert entry["evidence"][0]["kind"] == "sink"
    use = next(t for t in loud["templates"] if t.get("use_of"))
    assert use["kind"] == "use" and use["tokens"] > 0
    assert quiet["summary"]["templates"] == len(analysis.project.templates)  # uses are not counted


def requests_at(project, path):
    return sorted((r for r in project.requests if r.path == path), key=lambda r: r.span.line)


def test_calls_of_in_house_wrappers_are_requests_with_the_wrappers_model_and_cap(tmp_path):
    project = analysed(tmp_path, "wrappers").project
    tag, short = requests_at(project, "shop/jobs/reviews.py")[:2]
    assert (tag.via, tag.model, tag.max_tokens) == ("llm_call()", "claude-haiku-4-5", 512)
    assert [project.templates[t].display() for t in tag.templates] == [
        "You label customer reviews for the shop's support team.", "Label this review as praise, complaint or question:\n\n{review}"]
    assert all(e.kind == "wrapper" for t in tag.templates for e in project.templates[t].evidence[:1])
    # summarize() forwards its parameter into llm_call(): its callers' calls are the requests
    assert short.via == "summarize() → llm_call()"
    assert project.templates[short.templates[0]].display() == "Summarize this product review in one sentence:\n\n{text}"
    assert not any(r.via and r.via.startswith("ping") for r in project.requests)  # only the model is passed
    (agent,) = [r for r in project.requests if r.via == "Assistant()"]
    assert (agent.model, agent.max_tokens, project.templates[agent.templates[0]].text) == (
        "claude-sonnet-4-5", 800, "You answer questions about orders placed in the shop.")
    # the wrapper's own SDK call stays a request: its cap and model are set (and fixed) there
    assert any(r.path == "shop/llm/client.py" and r.function == "llm_call" and not r.via for r in project.requests)


def test_injected_wrappers_are_found_by_a_name_unique_in_the_tree(tmp_path):
    project = analysed(tmp_path, "wrappers").project
    injected = requests_at(project, "shop/jobs/injected.py")
    assert [(r.via, r.model) for r in injected] == [("gpt_call()", "gpt-4o-mini")] * 2
    assert [r.templates for r in injected] == [("shop/jobs/injected.py::describe::prompt",),
                                              ("shop/jobs/injected.py::name_for::request",)]


def test_messages_create_needs_evidence_of_a_client(tmp_path):
    project = analysed(tmp_path, "clients").project
    assert [r.function for r in project.requests] == ["answer"]


def test_sdk_functions_reached_as_values(tmp_path):
    project = analysed(tmp_path, "sdk_values").project
    by_function = {r.function: r for r in project.requests}
    assert by_function["proxied"].provider == "litellm"  # from app.llm import litellm (a lazy proxy)
    bound = by_function["through_partial"]
    assert (bound.provider, bound.model, bound.max_tokens) == ("litellm", "claude-haiku-4-5", 300)
    fetched = by_function["through_getattr_inline"]
    assert (fetched.api, fetched.model) == ("chat.completions.create", "gpt-4o-mini")
    assert any("default of `os.getenv('SUPPORT_MODEL', 'gpt-4o-mini')`" in n for n in fetched.notes)


def test_a_method_called_on_a_parameter_typed_with_the_projects_class_is_that_class_method(tmp_path):
    project = analysed(tmp_path, "wrappers").project
    typed = sorted(requests_at(project, "shop/jobs/typed.py"), key=lambda r: r.function)
    assert [(r.function, r.via, r.model, r.max_tokens) for r in typed] == [
        ("follow_up", "next()", "claude-haiku-4-5", 300),  # a method named like a builtin
        ("refund_note", "ask()", "claude-haiku-4-5", 300)]  # the constructor's default: the callers never pass it
    assert project.templates[typed[1].templates[0]].display().startswith("Explain to the customer why order")
    # ``ask`` is too common a name to match by name: the untyped ``writer.ask(...)`` and the
    # ledger's own ``ask`` stay silent


def test_a_chat_model_kept_on_self_and_given_the_callers_messages_is_a_wrapper(tmp_path):
    """``self.llm.ainvoke(messages)`` on a model chosen at run time: no request of its own,
    a summary; each call that passes a message list (through wrappers of it, from files the
    prefilter skipped) is a request; a tool given a dict and a caller passing a string are not."""
    project = analysed(tmp_path, "forwarding").project
    outline, request, picked = sorted(project.requests, key=lambda r: r.path)
    assert (outline.path, outline.via, outline.templates) == ("research/steps/outline.py", "complete_chat() → get_reply()", ())
    # a wrapper imported inside the method that calls it is still that wrapper
    assert (picked.path, picked.function, picked.via) == (
        "research/steps/tools.py", "ToolPicker.pick", "complete_chat() → get_reply()")
    assert (request.path, request.function, request.via) == (
        "research/steps/queries.py", "plan_queries", "complete_chat() → get_reply()")
    assert request.model is None and request.provider == "langchain"
    assert [project.templates[t].display() for t in request.templates] == [
        "You write web search queries for a research assistant."]


def test_a_wrappers_nested_helper_leaves_the_wrappers_own_parameters_to_its_callers(tmp_path):
    """``agent_loop(prompt, tools=None)`` with a nested helper building the tool results: the
    summary owned by the helper must not put ``tools``' default (None) in place of what the
    callers of ``agent_loop`` pass."""
    write_tree(tmp_path, {"app/loop.py": '''
import anthropic

client = anthropic.Anthropic()
TOOLS = [{"name": "lookup_order", "description": "Find an order by its number and return its status and items.",
          "input_schema": {"type": "object", "properties": {"number": {"type": "string"}}}}]


def agent_loop(prompt, tools=None):
    messages = [{"role": "user", "content": prompt}]

    def wrap(result):
        return {"role": "user", "content": [{"type": "tool_result", "content": result}]}

    response = client.messages.create(model="claude-haiku-4-5", max_tokens=400, messages=messages, tools=tools)
    while response.stop_reason == "tool_use":
        messages.append(wrap(f"Order status: {response.content}"))
        response = client.messages.create(model="claude-haiku-4-5", max_tokens=400, messages=messages, tools=tools)
    return response


def run(task):
    return agent_loop(task, TOOLS)
'''})
    analysis = run_analysis(tmp_path)
    wrapped = [r for r in analysis.project.requests if r.function == "run"]
    assert wrapped and all(any(p.section == "tools" for p in r.parts) for r in wrapped), [r.id for r in wrapped]


def test_a_prompt_set_on_an_attribute_is_a_template_with_one_identity(tmp_path):
    """``self.system_prompt = ...`` in ``__init__`` and read by the method that sends it is
    one template, named where it is set; a profile's ``agent.system_prompt = ...`` on an
    imported object is a template of its own per assignment, by its name and prose."""
    project = analysed(tmp_path, "attributes").project
    (request,) = [r for r in project.requests if r.path == "helpdesk/agent.py"]
    own = "helpdesk/agent.py::HelpdeskAgent.__init__::self.system_prompt"
    assert request.templates[0] == own
    assert project.templates[own].display().startswith("You answer questions from the company's staff about IT problems in a {tone} tone.")
    assert [t for t in project.templates if t.startswith("helpdesk/agent.py")] == [own]
    profile = sorted(t for t in project.templates if t.startswith("helpdesk/profiles/night_shift.py::agent.system_prompt"))
    assert [t.split("::", 1)[1] for t in profile] == ["agent.system_prompt", "agent.system_prompt#2"]
    assert all(e.kind == "name" for t in profile for e in project.templates[t].evidence)
    history = [t for t in project.templates if "agent.history" in t]
    assert [project.templates[t].role for t in sorted(history)] == ["user", "assistant"]
    assert "helpdesk/skills.py::Skills.__init__::self.system_message" in project.templates


def test_a_method_every_provider_class_implements_is_a_request_through_that_interface(tmp_path):
    """``self.llm.generate_reply(messages=...)`` where ``self.llm`` comes from a factory and
    three provider classes implement ``generate_reply``, each sending its ``messages``: a
    request whichever class serves it, with no model of its own (each implementation reads
    its configuration); the implementations keep their own requests. A local built by
    ``GroqLLM(config)`` calls that class's method; two classes whose methods of one name send
    different parameters are no interface; a test's call is not taken for one."""
    project = analysed(tmp_path, "interfaces").project
    by_place = {(r.path, r.function): r for r in project.requests}
    summary = by_place[("notes/summarizer.py", "Summarizer.summarize")]
    assert (summary.via, summary.model) == ("generate_reply()", None)
    assert summary.templates == ("notes/summarizer.py::SUMMARY_PROMPT",)
    threaded = by_place[("notes/summarizer.py", "Summarizer.asummarize")]
    assert project.templates[threaded.templates[0]].display() == "Give these notes a one-line title:\n\n{notes}"
    assert ("notes/summarizer.py", "action_items") in by_place
    assert {p for p, f in by_place if f and f.endswith(".generate_reply")} == {
        "notes/llms/openai_llm.py", "notes/llms/groq_llm.py", "notes/llms/litellm_llm.py"}
    assert by_place[("notes/cli.py", "quick_title")].provider == "groq"
    assert not [r for r in project.requests if r.path.startswith("tests/") or r.function == "publish"]


def test_a_request_through_an_interface_takes_a_model_only_when_every_implementation_agrees(tmp_path):
    def tree(second_model):
        root = tmp_path / second_model
        return write_tree(root, {
            "bot/fast.py": '''
import anthropic


class FastBot:
    def ask_model(self, messages):
        return anthropic.Anthropic().messages.create(model="claude-haiku-4-5", max_tokens=300, messages=messages)
''',
            "bot/careful.py": f'''
import anthropic


class CarefulBot:
    def ask_model(self, messages):
        return anthropic.Anthropic().messages.create(model="{second_model}", max_tokens=300, messages=messages)
''',
            "bot/run.py": '''
class Runner:
    def __init__(self, bot):
        self.bot = bot

    def run(self, question):
        return self.bot.ask_model([{"role": "user", "content": f"Answer the customer briefly: {question}"}])
'''})

    for second, expected in (("claude-haiku-4-5", "claude-haiku-4-5"), ("claude-opus-4-1", None)):
        (request,) = [r for r in run_analysis(tree(second)).project.requests if r.path == "bot/run.py"]
        assert (request.via, request.model) == ("ask_model()", expected)


def test_a_prompt_given_as_a_parameters_default_is_a_template_with_one_identity(tmp_path):
    """``def __init__(self, system_prompt="You are ...")``: the default is a template named
    by the function and the parameter; a call that passes nothing sends that same template."""
    project = analysed(tmp_path, "defaults").project
    ids = sorted(t for t in project.templates if t.startswith("tutor/session.py"))
    assert [t.split("::", 1)[1] for t in ids] == [
        "Session.__init__::feedback_template", "Session.__init__::system_prompt", "hint::instructions"]
    assert project.templates["tutor/session.py::hint::instructions"].display() == "Give the student a hint. Never tell them the answer."
    (request,) = [r for r in project.requests if r.function == "Session.feedback"]
    assert request.templates[0] == "tutor/session.py::Session.__init__::system_prompt"
