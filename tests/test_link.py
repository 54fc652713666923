"""Linking across modules: imported constants, re-exports, deferred operations, lazy loading."""

from __future__ import annotations

from conftest import run_analysis, template_text, write_tree


def requests_by_function(analysis):
    return {r.function: r for r in analysis.project.requests}


CALL = '''
import anthropic
client = anthropic.Anthropic()

def {name}(q):
    return client.messages.create(model="claude-sonnet-4-5", max_tokens=50, system={system},
                                  messages={messages})
'''


def test_constants_imported_absolute_relative_aliased_and_reexported(tmp_path):
    write_tree(tmp_path, {
        "app/__init__.py": "from .prompts import SYSTEM_PROMPT as SYSTEM\n",
        "app/prompts.py": 'BASE = "You are careful."\nSYSTEM_PROMPT = BASE + " Be brief."\n',
        "app/absolute.py": "from app.prompts import SYSTEM_PROMPT\n" + CALL.format(
            name="absolute", system="SYSTEM_PROMPT", messages='[{"role": "user", "content": q}]'),
        "app/relative.py": "from .prompts import BASE\n" + CALL.format(
            name="relative", system='BASE + " Extra."', messages='[{"role": "user", "content": q}]'),
        "app/aliased.py": "import app.prompts as P\n" + CALL.format(
            name="aliased", system="P.SYSTEM_PROMPT", messages='[{"role": "user", "content": q}]'),
        "app/package.py": "from app import SYSTEM\n" + CALL.format(
            name="package", system="SYSTEM", messages='[{"role": "user", "content": q}]'),
        "app/module_attr.py": "from app import prompts\n" + CALL.format(
            name="module_attr", system="prompts.BASE", messages='[{"role": "user", "content": q}]'),
    })
    analysis = run_analysis(tmp_path)
    by_fn = requests_by_function(analysis)
    for name in ("absolute", "aliased", "package"):
        part = by_fn[name].parts[0]
        assert part.template == "app/prompts.py::SYSTEM_PROMPT", name
        assert template_text(analysis.project, part) == "You are careful. Be brief."
    assert template_text(analysis.project, by_fn["relative"].parts[0]) == "You are careful. Extra."
    assert by_fn["module_attr"].parts[0].template == "app/prompts.py::BASE"
    assert not any(r.unresolved for r in analysis.project.requests)


def test_operations_on_imported_values_are_evaluated_at_link_time(tmp_path):
    write_tree(tmp_path, {
        "lib/texts.py": (
            'SUMMARY_TEMPLATE = "Summarize for {audience}:\\n{text}"\n'
            'FEW_SHOT = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]\n'
        ),
        "svc.py": "from lib.texts import SUMMARY_TEMPLATE, FEW_SHOT\n" + CALL.format(
            name="svc", system='f"Rules: {SUMMARY_TEMPLATE.upper}"',
            messages='FEW_SHOT + [{"role": "user", "content": SUMMARY_TEMPLATE.format(audience="agents", text=q)}]'),
    })
    analysis = run_analysis(tmp_path)
    request = analysis.project.requests[0]
    roles = [p.role for p in request.parts[1:]]
    assert roles == ["user", "assistant", "user"]
    assert request.parts[1].template == "lib/texts.py::FEW_SHOT[0].content"
    assert template_text(analysis.project, request.parts[3]) == "Summarize for agents:\n{text}"


def test_module_skipped_by_the_prefilter_is_loaded_when_imported(tmp_path):
    write_tree(tmp_path, {
        "consts.py": 'GREETING = "Welcome to ACME support."\n',  # no prompt-like name, no call
        "bot.py": "from consts import GREETING\n" + CALL.format(
            name="bot", system="GREETING", messages='[{"role": "user", "content": q}]'),
    })
    analysis = run_analysis(tmp_path)
    part = analysis.project.requests[0].parts[0]
    assert part.template == "consts.py::GREETING"
    assert analysis.measurements.templates["consts.py::GREETING"] > 0


def test_constant_spliced_from_a_module_the_prefilter_skipped_is_a_template(tmp_path):
    """A module read on demand for an import can hold text spliced into a prompt: it is a
    template there (with the evidence), as if the prefilter had let the module through."""
    write_tree(tmp_path, {
        "rules.py": 'RULES = "Answer briefly and never guess."\n',  # no telling name, no call
        "bot.py": "from rules import RULES\nSYSTEM = f'You help the billing team. {RULES}'\n" + CALL.format(
            name="bot", system="SYSTEM", messages='[{"role": "user", "content": q}]'),
    })
    templates = run_analysis(tmp_path).project.templates
    assert [e.kind for e in templates["rules.py::RULES"].evidence] == ["spliced"]


def test_the_final_value_of_a_rebound_name_is_the_spliced_template_not_an_earlier_binding(tmp_path):
    """``RULES`` bound twice in a skipped module: the prompt splices its last value, and
    that binding (``rules.py::RULES#2``) is the template, not the first one's short text."""
    write_tree(tmp_path, {
        "rules.py": 'RULES = "Be brief."\nRULES = "Answer in one short paragraph and cite the document you used."\n',
        "bot.py": "from rules import RULES\nSYSTEM = f'You help the billing team. {RULES}'\n" + CALL.format(
            name="bot", system="SYSTEM", messages='[{"role": "user", "content": q}]'),
    })
    templates = run_analysis(tmp_path).project.templates
    assert templates["rules.py::RULES#2"].text == "Answer in one short paragraph and cite the document you used."
    assert [e.kind for e in templates["rules.py::RULES#2"].evidence] == ["spliced"]
    assert "rules.py::RULES" not in templates


