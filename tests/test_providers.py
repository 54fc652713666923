"""Every provider of the sink registry: one fixture project each (tests/fixtures/providers/).

Each marked line is found or left alone (as in test_discovery), and each request carries the
provider, model and output cap its SDK call sets."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import ROOT, run_analysis
from test_discovery import analysed as analysed_fixture, marker_errors, markers

FIXTURES = ROOT / "tests" / "fixtures" / "providers"
PROVIDERS = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir() and not p.name.startswith("."))


def analysed(tmp_path: Path, name: str):
    return analysed_fixture(tmp_path, name, FIXTURES)


@pytest.mark.parametrize("name", PROVIDERS)
def test_every_marked_line_is_found_or_left_alone(tmp_path, name):
    analysis = analysed(tmp_path, name)
    assert not marker_errors(tmp_path / name, analysis)
    assert list(markers(tmp_path / name))  # the fixture has cases (a look-alike project may have only silent ones)


def calls(tmp_path, name):
    project = analysed(tmp_path, name).project
    return project, sorted(((r.function, r.provider, r.model, r.max_tokens) for r in project.requests), key=str)


def system_text(project, request) -> str:
    return " ".join(project.templates[p.template].display() for p in request.parts
                    if p.section == "system" and p.template)


def test_google_genai_reads_config_and_the_generative_model_it_is_called_on(tmp_path):
    project, found = calls(tmp_path, "google")
    assert found == [("chat_turns", "google", "gemini-2.5-pro", None),
                     ("summarize", "google", "gemini-1.5-flash", 300),
                     ("triage", "google", "gemini-2.5-flash", 16)]
    by = {r.function: r for r in project.requests}
    assert system_text(project, by["triage"]).startswith("You sort incoming support tickets")
    assert system_text(project, by["summarize"]).startswith("Summarize the meeting notes")
    assert [p.role for p in by["chat_turns"].parts] == ["user", "assistant", "user"]


def test_bedrock_converse_and_invoke_model_with_an_anthropic_body(tmp_path):
    project, found = calls(tmp_path, "bedrock")
    assert found == [("answer", "bedrock", "anthropic.claude-3-5-sonnet-20240620-v1:0", 200),
                     ("classify", "bedrock", "anthropic.claude-3-haiku-20240307-v1:0", 10)]
    by = {r.function: r for r in project.requests}
    assert system_text(project, by["classify"]).startswith("Label the product review")
    assert by["answer"].max_tokens_param == "maxTokens"


def test_mistral_cohere_and_openai_compatible_clients(tmp_path):
    assert calls(tmp_path, "mistral")[1] == [("extract_dates", "mistral", "mistral-large-latest", 120)]
    project, found = calls(tmp_path, "cohere")
    assert found == [("draft_reply", "cohere", "command-r-plus", 400), ("headline", "cohere", "command-r", 30)]
    by = {r.function: r for r in project.requests}
    assert system_text(project, by["headline"]) == "Write a headline of at most eight words for the article."
    assert calls(tmp_path, "compatible")[1] == [
        ("fast_answer", "groq", "llama-3.3-70b-versatile", 256),
        ("routed", "openai", "openai/gpt-4o-mini", 200),
        ("translate", "together", "meta-llama/Llama-3.3-70B-Instruct-Turbo", 500)]

    assert calls(tmp_path, "zhipu")[1] == [("ReviewBot.review", "zhipu", "glm-4.6", None),
                                           ("tag", "zhipu", "glm-4.5", 16)]


def test_ollama_calls_are_requests_of_a_local_server(tmp_path):
    project, found = calls(tmp_path, "ollama")
    assert found == [("explain", "ollama", "llama3.1", 200), ("name_it", "ollama", "qwen2.5:7b", None)]


def test_agent_frameworks_are_requests_with_their_instructions_model_and_cap(tmp_path):
    project, found = calls(tmp_path, "agents")
    assert found == [("Assistant.ask", "anthropic", None, 300),
                     (None, "claude-agent-sdk", "claude-opus-4-1", None),
                     (None, "generic", "claude-haiku-4-5", None),  # an in-house class given model= and prose
                     (None, "generic", "gpt-4o", 700),
                     (None, "openai-agents", "gpt-4.1", None),
                     (None, "openai-agents", "gpt-4.1-mini", 600),
                     (None, "pydantic-ai", "anthropic:claude-sonnet-4-5", 150)]
    by = {r.model: r for r in project.requests}
    assert system_text(project, by["gpt-4.1-mini"]).startswith("You answer questions about invoices")
    assert system_text(project, by["claude-opus-4-1"]).startswith("You are a careful code reviewer")
    assert system_text(project, by["anthropic:claude-sonnet-4-5"]) == (
        "You report the weather for the city the user names, in one sentence. "
        "Use Celsius and mention rain when its chance is above thirty percent.")


def test_prompt_files_read_from_a_package_are_templates_linked_to_their_requests(tmp_path):
    project, found = calls(tmp_path, "prompt_files")
    by = {r.function: r for r in project.requests}
    assert [t for t in by["answer"].templates] == ["helpdesk/prompts/system.md"]
    assert "helpdesk/prompts/escalate.txt" in by["needs_human"].templates
    assert project.templates["helpdesk/prompts/escalate.txt"].placeholders == ("ticket",)
    assert by["warmer"].templates[0] == "helpdesk/prompts/tone"
    assert "helpdesk/data/release_notes.md" not in project.templates  # read, but never sent


def framework_templates(project, path):
    return {t.id: t for t in project.templates.values() if t.span.path == path}


def test_haystack_llamaindex_and_semantic_kernel_prompt_objects_are_templates(tmp_path):
    project = analysed(tmp_path, "haystack").project
    found = framework_templates(project, "pipeline.py")
    rag = next(t for t in found.values() if "Given these documents" in t.text)
    assert set(rag.placeholders) >= {"question"}
    assert any("only recommends trains" in t.text for t in found.values())
    assert not framework_templates(project, "other.py")
    project = analysed(tmp_path, "llamaindex").project
    texts = {t.display() for t in framework_templates(project, "query.py").values()}
    assert any("{context_str}" in t and "{query_str}" in t for t in texts)
    assert any(t.startswith("You refine an existing answer") for t in texts)
    project = analysed(tmp_path, "semantic_kernel").project
    (sk,) = framework_templates(project, "kernel.py").values()
    assert sk.placeholders == ("$input",)


def test_dspy_signatures_are_templates_and_modules_are_requests_on_the_configured_lm(tmp_path):
    project, found = calls(tmp_path, "dspy")
    assert found == [(None, "dspy", "openai/gpt-4o-mini", 400)] * 2
    signature = project.templates["program.py::ClassifyTicket"]
    assert signature.text.splitlines() == ["Classify the support ticket by the team that should handle it.",
                                           "ticket: the customer's message, as written",
                                           "team: one of billing, shipping, technical"]
    chain = next(r for r in project.requests if r.api == "ChainOfThought")
    assert chain.templates == ("program.py::ClassifyTicket",)
    assert not any("Helper" in t for t in project.templates)  # a docstring mentioning prompts is no template


def test_every_registry_entry_is_documented():
    from promptlint.extract.frameworks import DEFINITIONS
    from promptlint.extract.sinks import SINKS

    doc = (ROOT / "docs" / "frameworks.md").read_text(encoding="utf-8")
    missing = [s.name for s in SINKS if f"`{s.name}`" not in doc]
    missing += [d.framework for d in DEFINITIONS if f"`{d.framework}`" not in doc]
    assert not missing


def priced(tmp_path, name):
    """(function, model priced as, $/request, findings' codes) of each request of a fixture."""
    analysis = analysed(tmp_path, name)
    codes: dict[str, set[str]] = {}
    for f in analysis.findings:
        codes.setdefault(f.finding.request, set()).add(f.finding.code)
    return sorted((r.function, analysis.measurements.requests[r.id].model, analysis.request_prices[r.id].usd_per_request,
                   codes.get(r.id, set())) for r in analysis.project.requests)


@pytest.mark.parametrize("name, function, model", [
    ("google", "triage", "google/gemini-2.5-flash"),
    ("google", "summarize", "google/gemini-1.5-flash"),
    ("mistral", "extract_dates", "mistral/mistral-large"),
    ("cohere", "draft_reply", "cohere/command-r-plus"),
    ("compatible", "fast_answer", "groq/llama-3.3-70b-versatile"),
    ("compatible", "translate", "together/meta-llama/Llama-3.3-70B-Instruct-Turbo"),
    ("zhipu", "tag", "zai/GLM-4.5"),
])
def test_another_vendors_request_is_priced_by_its_own_model_on_its_own_api(tmp_path, name, function, model):
    rows = {row[0]: row for row in priced(tmp_path, name)}
    _, priced_as, usd, codes = rows[function]
    assert priced_as == model
    assert usd > 0
    assert "PL403" not in codes  # genai-prices knows it: not an unknown model


def test_a_vendors_model_is_counted_as_an_estimate_never_as_claude_tokens(tmp_path):
    analysis = analysed(tmp_path, "mistral")
    (request,) = analysis.project.requests
    assert analysis.measurements.requests[request.id].count == "estimate"
    assert request.templates and all(analysis.measurements.template_counts[t] == "estimate" for t in request.templates)


def test_ollama_requests_are_local_models_at_no_charge_and_say_so(tmp_path):
    analysis = analysed(tmp_path, "ollama")
    for request in analysis.project.requests:
        assert analysis.measurements.requests[request.id].model.startswith("local/")
        assert analysis.request_prices[request.id].usd_per_request == 0
    codes = {f.finding.code for f in analysis.findings}
    assert not codes & {"PL301", "PL403"}  # nothing billed: no runaway-answer bill, not an unknown model
    assert any("local server" in note for note in analysis.measurements.notes)


def test_litellm_routes_name_the_vendor_and_a_local_server(tmp_path):
    (tmp_path / "app.py").write_text(
        "import litellm\n\n\n"
        "def ask(q):\n"
        "    return litellm.completion(model='gemini/gemini-2.5-flash', max_tokens=100,\n"
        "                              messages=[{'role': 'user', 'content': q}])\n\n\n"
        "def local(q):\n"
        "    return litellm.completion(model='ollama/llama3', max_tokens=100,\n"
        "                              messages=[{'role': 'user', 'content': q}])\n")
    from conftest import run_analysis

    from promptlint.models import ModelCatalog

    analysis = run_analysis(tmp_path)
    by = {r.function: r for r in analysis.project.requests}
    catalog = ModelCatalog()
    assert catalog.canonical(analysis.measurements.requests[by["ask"].id].model) == "google/gemini-2.5-flash"
    assert analysis.request_prices[by["ask"].id].usd_per_request > 0
    assert catalog.canonical(analysis.measurements.requests[by["local"].id].model) == "local/llama3"
    assert analysis.request_prices[by["local"].id].usd_per_request == 0
    assert not {f.finding.code for f in analysis.findings} & {"PL403"}


def test_embeddings_calls_are_priced_on_their_model_and_never_linted_as_prompts(tmp_path):
    from conftest import run_analysis

    (tmp_path / "index.py").write_text(
        "import litellm\n"
        "from openai import OpenAI\n\n"
        "client = OpenAI()\n"
        "QUERY_PREFIX = 'Represent this sentence for searching relevant passages: '\n\n\n"
        "def embed_docs(docs):\n"
        "    return client.embeddings.create(model='text-embedding-3-small', input=docs)\n\n\n"
        "async def embed_query(text):\n"
        "    return await litellm.aembedding(model='text-embedding-3-large', input=[QUERY_PREFIX + text])\n\n\n"
        "def not_an_embedding(store):\n"
        "    return store.embeddings.create(vector=[0.1, 0.2])\n")
    analysis = run_analysis(tmp_path)
    found = sorted((r.function, r.provider, r.api, r.model, r.embedding) for r in analysis.project.requests)
    assert found == [("embed_docs", "openai", "embeddings.create", "text-embedding-3-small", True),
                     ("embed_query", "litellm", "aembedding", "text-embedding-3-large", True)]
    assert not analysis.project.templates  # what is embedded is data, not a prompt
    assert not analysis.findings  # no output cap to set, no prompt to lint
    for r in analysis.project.requests:
        assert analysis.measurements.requests[r.id].model == r.model  # its own model's rate, not the chat default
    assert any("2 of 2 requests are embeddings calls (`text-embedding-3-large`, `text-embedding-3-small`)" in n
               for n in analysis.measurements.notes)


def test_an_embedding_whose_model_is_set_at_run_time_is_not_named_by_a_default(tmp_path):
    (tmp_path / "embed.py").write_text(
        "from openai import OpenAI\n\nclient = OpenAI()\n\n\n"
        "def embed(docs, model):\n"
        "    return client.embeddings.create(model=model, input=docs)\n")
    notes = run_analysis(tmp_path).measurements.notes
    assert any("1 of 1 requests are embeddings calls (1 with the model set at run time)" in n for n in notes), notes


def test_instructor_clients_are_requests_with_model_and_cap(tmp_path):
    _, found = calls(tmp_path, "instructor")
    assert found == [("parse_invoice", "openai", "gpt-4o-mini", 400),
                     ("parse_with_claude", "anthropic", "claude-haiku-4-5", 300),
                     ("stream_total", "openai", "gpt-4o-mini", 100),
                     ("triage", "openai", "claude-sonnet-4-5", 200),  # the model is after the provider's slash
                     ("triage_cheaply", "openai", "claude-haiku-4-5", 50)]


def test_a_prompty_file_run_from_code_is_a_request_at_the_call_counted_once(tmp_path):
    project, found = calls(tmp_path, "prompty_runs")
    assert found == [("answer_all", "yaml", "gpt-4o-mini", 250),
                     ("get_response", "yaml", "gpt-4o-mini", 250),
                     (None, "yaml", "gpt-4o-mini", 120)]  # summary.prompty: no code runs it, a request of its own
    by = {r.function: r for r in project.requests}
    assert by["get_response"].path == "shop/flows/chat_request.py"
    assert by["get_response"].templates == ("shop/flows/chat.prompty::messages[0]", "shop/flows/chat.prompty::messages[1]")
    assert not [r for r in project.requests if r.path == "shop/flows/chat.prompty"]  # never priced twice


def test_a_prompt_folder_read_by_a_run_time_name_counts_as_a_whole(tmp_path):
    project, found = calls(tmp_path, "prompt_folder")
    assert found == [("handle", "anthropic", "claude-haiku-4-5", 200), ("step", "anthropic", "claude-sonnet-4-5", 800)]
    files = {t.id for t in project.templates.values() if t.kind == "text"}
    assert files == {"support/prompts/triage.md", "support/prompts/reply.md",
                     "support/preprompts/plan.txt", "support/preprompts/review.txt"}  # no README, no notes
    by = {r.function: r for r in project.requests}
    assert by["handle"].templates == ("support/prompts/triage.md",)  # counted as the folder's largest file
    assert "a file of the prompt folder `support/prompts/` that code reads" in {
        e.detail for e in project.templates["support/prompts/reply.md"].evidence}


def test_an_agents_sdk_agent_with_no_model_is_priced_as_an_openai_model(tmp_path):
    (tmp_path / "agent.py").write_text(
        "from agents import Agent, Runner\n\n"
        "helper = Agent(name='Study buddy', instructions='You help students plan their revision week by week.')\n\n\n"
        "async def ask(question):\n"
        "    return await Runner.run(helper, question)\n")
    analysis = run_analysis(tmp_path)
    (request,) = [r for r in analysis.project.requests if r.provider == "openai-agents"]
    from promptlint.models import ModelCatalog

    priced = analysis.measurements.requests[request.id].model
    assert ModelCatalog().provider(priced) == "openai", priced


def test_a_model_a_server_on_this_machine_runs_is_free_and_a_vendor_model_sent_through_one_is_billed(tmp_path):
    analysis = analysed(tmp_path, "local_servers")
    priced = {r.function: (analysis.measurements.requests[r.id].model, analysis.request_prices[r.id].usd_per_request)
              for r in analysis.project.requests}
    free = {"review", "explain", "stream_summary", "Proxy.tag", "triage_locally", "triage_in_studio"}
    for function in free:
        assert priced[function][0].startswith("local/") and priced[function][1] == 0, function
    # a hosted base_url, a local URL the environment may replace, a vendor's model through a
    # gateway on localhost: priced as the model they name
    for function, model in (("hosted_review", "gpt-4o-mini"), ("maybe_local", "gpt-4o-mini"),
                            ("Proxy.title", "claude-haiku-4-5"), ("triage_through_gateway", "gpt-4o-mini"),
                            ("triage", "gpt-4o-mini")):
        assert priced[function][0] == model and priced[function][1] > 0, function
    assert set(priced) == free | {"hosted_review", "maybe_local", "Proxy.title", "triage_through_gateway", "triage"}
    by = {r.function: r for r in analysis.project.requests}
    assert any("this machine (http://localhost:1234/v1)" in n for n in by["review"].notes)
    assert any("only as the default" in n for n in by["maybe_local"].notes)
    assert {r.stream for r in analysis.project.requests if r.function == "stream_summary"} == {True}


def test_an_agent_runs_the_model_inside_its_model_object_and_a_test_double_is_no_request(tmp_path):
    from promptlint.models import ModelCatalog

    analysis = analysed(tmp_path, "model_objects")
    priced = {r.model: (r.provider, r.max_tokens, r.max_tokens_dynamic, analysis.measurements.requests[r.id].model,
                        analysis.request_prices[r.id].usd_per_request) for r in analysis.project.requests}
    assert set(priced) == {"gpt-oss:20b", "anthropic/claude-haiku-4-5", "gpt-4.1", None, "llama3.2",
                           "litellm/openai/gpt-4o-mini", "gpt-4.1-mini"}  # no test agent; a suite's agent with no model is none
    assert ModelCatalog().canonical(priced["litellm/openai/gpt-4o-mini"][3]) == "gpt-4o-mini"
    assert priced["gpt-oss:20b"][3] == "local/gpt-oss:20b" and priced["gpt-oss:20b"][4] == 0
    assert priced["llama3.2"][3] == "local/llama3.2" and priced["llama3.2"][4] == 0
    assert priced["anthropic/claude-haiku-4-5"][1] == 500 and priced["anthropic/claude-haiku-4-5"][4] > 0
    house = priced[None]
    assert house[2]  # the cap may be set inside the company's own model object: unknown, not missing
    (house_id,) = [r.id for r in analysis.project.requests if r.model is None]
    capless = {f.finding.request for f in analysis.findings if f.finding.code == "PL301"}
    assert house_id not in capless
    assert {r.id for r in analysis.project.requests if r.model == "gpt-4.1"} <= capless  # a real missing cap


def test_a_hosted_open_model_api_with_a_run_time_model_is_priced_on_that_api_never_as_claude(tmp_path):
    from conftest import run_analysis

    (tmp_path / "groq_client.py").write_text(
        "from groq import Groq\n\n\n"
        "class GroqClient:\n"
        "    def __init__(self, api_key):\n"
        "        self.client = Groq(api_key=api_key)\n\n"
        "    def inference(self, model_id: str, prompt: str) -> str:\n"
        "        completion = self.client.chat.completions.create(\n"
        "            messages=[{'role': 'user', 'content': prompt.strip()}], model=model_id)\n"
        "        return completion.choices[0].message.content\n")
    analysis = run_analysis(tmp_path)
    (request,) = analysis.project.requests
    assert analysis.measurements.requests[request.id].model == "groq/llama-3.3-70b-versatile"


def test_the_pre_1_0_openai_sdk_module_calls_are_requests_with_model_and_cap(tmp_path):
    project, found = calls(tmp_path, "openai_legacy")
    analysis = analysed(tmp_path / "again", "openai_legacy")
    assert found == [("complete_line", "openai", "gpt-3.5-turbo-instruct", None),
                     ("headline", "openai", "gpt-35-turbo", 30),  # Azure's ``engine=`` names the model
                     ("review", "openai", "gpt-4", None)]
    by = {r.function: r for r in project.requests}
    review = by["review"]
    assert [project.templates[p.template].display()[:30] for p in review.parts if p.role == "system"] == [
        "You review pull request descri"]
    assert [p.role for p in by["complete_line"].parts] == ["user"]
    missing_cap = {f.finding.request for f in analysis.findings if f.finding.code == "PL301"}
    assert missing_cap == {review.id}  # the old completions stop at 16 tokens on their own
    assert {r.path.rsplit("/", 1)[-1] for r in project.requests} == {"assistant.py"}  # the ledger rows are not


def test_a_model_a_server_on_this_machine_names_is_never_an_unknown_model(tmp_path):
    """Ollama tags (`gpt-oss:20b`) look like typos of vendor ids (`gpt-oss-20b`), but a local
    server names its own models: no vendor list can judge them. A hosted model id that no
    list knows still is one."""
    analysis = analysed(tmp_path, "model_objects")
    local = {r.id for r in analysis.project.requests if r.model == "gpt-oss:20b"}
    assert local
    flagged = {f.finding.request for f in analysis.findings if f.finding.code == "PL403"}
    assert not flagged & local
    (tmp_path / "hosted").mkdir()
    (tmp_path / "hosted" / "app.py").write_text(
        "from openai import OpenAI\n\nclient = OpenAI()\n\n\n"
        "def ask(q):\n"
        "    return client.chat.completions.create(model=\"gpt-oss:20b\", max_tokens=50,\n"
        "        messages=[{\"role\": \"user\", \"content\": \"Answer the question in one line: \" + q}])\n")
    from conftest import run_analysis

    hosted = run_analysis(tmp_path / "hosted")
    assert any(f.finding.code == "PL403" and "gpt-oss:20b" in f.finding.message for f in hosted.findings)


def test_a_server_whose_url_is_set_at_run_time_and_takes_no_key_is_self_hosted(tmp_path):
    """``OpenAI(base_url=config.endpoint(), api_key="not-needed")`` is how LM Studio, vLLM and
    Ollama are reached: the model it runs bills nothing. A real key, or a vendor's model
    forwarded through it, is billed as before."""
    from conftest import run_analysis

    (tmp_path / "clients.py").write_text(
        "from openai import OpenAI\n\nfrom .config import Config\n\n\n"
        "class Studio:\n"
        "    def __init__(self):\n"
        "        self.client = OpenAI(base_url=Config().studio_endpoint(), api_key=\"not-needed\")\n\n"
        "    def inference(self, model_id: str, prompt: str) -> str:\n"
        "        return self.client.chat.completions.create(model=model_id, max_tokens=300,\n"
        "            messages=[{\"role\": \"user\", \"content\": \"Summarize this file: \" + prompt}])\n\n\n"
        "class Forwarded:\n"
        "    def __init__(self):\n"
        "        self.client = OpenAI(base_url=Config().studio_endpoint(), api_key=\"EMPTY\")\n\n"
        "    def inference(self, prompt: str) -> str:\n"
        "        return self.client.chat.completions.create(model=\"gpt-4o-mini\", max_tokens=300,\n"
        "            messages=[{\"role\": \"user\", \"content\": \"Summarize this file: \" + prompt}])\n\n\n"
        "class Hosted:\n"
        "    def __init__(self, key):\n"
        "        self.client = OpenAI(base_url=Config().gateway(), api_key=key)\n\n"
        "    def inference(self, model_id: str, prompt: str) -> str:\n"
        "        return self.client.chat.completions.create(model=model_id, max_tokens=300,\n"
        "            messages=[{\"role\": \"user\", \"content\": \"Summarize this file: \" + prompt}])\n")
    analysis = run_analysis(tmp_path)
    priced = {r.function: (analysis.measurements.requests[r.id].model, analysis.request_prices[r.id].usd_per_request)
              for r in analysis.project.requests}
    assert priced["Studio.inference"][0].startswith("local/") and priced["Studio.inference"][1] == 0
    assert priced["Forwarded.inference"][0] == "gpt-4o-mini" and priced["Forwarded.inference"][1] > 0
    assert not priced["Hosted.inference"][0].startswith("local/") and priced["Hosted.inference"][1] > 0
    (studio,) = [r for r in analysis.project.requests if r.function == "Studio.inference"]
    assert any("self-hosted server" in n for n in studio.notes)


def test_an_agents_instructions_given_as_a_function_are_what_it_returns(tmp_path):
    """The Agents SDK calls ``instructions=fn`` with (run context, agent) on every run: the
    text sent is what ``fn`` returns (its largest branch counted). A constant given by name is
    its text; a function the caller passes in is not known here, as before."""
    from conftest import run_analysis

    import textwrap

    (tmp_path / "styles.py").write_text(textwrap.dedent('''\
        from agents import Agent, RunContextWrapper

        STYLE_FREE = "Answer the user's question about the weather in one short paragraph."


        def styled(run_context: RunContextWrapper, agent: Agent) -> str:
            if run_context.context.style == "haiku":
                return "Only respond in haikus about the weather the user asks about."
            return "Respond as a cheerful weather presenter, in two sentences at most."


        dynamic = Agent(name="dynamic", instructions=styled, model="gpt-4.1-mini")
        constant = Agent(name="constant", instructions=STYLE_FREE, model="gpt-4.1-mini")


        def build(instructions_fn):
            return Agent(name="passed", instructions=instructions_fn, model="gpt-4.1-mini")
        '''))
    analysis = run_analysis(tmp_path)
    by_name = {r.id: r for r in analysis.project.requests}
    dynamic, constant = by_name["styles.py::<module>::Agent#1"], by_name["styles.py::<module>::Agent#2"]
    branches = {"Only respond in haikus about the weather the user asks about.",
                "Respond as a cheerful weather presenter, in two sentences at most."}
    assert dynamic.templates and {analysis.project.templates[t].text for t in dynamic.templates} <= branches
    assert not dynamic.unresolved
    assert branches <= {t.text for t in analysis.project.templates.values()}  # each return is a template
    assert {analysis.project.templates[t].text for t in constant.templates} == {
        "Answer the user's question about the weather in one short paragraph."}
    (passed,) = [r for r in by_name.values() if r.function == "build"]
    assert not passed.templates  # a function the caller passes in: nothing known, nothing invented


def test_an_agent_of_a_generic_class_given_its_context_type_is_the_agent_a_plain_call_is(tmp_path):
    """``Agent[AirlineContext](...)`` calls the class ``Agent``: the same request and prompt as
    ``Agent(...)``; a dict of handlers called by key (``BUILDERS["faq"](...)``) is no such call."""
    from conftest import run_analysis

    (tmp_path / "airline.py").write_text(
        "from dataclasses import dataclass\n"
        "from agents import Agent\n\n\n"
        "@dataclass\nclass AirlineContext:\n    seat: str | None = None\n\n\n"
        "faq = Agent[AirlineContext](name='FAQ', model='gpt-4.1-mini',\n"
        "    instructions='You answer questions about baggage and seats. Use the lookup tool; never guess.')\n"
        "plain = Agent(name='Plain', model='gpt-4.1-mini',\n"
        "    instructions='You answer questions about baggage and seats. Use the lookup tool; never guess.')\n"
        "BUILDERS = {'faq': Agent}\n"
        "other = BUILDERS['faq'](name='Keyed', model='gpt-4.1-mini', instructions='You book seats for the user.')\n")
    analysis = run_analysis(tmp_path)
    agents = sorted((r.span.line, r.model) for r in analysis.project.requests if r.provider == "openai-agents")
    assert agents == [(10, "gpt-4.1-mini"), (12, "gpt-4.1-mini")]
    (generic,) = [r for r in analysis.project.requests if r.span.line == 10]
    text = " ".join(analysis.project.templates[t].text for t in generic.templates)
    assert "never guess" in text


def test_crewai_agno_google_adk_and_llama_index_agents_are_requests_with_their_prompts_model_and_cap(tmp_path):
    """Each framework's agent is a registry entry: its prompt fields are the system prompt,
    its model (a string, or a model object holding the id and the cap) and its cap are read
    where the framework keeps them. An in-house ``Agent`` given ``role=`` is not CrewAI's."""
    from conftest import run_analysis, write_tree

    write_tree(tmp_path, {
        "crew.py": (
            "from crewai import Agent, LLM, Task\n\n"
            "researcher = Agent(\n"
            "    role='Senior market researcher',\n"
            "    goal='Find the three most important trends in the {sector} market this quarter',\n"
            "    backstory='You are a careful analyst who cites a source for every claim and never speculates.',\n"
            "    llm=LLM(model='gpt-4o', max_tokens=800),\n)\n"
            "writer = Agent(role='Writer', goal='Write a one-page brief from the research notes for executives',\n"
            "               backstory='You write plainly, in short paragraphs, for busy readers.', llm='gpt-4o-mini')\n"
            "research = Task(description='Research the {sector} market and list what changed since last quarter.',\n"
            "                expected_output='A bullet list of at most five trends, each with its source.', agent=researcher)\n"),
        "coach.py": (
            "from agno.agent import Agent\nfrom agno.models.openai import OpenAIChat\n\n"
            "coach = Agent(\n    model=OpenAIChat(id='gpt-4o', max_tokens=600),\n"
            "    description='You are a helpful fitness coach who remembers past workouts.',\n"
            "    instructions=['Suggest one workout a day.', 'Keep every answer under 120 words and say why it helps.'],\n)\n"),
        "health/agent.py": (
            "from google.adk.agents import Agent\n\n"
            "root_agent = Agent(\n    name='health_assistant',\n    model='gemini-2.5-flash',\n"
            "    description='Answers health questions',\n"
            "    instruction='''You are a helpful healthcare assistant. Ask one question at a time,\n"
            "never diagnose, and tell the user to see a doctor for anything urgent.''',\n)\n"),
        "tutor.py": (
            "from llama_index.core.agent.workflow import FunctionAgent\nfrom llama_index.llms.openai import OpenAI\n\n\n"
            "class Tutor:\n    def __init__(self):\n        self.llm = OpenAI(model='gpt-4o-mini', max_tokens=700)\n"
            "        self.agent = FunctionAgent(name='Tutor', description='Explains concepts', llm=self.llm,\n"
            "            system_prompt='You are a patient programming tutor. End with one practice question.')\n"),
        "team/people.py": (
            "class Agent:\n    def __init__(self, role, goal):\n        self.role, self.goal = role, goal\n\n\n"
            "support = Agent(role='Support engineer', goal='Answer tickets within a day and close them when solved')\n"),
    })
    analysis = run_analysis(tmp_path)
    requests = {(r.path, r.span.line): r for r in analysis.project.requests}
    assert set(requests) == {("crew.py", 3), ("crew.py", 9), ("coach.py", 4), ("health/agent.py", 3), ("tutor.py", 8)}
    facts = {key: (r.provider, r.model, r.max_tokens) for key, r in requests.items()}
    assert facts[("crew.py", 3)] == ("crewai", "gpt-4o", 800)
    assert facts[("crew.py", 9)] == ("crewai", "gpt-4o-mini", None)
    assert facts[("coach.py", 4)] == ("agno", "gpt-4o", 600)
    assert facts[("health/agent.py", 3)] == ("google-adk", "gemini-2.5-flash", None)
    assert facts[("tutor.py", 8)] == ("llama-index-agent", "gpt-4o-mini", 700)  # through self.llm

    def system(key):
        return " ".join(analysis.project.templates[t].text for t in requests[key].templates)
    assert "Senior market researcher" in system(("crew.py", 3)) and "never speculates" in system(("crew.py", 3))
    assert "under 120 words" in system(("coach.py", 4)) and "fitness coach" in system(("coach.py", 4))
    assert "never diagnose" in system(("health/agent.py", 3))
    assert "Answers health questions" not in system(("health/agent.py", 3))  # routing text for a parent agent
    assert not any(t.path == "team/people.py" for t in analysis.project.templates.values())
    task = analysis.project.templates["crew.py::research"]  # the task's prompt: both texts, as CrewAI joins them
    assert "".join(s.text if s.hole is None else "{" + s.hole + "}" for s in task.segments) == (
        "Research the {sector} market and list what changed since last quarter.\n\n"
        "A bullet list of at most five trends, each with its source.")


def test_autogen_langgraph_semantic_kernel_and_smolagents_agents_are_requests(tmp_path):
    """Four more registry entries, each with its model object (or string) and its cap; a
    project's own ``AssistantAgent`` with no framework imported is not one."""
    from conftest import run_analysis, write_tree

    write_tree(tmp_path, {
        "agents.py": (
            "from autogen_agentchat.agents import AssistantAgent\n"
            "from autogen_ext.models.openai import OpenAIChatCompletionClient\n"
            "from langchain_openai import ChatOpenAI\n"
            "from langgraph.prebuilt import create_react_agent\n"
            "from semantic_kernel.agents import ChatCompletionAgent\n"
            "from semantic_kernel.connectors.ai.open_ai import OpenAIChatCompletion\n"
            "from smolagents import CodeAgent, LiteLLMModel\n\n"
            "planner = AssistantAgent('planner', model_client=OpenAIChatCompletionClient(model='gpt-4o', max_tokens=400),\n"
            "    system_message='You plan trips. Ask for dates and budget first, then give a day-by-day plan.')\n"
            "graph = create_react_agent(ChatOpenAI(model='gpt-4o-mini', max_tokens=300), tools=[],\n"
            "    prompt='You are a support agent. Answer from the knowledge base tool only; never guess.')\n"
            "graph2 = create_react_agent('anthropic:claude-sonnet-4-5', [],\n"
            "    prompt='You summarize tickets in two sentences for the on-call engineer.')\n"
            "host = ChatCompletionAgent(service=OpenAIChatCompletion(ai_model_id='gpt-4o'), name='Host',\n"
            "    instructions='Answer questions about the menu. Keep every answer under 50 words.')\n"
            "coder = CodeAgent(tools=[], model=LiteLLMModel(model_id='gpt-4o', max_tokens=1000),\n"
            "    instructions='Write small, tested Python functions and explain each in one line.')\n"),
        "legacy.py": (
            "import autogen\n\n"
            "analyst = autogen.AssistantAgent(name='analyst', llm_config={'model': 'gpt-4', 'max_tokens': 500},\n"
            "    system_message='You are a careful data analyst. Show your working, then the answer.')\n"),
        "inhouse.py": (
            "class AssistantAgent:\n    def __init__(self, name, system_message):\n        self.name = name\n\n\n"
            "bot = AssistantAgent('bot', system_message='You greet visitors at the front desk and call the host.')\n"),
    })
    analysis = run_analysis(tmp_path)
    facts = {(r.path, r.span.line): (r.provider, r.model, r.max_tokens) for r in analysis.project.requests}
    assert facts == {
        ("agents.py", 9): ("autogen", "gpt-4o", 400),
        ("agents.py", 11): ("langgraph", "gpt-4o-mini", 300),
        ("agents.py", 13): ("langgraph", "anthropic:claude-sonnet-4-5", None),
        ("agents.py", 15): ("semantic-kernel-agent", "gpt-4o", None),
        ("agents.py", 17): ("smolagents", "gpt-4o", 1000),
        ("legacy.py", 3): ("autogen", "gpt-4", 500),
    }
    (colon,) = [r for r in analysis.project.requests if r.model == "anthropic:claude-sonnet-4-5"]
    from promptlint.models import ModelCatalog

    assert ModelCatalog().canonical(analysis.measurements.requests[colon.id].model) == "claude-sonnet-4-5"
    assert analysis.request_prices[colon.id].usd_per_request > 0  # "provider:model" is priced as the model
    texts = " ".join(t.text for t in analysis.project.templates.values())
    for words in ("day-by-day plan", "never guess", "on-call engineer", "under 50 words", "one line", "Show your working"):
        assert words in texts
    assert not any(t.path == "inhouse.py" and "AssistantAgent" in t.id for t in analysis.project.templates.values())


def test_a_framework_agent_with_no_model_is_priced_as_its_frameworks_default_vendor(tmp_path):
    """CrewAI, Agno, AutoGen, Semantic Kernel and LlamaIndex run on OpenAI's models when the
    agent names none, Google ADK on Gemini: not on the configured default (a Claude model)."""
    from conftest import run_analysis, write_tree
    from promptlint.models import ModelCatalog

    write_tree(tmp_path, {
        "crew.py": ("from crewai import Agent\n\n"
                    "analyst = Agent(role='Analyst', goal='Summarise the quarter in five bullet points for the board',\n"
                    "                backstory='You have read every report this year and cite the page of each claim.')\n"),
        "adk.py": ("from google.adk.agents import Agent\n\n"
                   "root = Agent(name='helper', instruction='You answer questions about our opening hours in one sentence.')\n"),
    })
    analysis = run_analysis(tmp_path, {"default-model": "claude-sonnet-4-5"})
    catalog = ModelCatalog()
    vendors = {r.provider: catalog.provider(analysis.measurements.requests[r.id].model) for r in analysis.project.requests}
    assert vendors == {"crewai": "openai", "google-adk": "google"}
