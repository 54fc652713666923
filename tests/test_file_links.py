"""Requests whose prompt is read from a file of the tree are linked to that file's template."""

from __future__ import annotations

from conftest import run_analysis

CALL = "client.messages.create(model='claude-sonnet-4-5', max_tokens=100, system={system}, messages=[{{'role': 'user', 'content': q}}])"


def app(body: str, system: str) -> str:
    return ("import anthropic\nfrom pathlib import Path\nfrom jinja2 import Environment, FileSystemLoader\n"
            "client = anthropic.Anthropic()\n" + body + "\ndef answer(q, user=None):\n"
            f"    return {CALL.format(system=system)}\n")


def request_of(root, path="app/bot.py"):
    analysis = run_analysis(root)
    (request,) = [r for r in analysis.project.requests if r.path == path]
    return analysis, request


def test_get_template_render_links_the_jinja_file_under_the_loader_root(project):
    root = project({
        "app/bot.py": app('env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"))',
                          'env.get_template("answer.j2").render(user=user)'),
        "app/templates/answer.j2": "You answer questions for {{ user }}.\n{% include 'policy.j2' %}",
        "app/templates/policy.j2": "Refunds take five business days after we receive the item.",
        "other/answer.j2": "A different template with the same name.",
    })
    analysis, request = request_of(root)
    assert request.templates == ("app/templates/answer.j2",)
    assert not request.unresolved
    counts = analysis.measurements.requests[request.id]
    included = analysis.measurements.templates["app/templates/policy.j2"]
    assert counts.parts[0] == analysis.measurements.templates["app/templates/answer.j2"] > included > 0
    assert analysis.project.templates["app/templates/answer.j2"].role == "system"


def test_read_text_beside_the_code_is_a_text_template(project):
    root = project({
        "app/bot.py": app('PROMPTS = Path(__file__).parent / "prompts"', '(PROMPTS / "system.md").read_text()'),
        "app/prompts/system.md": "You are ACME's support assistant.\nAnswer in two sentences.\n",
    })
    analysis, request = request_of(root)
    template = analysis.project.templates["app/prompts/system.md"]
    assert (template.kind, template.role, template.path) == ("text", "system", "app/prompts/system.md")
    assert request.templates == ("app/prompts/system.md",)
    assert all(s.exact for s in template.segments)


def test_open_read_and_with_open_resolve_from_the_project_root(project):
    body = "with open('prompts/policy.txt') as f:\n    POLICY = f.read()\n"
    root = project({"app/bot.py": app(body, "POLICY + open('prompts/tone.txt').read()"),
                    "prompts/policy.txt": "Refunds within 30 days.", "prompts/tone.txt": " Be warm."})
    analysis, request = request_of(root)
    (template,) = [analysis.project.templates[t] for t in request.templates]
    assert template.text == "Refunds within 30 days. Be warm."
    assert {s.span.path for s in template.segments} == {"prompts/policy.txt", "prompts/tone.txt"}


def test_format_on_file_text_keeps_the_file_template_and_its_holes(project):
    root = project({
        "app/bot.py": app("", "Path('prompts/summary.txt').read_text().format(product='ACME', user=user)"),
        "prompts/summary.txt": "Summarize the ticket about {product} for {user}.",
    })
    analysis, request = request_of(root)
    template = analysis.project.templates[request.templates[0]]
    assert template.text == "Summarize the ticket about ACME for ."
    assert template.placeholders == ("user",)


def test_unique_path_suffix_is_found_when_no_folder_matches(project):
    root = project({
        "src/app/bot.py": app("", "Path('/srv/app/prompts/long_system.txt').read_text()"),
        "src/app/prompts/long_system.txt": "You are a meticulous assistant.",
    })
    _, request = request_of(root, "src/app/bot.py")
    assert request.templates == ("src/app/prompts/long_system.txt",)


def test_missing_file_is_unresolved_with_its_name(project):
    root = project({"app/bot.py": app("", "Path('prompts/nope.txt').read_text()")})
    analysis, request = request_of(root)
    assert "prompts/nope.txt" in request.unresolved[0]
    assert any(f.finding.code == "PL002" for f in analysis.findings)


def test_excluded_files_are_not_read(project):
    root = project({"app/bot.py": app("", "Path('build/prompt.txt').read_text()"), "build/prompt.txt": "Hidden."})
    _, request = request_of(root)
    assert request.unresolved


