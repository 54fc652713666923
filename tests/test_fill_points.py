"""A template filled by a substitution (``.replace("{{TASK}}", TASK)``, ``.format``, ``%``,
``Template.substitute``) is written to take a different value on each use: the value is
counted, but the text from the fill point on is not a static prefix a cache can hold, as
for an f-string hole. The same long text with nothing filled in stays cacheable."""

from __future__ import annotations

from conftest import run_analysis

RULES = " ".join(f"Rule {i}: when the customer asks about topic {i}, answer with policy paragraph {i} and cite it."
                 for i in range(220))

APP = f'''\
import string

import anthropic

client = anthropic.Anthropic()
GUIDE = """{RULES}

The task for which you will write instructions: {{{{TASK}}}}
"""
FORMATTED = """{RULES}

The task: {{task}}
"""
PERCENT = """{RULES}

The task: %s
"""
DOLLAR = string.Template("""{RULES}

The task: $task
""")
PLAIN = """{RULES}

Write instructions for the task the user gives next.
"""
TASK = "Draft an email responding to a customer complaint"


def replaced():
    prompt = GUIDE.replace("{{{{TASK}}}}", TASK)
    return client.messages.create(model="claude-sonnet-4-5", max_tokens=500,
                                  messages=[{{"role": "user", "content": prompt}}])


def formatted():
    return client.messages.create(model="claude-sonnet-4-5", max_tokens=500,
                                  messages=[{{"role": "user", "content": FORMATTED.format(task=TASK)}}])


def percent():
    return client.messages.create(model="claude-sonnet-4-5", max_tokens=500,
                                  messages=[{{"role": "user", "content": PERCENT % TASK}}])


def substituted():
    return client.messages.create(model="claude-sonnet-4-5", max_tokens=500,
                                  messages=[{{"role": "user", "content": DOLLAR.substitute(task=TASK)}}])


def plain():
    return client.messages.create(model="claude-sonnet-4-5", max_tokens=500,
                                  messages=[{{"role": "user", "content": PLAIN}}])
'''


def test_a_filled_placeholder_ends_the_static_prefix(project):
    analysis = run_analysis(project({"meta.py": APP}))
    uncached = {f.finding.request.split("::")[1] for f in analysis.findings if f.finding.code == "PL201"}
    # look-alike: the same long text with nothing filled in is sent the same every time
    assert uncached == {"plain"}
    tokens = {r.function: r for r in analysis.project.requests}
    # the filled value is still counted: the request is the whole text
    plain = analysis.measurements.requests[tokens["plain"].id].input_tokens
    replaced = analysis.measurements.requests[tokens["replaced"].id].input_tokens
    assert replaced > plain - 20