def test_import_from_outside_the_tree_is_unresolved(tmp_path):
    write_tree(tmp_path, {
        "bot.py": "from vendor.prompts import SYSTEM\n" + CALL.format(
            name="bot", system="SYSTEM", messages='[{"role": "user", "content": q}]'),
    })
    request = run_analysis(tmp_path).project.requests[0]
    assert request.parts[0].unresolved and "outside the scanned tree" in request.parts[0].unresolved


def test_imported_kwargs_dict_is_spread(tmp_path):
    write_tree(tmp_path, {
        "settings.py": 'LLM_PARAMS = {"model": "gpt-4o-mini", "max_tokens": 64}\n',
        "bot.py": (
            "from openai import OpenAI\nfrom settings import LLM_PARAMS\nclient = OpenAI()\n"
            "def bot(q):\n    return client.chat.completions.create(messages=[{'role': 'user', 'content': q}], **LLM_PARAMS)\n"
        ),
    })
    request = run_analysis(tmp_path).project.requests[0]
    assert (request.model, request.max_tokens, request.kwargs_open) == ("gpt-4o-mini", 64, None)


FAMILY = '''
class PromptFamily:
    @staticmethod
    def outline_prompt(topic):
        return f"Write a five-point outline for a report on {topic}. One line per point."

    @staticmethod
    def read_sources(path):
        return open(path).read()


class Helpers:
    pass
'''


def test_a_static_method_of_a_class_imported_from_the_tree_is_a_builder_even_when_imported_in_the_function(tmp_path):
    write_tree(tmp_path, {
        "app/__init__.py": "",
        "app/prompts.py": FAMILY,
        "app/top.py": "from app.prompts import PromptFamily\n" + CALL.format(
            name="top", system='"You plan reports."',
            messages='[{"role": "user", "content": PromptFamily.outline_prompt(q)}]'),
        # imported inside the function (to break an import cycle): still the same import
        "app/inner.py": CALL.replace("(q):\n", "(q):\n    from .prompts import PromptFamily\n").format(
            name="inner", system='"You plan reports."',
            messages='[{"role": "user", "content": PromptFamily.outline_prompt(q)}]'),
        # a method returning no text, and a local binding of the name, are not builders
        "app/data.py": "from app.prompts import PromptFamily\n" + CALL.format(
            name="data", system='"You plan reports."',
            messages='[{"role": "user", "content": PromptFamily.read_sources(q)}]'),
        "app/shadow.py": "from app.prompts import PromptFamily\n" + CALL.replace(
            "(q):\n", "(q):\n    PromptFamily = load_family()\n").format(
            name="shadow", system='"You plan reports."',
            messages='[{"role": "user", "content": PromptFamily.outline_prompt(q)}]'),
    })
    by_fn = requests_by_function(run_analysis(tmp_path))
    builder = "app/prompts.py::PromptFamily.outline_prompt()"
    for name in ("top", "inner"):
        assert builder in by_fn[name].templates, name
        assert not by_fn[name].unresolved, name
    assert builder not in by_fn["data"].templates
    assert builder not in by_fn["shadow"].templates


def test_an_sdk_not_given_sentinel_is_no_unresolved_slot_and_a_vendor_name_still_is(tmp_path):
    """``tools=tools or NOT_GIVEN``, ``instructions=system or omit``: the SDK's "not given"
    sends nothing, as ``None`` would; a name of the same spelling from another package
    (``vendor.omit``) is still text promptlint cannot see."""
    write_tree(tmp_path, {
        "bot.py": (
            "import openai\nfrom openai import OpenAI, omit\nfrom anthropic import NOT_GIVEN\nfrom vendor import omit as vendor_omit\n"
            "client = OpenAI()\n"
            "SYSTEM = 'You answer questions about the opening hours of our shop in one short sentence.'\n"
            "def ask(q, tools=None):\n"
            "    return client.chat.completions.create(model='gpt-4.1', max_tokens=64, tools=tools or openai.NOT_GIVEN,\n"
            "        messages=[{'role': 'system', 'content': SYSTEM}, {'role': 'user', 'content': q}])\n"
            "def ask2(q, tools=None):\n"
            "    return client.chat.completions.create(model='gpt-4.1', max_tokens=64, tools=tools or NOT_GIVEN,\n"
            "        messages=[{'role': 'system', 'content': SYSTEM}, {'role': 'user', 'content': q}])\n"
            "def ask3(q):\n"
            "    return client.responses.create(model='gpt-4.1', max_output_tokens=64, instructions=omit, input=q)\n"
            "def ask4(q):\n"
            "    return client.responses.create(model='gpt-4.1', max_output_tokens=64, instructions=vendor_omit, input=q)\n"),
    })
    analysis = run_analysis(tmp_path)
    unresolved = {r.function: [p.unresolved for p in r.parts if p.unresolved] for r in analysis.project.requests}
    assert not any("NOT_GIVEN" in u or "openai.omit" in u for got in unresolved.values() for u in got)
    assert any("vendor.omit" in u for u in unresolved["ask4"])
    found = {(f.finding.code, f.finding.span.path, f.finding.span.line) for f in analysis.findings}
    assert ("PL002", "bot.py", 8) not in found and ("PL002", "bot.py", 11) not in found