def test_a_value_of_a_yaml_prompt_file_loaded_by_code_is_that_template(project):
    body = "import yaml\nPROMPTS = yaml.safe_load(open('prompts/support.yaml'))\n"
    root = project({
        "app/bot.py": app(body, "PROMPTS['triage']['system']"),
        "prompts/support.yaml": "triage:\n  system: |\n    Sort the message into billing, shipping or other.\n"
                                "  user: 'Message: {text}'\n",
    })
    analysis, request = request_of(root)
    assert request.templates == ("prompts/support.yaml::triage.system",)
    template = analysis.project.templates["prompts/support.yaml::triage.system"]
    assert (template.kind, template.role) == ("yaml", "system")


def test_a_yaml_key_that_is_not_a_prompt_is_unresolved(project):
    body = "import yaml\nPROMPTS = yaml.safe_load(open('prompts/support.yaml'))\n"
    root = project({"app/bot.py": app(body, "PROMPTS['triage']['model']"),
                    "prompts/support.yaml": "triage:\n  model: gpt-4o\n  system: Sort the message into queues.\n"})
    _, request = request_of(root)
    assert "triage.model" in request.unresolved[0]


def test_scanning_only_the_code_file_still_reads_the_template_it_renders(project):
    from promptlint.config import parse_config
    from promptlint.engine import analyze

    root = project({
        "app/bot.py": app('env = Environment(loader=FileSystemLoader("templates"))', 'env.get_template("a.j2").render()'),
        "templates/a.j2": "Intro.\n{% include 'b.j2' %}",
        "templates/b.j2": "Rules from the included file.",
    })
    analysis = analyze([root / "app" / "bot.py"], parse_config({}, root=str(root)))  # as pre-commit passes files
    (request,) = analysis.project.requests
    assert request.templates == ("templates/a.j2",)
    assert analysis.project.templates["templates/a.j2"].text == "Intro.\nRules from the included file."


def test_a_path_tail_picks_the_one_file_it_names_and_follows_the_tree_as_it_changes():
    """The suffix search (a container path such as ``/srv/app/x.txt``): the longest tail
    one file ends with; none when two do; a file the tree gains later, or a path set
    replaced whole (as ``fix`` does), is searched too."""
    from promptlint.extract.filelinks import TreeFiles
    from promptlint.extract.result import FileResult

    def load(path, kind):
        return FileResult(path=path, kind=kind)

    tree = TreeFiles((), known=["a/prompts/x.txt", "b/prompts/x.txt", "b/other/y.txt", "x.txt.bak"], load=load)
    assert tree.find("/srv/b/prompts/x.txt", "src/bot.py", "text").path == "b/prompts/x.txt"
    assert tree.find("/srv/prompts/x.txt", "src/bot.py", "text") is None, "two files end with prompts/x.txt"
    assert tree.find("/srv/y.txt", "src/bot.py", "text").path == "b/other/y.txt"
    assert tree.find("/srv/z.txt", "src/bot.py", "text") is None
    tree.paths.add("c/z.txt")
    assert tree.find("/srv/z.txt", "src/bot.py", "text").path == "c/z.txt"
    tree.paths = {"d/w.txt"}
    assert tree.find("/srv/w.txt", "src/bot.py", "text").path == "d/w.txt"
    assert tree.find("/srv/y.txt", "src/bot.py", "text") is None


ASSETS = {  # a folder that is not named for prompts: only what code reads is a prompt
    "app/assets/persona.md": "You are Ada, the billing assistant.\n",
    "app/assets/rules.md": "Never promise refunds.\n",
    "app/assets/format.md": "Answer in three short paragraphs.\n",
    "app/assets/NOTES.md": "Maintainer notes that no code reads.\n",
}
HERE = 'HERE = Path(__file__).parent\nSECTIONS = ["persona.md", "rules.md", "format.md"]\n'


def _sections_prompt(project, body: str):
    root = project({"app/bot.py": app(HERE + body, "system_prompt()"), **ASSETS})
    analysis, request = request_of(root)
    (template,) = [analysis.project.templates[t] for t in request.templates]
    return template


def test_a_loop_over_a_literal_list_of_files_sends_each_file_in_order(project):
    template = _sections_prompt(project, (
        "def system_prompt():\n    parts = []\n    for name in SECTIONS:\n"
        "        parts.append((HERE / 'assets' / name).read_text())\n    return '\\n'.join(parts)\n"))
    assert template.text == "You are Ada, the billing assistant.\n\nNever promise refunds.\n\nAnswer in three short paragraphs.\n"
    assert [s.span.path for s in template.segments if s.text.strip()] == [
        "app/assets/persona.md", "app/assets/rules.md", "app/assets/format.md"]
    assert "Maintainer" not in template.text


