"""Files code reads as bytes (an image, a PDF it base64-encodes into a content block) are
data the request sends, not prompt text: no PL001 parse error on them, and the request's
text prompt is still found and counted."""

from __future__ import annotations

from conftest import run_analysis, write_tree

APP = '''import base64
import anthropic

client = anthropic.Anthropic()
SYSTEM_PROMPT = "You are an analyst. Summarise the chart and the report for an executive in three bullet points."

with open("assets/chart.png", "rb") as chart_file:
    raw = chart_file.read()
    chart = base64.b64encode(raw).decode("utf-8")

with open("assets/report.pdf", "rb") as handle:
    report = base64.b64encode(handle.read()).decode("utf-8")

notes = open("assets/notes.txt").read()

message_list = [
    {"role": "user", "content": [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": chart}},
        {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": report}},
        {"type": "text", "text": notes},
    ]}
]

response = client.messages.create(
    model="claude-haiku-4-5",
    max_tokens=400,
    system=SYSTEM_PROMPT,
    messages=message_list,
)
'''
PNG = b"\\x89PNG\\r\\n\\x1a\\n\\x00\\x00\\x00\\rIHDR\\x00\\x00\\x00\\x10\\xff\\xd8".decode("unicode_escape").encode("latin-1")
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nstream\n\x00\x9c\xff\nendstream\n"


def test_binary_files_read_by_code_are_data_not_parse_errors(tmp_path):
    root = write_tree(tmp_path, {"app.py": APP, "assets/chart.png": PNG, "assets/report.pdf": PDF,
                                 "assets/notes.txt": "Quarterly notes: revenue grew in every region.\n"})
    analysis = run_analysis(root, select=("ALL",))
    errors = [(f.finding.code, f.finding.span.path) for f in analysis.findings if f.finding.code == "PL001"]
    assert errors == []
    assert [d.path for d in analysis.project.diagnostics if d.code == "PL001"] == []
    # the text the request sends is still found: the system prompt and the text file it reads
    ids = set(analysis.project.templates)
    assert "assets/notes.txt" in ids
    assert any(t.name == "SYSTEM_PROMPT" for t in analysis.project.templates.values())
    assert not {"assets/chart.png", "assets/report.pdf"} & ids


def test_an_undecodable_python_file_is_still_a_parse_error(tmp_path):
    root = write_tree(tmp_path, {"broken.py": b"PROMPT = '\xff\xfe not utf-8'\n"})
    analysis = run_analysis(root, select=("ALL",))
    assert [(f.finding.code, f.finding.span.path) for f in analysis.findings] == [("PL001", "broken.py")]
