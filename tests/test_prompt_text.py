"""Units under the text rules: locating text in source, sentences, packs, example similarity."""

from __future__ import annotations

import pytest

from promptlint.checks.examples import normalize, similarity
from promptlint.checks.packs import Category, Matcher, PackError, matcher, parse_categories, phrase_regex
from promptlint.checks.prompt_text import TextView, cut, sentences
from promptlint.types import Segment, Span, Template


def template(*segments: Segment, span: Span | None = None) -> Template:
    span = span or Span("p.j2", 1, 1, end_line=9)
    return Template("p.j2", "p.j2", span, "jinja", "system", segments)


def test_locate_in_exact_segments_gives_line_and_column():
    source = "Hello {{ name }}.\nPlease answer briefly.\n"
    first = Segment("Hello ", span=Span("p.j2", 1, 1, 1, 7, 0, 6), exact=True)
    hole = Segment(hole="name", span=Span("p.j2", 1, 7, 1, 17, 6, 16))
    rest = Segment(".\nPlease answer briefly.\n", span=Span("p.j2", 1, 17, 3, 1, 16, len(source)), exact=True)
    view = TextView(template(first, hole, rest))
    offset = view.text.index("Please")
    where = view.locate(offset)
    assert (where.line, where.column) == (2, 1)
    assert (view.locate(view.text.index("answer")).line, view.locate(view.text.index("answer")).column) == (2, 8)
    assert view.display(view.text) == "Hello {name}.\nPlease answer briefly.\n"
    assert view.static(view.text) == "Hello .\nPlease answer briefly.\n"


def test_locate_in_a_python_literal_counts_newlines_and_stays_inside_it():
    literal = Segment("\nYou answer questions.\nPlease be brief.\n", span=Span("a.py", 3, 17, end_line=6))
    view = TextView(template(literal, span=Span("a.py", 3, 17, end_line=6)))
    where = view.locate(view.text.index("Please"))
    assert (where.path, where.line, where.column, where.end_line) == ("a.py", 5, 1, 6)
    escaped = Segment("a\nb", span=Span("b.py", 2, 5, end_line=2))  # "a\nb" written on one source line
    assert TextView(template(escaped)).locate(3).line == 2


def test_sentences_join_wrapped_lines_and_split_list_items():
    text = ("You are a support agent with more than\ntwenty years of experience. You know VAT.\n\n"
            "## Rules\n- Never ask for passwords,\n  card numbers or codes.\n1. Read the record. Then answer.\n")
    found = [text[s.start:s.end] for s in sentences(text)]
    assert found == ["You are a support agent with more than\ntwenty years of experience.", "You know VAT.", "Rules",
                     "Never ask for passwords,\n  card numbers or codes.", "Read the record.", "Then answer."]
    assert sentences("Keep it SHORT!\n")[0].key == "keep it short"


def test_cut_removes_the_joining_whitespace():
    assert cut("Please reply now.", 0, 6) == "reply now."
    assert cut("Always make sure to include it.", 7, 19) == "Always include it."
    assert cut("One.\nTwo.\nThree.", 5, 9) == "One.\nThree."


def test_phrases_match_on_word_boundaries_and_any_whitespace():
    matcher = Matcher([Category("politeness", ("please", "thank you"))])
    assert [h.text for h in matcher.find("Please answer. Thank\n  you! We are pleased; pleasers.")] == ["Please", "Thank\n  you"]
    assert phrase_regex("I'd like") == r"\bI'd\s+like\b"


def test_malformed_packs_are_errors():
    with pytest.raises(PackError, match="bad pattern"):
        Matcher([Category("x", patterns=("(unclosed",))], "my-pack.yaml")
    with pytest.raises(PackError, match="must be a list of strings"):
        parse_categories({"x": {"phrases": "please"}}, "my-pack.yaml")


def test_compiled_matchers_are_not_shared_by_categories_that_differ_only_in_extra_keys():
    """Regression: the matcher cache was keyed on names, phrases and patterns only, so a
    case-sensitive category (or one with another cap or veto) got a matcher built for the other."""
    loose = matcher([Category("acronym", ("API",))])
    strict = matcher([Category("acronym", ("API",), extra={"case": "sensitive", "cap": [16]})])
    assert [h.text for h in loose.find("the api")] == ["api"]
    assert strict.find("the api") == [] and [h.text for h in strict.find("the API")] == ["API"]
    assert strict.categories["acronym"].extra == {"case": "sensitive", "cap": [16]}
    assert loose.categories["acronym"].extra == {}


def test_examples_differing_only_in_values_normalize_alike():
    a = normalize("Where is order A-1234 placed on 2024-03-02 for 'Blue Kettle'? Email me at jo@example.com")
    b = normalize("Where is order B-9876 placed on March 5th, 2024 for \"Red Toaster\"? Email me at al@example.org")
    assert a == b
    assert similarity(a, b) == 1.0
    assert similarity(normalize("Where is my parcel?"), normalize("I want to return the kettle.")) < 0.2