def test_a_comprehension_and_an_augmented_text_over_a_literal_list_read_the_same_files(project):
    joined = _sections_prompt(project, (
        "def system_prompt():\n    return ''.join((HERE / 'assets' / n).read_text() for n in SECTIONS)\n"))
    grown = _sections_prompt(project, (
        "def system_prompt():\n    text = ''\n    for name in ('persona.md', 'rules.md', 'format.md'):\n"
        "        text += open(HERE / 'assets' / name).read()\n    return text\n"))
    expected = "You are Ada, the billing assistant.\nNever promise refunds.\nAnswer in three short paragraphs.\n"
    assert joined.text == grown.text == expected


def test_a_list_reset_in_each_iteration_or_a_run_time_list_is_not_unrolled(project):
    reset = _sections_prompt(project, (
        "def system_prompt():\n    for name in SECTIONS:\n        parts = []\n"
        "        parts.append((HERE / 'assets' / name).read_text())\n    return ''.join(parts)\n"))
    assert "Never promise refunds" not in reset.text  # one file per iteration, not all three
    listed = _sections_prompt(project, (
        "import os\ndef system_prompt():\n    parts = []\n    for name in sorted(os.listdir(HERE / 'assets')):\n"
        "        parts.append((HERE / 'assets' / name).read_text())\n    return ''.join(parts)\n"))
    assert "Maintainer" not in listed.text and "billing assistant" not in listed.text


def test_a_request_inside_the_loop_sees_one_item_not_the_whole_list(project):
    root = project({"app/bot.py": (
        "import anthropic\nclient = anthropic.Anthropic()\nQUESTIONS = ['What is the refund window?', 'Who signs invoices?']\n"
        "def survey():\n    messages = []\n    for q in QUESTIONS:\n"
        "        messages.append({'role': 'user', 'content': q})\n"
        "        client.messages.create(model='claude-sonnet-4-5', max_tokens=50, messages=messages)\n")})
    _, request = request_of(root)
    texts = [p for p in request.parts if p.section == "messages"]
    assert len(texts) == 1  # the list as the first request sends it, never both questions at once


def test_a_name_bound_from_the_loop_variable_takes_each_item_in_turn(project):
    template = _sections_prompt(project, (
        "def system_prompt():\n    parts = []\n    for name in SECTIONS:\n        path = HERE / 'assets' / name\n"
        "        text = path.read_text()\n        parts.append(text)\n    return '\\n'.join(parts)\n"))
    assert template.text == "You are Ada, the billing assistant.\n\nNever promise refunds.\n\nAnswer in three short paragraphs.\n"


GLOSSARY = ("# Glossary\n\n## Obligation\n\nA binding agreement to pay, made when an award is signed. When you see an "
            "obligation in a report, you should read it as a promise, not a payment.\n\n## Outlay\n\nThe money actually "
            "paid out. Do not confuse it with an obligation, and always compare the two for the same fiscal year.\n")
# A setup script's schema constant: enough for the byte prefilter to read the file.
SETUP = ("from pathlib import Path\n\nROOT = Path('.')\n"
         "SCHEMA_SQL = \"\"\"\nCREATE TABLE IF NOT EXISTS terms (term TEXT, definition TEXT);\n"
         "-- list every term once\n\"\"\"\n")


def test_a_path_no_code_reads_is_not_the_prose_of_its_file(project):
    """A constant holding a path (``ROOT / "schema" / "glossary.md"``) that code only writes is
    no prompt, however much the file reads like one; read, or named like a prompt, it is."""
    root = project({
        "setup_db.py": SETUP + ("GLOSSARY_PATH = ROOT / 'schema' / 'glossary.md'\n\n\n"
                                "def fetch_glossary(lines):\n    GLOSSARY_PATH.write_text('\\n'.join(lines), encoding='utf-8')\n"),
        "schema/glossary.md": GLOSSARY,
    })
    assert "schema/glossary.md" not in run_analysis(root).project.templates
    for body in ("GLOSSARY = (ROOT / 'schema' / 'glossary.md').read_text()\n",
                 "GLOSSARY = open(Path('schema') / 'glossary.md').read()\n",
                 "SYSTEM_PROMPT_FILE = ROOT / 'schema' / 'glossary.md'\n"):
        root = project({"setup_db.py": SETUP + body, "schema/glossary.md": GLOSSARY})
        assert "schema/glossary.md" in run_analysis(root).project.templates, body
