"""The bundled example app mixes every prompt source; check what promptlint finds there."""

from __future__ import annotations

from conftest import ROOT, run_analysis

EXAMPLES = ROOT / "examples"


def analysis():
    return run_analysis(EXAMPLES, {"default-model": "claude-sonnet-4-5"})


def test_every_source_kind_yields_templates():
    templates = analysis().project.templates
    kinds = {t.kind for t in templates.values()}
    assert kinds == {"python", "jinja", "yaml", "notebook", "text"}


def test_jinja_request_counts_the_composed_templates_across_files():
    result = analysis()
    (request,) = [r for r in result.project.requests if r.id == "support_bot/replies.py::draft_reply::messages.create#1"]
    assert request.templates == ("support_bot/templates/reply_system.j2", "support_bot/templates/reply_user.j2")
    system = result.project.templates["support_bot/templates/reply_system.j2"]
    assert system.role == "system"
    files = {s.span.path for s in system.segments if s.hole is None}
    assert files == {"support_bot/templates/reply_system.j2", "support_bot/templates/base.j2",
                     "support_bot/templates/partials/policies.j2"}
    for seg in system.segments:
        if seg.exact:
            text = (EXAMPLES / seg.span.path).read_text(encoding="utf-8")
            assert text[seg.span.start : seg.span.end] == seg.text
    user = result.project.templates["support_bot/templates/reply_user.j2"]
    assert user.placeholders == ("ticket.id", "ticket.customer_name", "ticket.channel", "ticket.body",
                                 "line.sku", "line.name", "line.qty", "line.status", "order.notes")
    assert result.measurements.requests[request.id].input_tokens > result.measurements.templates[
        "support_bot/templates/partials/policies.j2"]


def test_yaml_prompty_langchain_and_notebook_requests():
    requests = {r.id: r for r in analysis().project.requests}
    router = requests["prompts/intent_router.yaml::request"]
    assert (router.provider, router.model, router.max_tokens) == ("yaml", "claude-sonnet-4-5", 1024)
    prompty = requests["prompts/escalation.prompty::request"]
    assert (prompty.api, prompty.model, prompty.max_tokens) == ("prompty", "gpt-4o-mini", 300)
    faq = requests["support_bot/faq_chain.py::answer_faq::invoke#1"]
    assert (faq.provider, faq.api, faq.model, faq.max_tokens) == ("langchain", "ChatOpenAI.invoke", "gpt-4o", None)
    notebook = requests["notebooks/triage_experiments.ipynb::<module>::messages.create#1"]
    assert (notebook.span.cell, notebook.span.line, notebook.in_loop) == (3, 4, True)
    assert notebook.templates == ("notebooks/triage_experiments.ipynb::CANDIDATE_PROMPT",)
    assert not any(r.id.startswith("evals/") for r in requests.values())


def test_few_shot_examples_from_yaml_and_langchain():
    groups = {}
    for example in analysis().project.examples:
        groups.setdefault(example.group, []).append(example.label)
    assert groups["prompts/intent_router.yaml::examples"] == ["order_status", "order_status", "damaged_item", "account"]
    assert len(groups["support_bot/faq_chain.py::faq_prompt"]) == 2


def test_promptfoo_links_its_prompt_file_and_the_original_findings_remain():
    result = analysis()
    assert result.project.templates["evals/router_prompt.txt"].placeholders == ("message",)
    codes = {(f.finding.code, f.finding.span.path) for f in result.findings}
    assert {("PL201", "support_bot/assistant.py"), ("PL301", "support_bot/handoff.py"),
            ("PL203", "support_bot/triage.py"), ("PL301", "support_bot/faq_chain.py")} <= codes
    assert not [f for f in result.findings if f.finding.code == "PL001"]
