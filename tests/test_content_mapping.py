"""A message content that is a mapping of the program's own (``{"prompt": p, "user_input": t}``
handed to a wrapper that sends it as the content) is neither text nor a content block: the
unresolved-prompt finding says so and names its keys, instead of a ``block`` the source
never mentions. Typed blocks (an image, a document) stay what they are: holes of their kind."""

from __future__ import annotations

from conftest import run_analysis

WRAPPED = '''\
from litellm import completion


def ask_model(prompt):
    messages = [{"role": "user", "content": prompt}]
    return completion(model="gpt-4o", max_tokens=500, messages=messages)["choices"][0]["message"]["content"]


def plan_video(user_input):
    instructions = (
        "Turn the user's notes into a JSON object with a title, the narration text and the "
        "orientation of the video. Do not invent a voice."
    )
    return ask_model({"prompt": instructions, "user_input": user_input})


def caption(image_b64):
    return completion(model="gpt-4o", max_tokens=200, messages=[{"role": "user", "content": [
        {"type": "text", "text": "Write a one-line caption for this photo for our product catalogue."},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{image_b64}"}},
    ]}])
'''


def test_a_mapping_sent_as_content_is_reported_by_its_keys(project):
    analysis = run_analysis(project({"media.py": WRAPPED}))
    unresolved = [f.finding for f in analysis.findings if f.finding.code == "PL002"]
    assert len(unresolved) == 1
    (finding,) = unresolved
    assert finding.span.line == 14
    assert "`prompt`, `user_input`" in finding.message and "`block`" not in finding.message
    # look-alike: text plus a typed image block is a resolved prompt, no finding
    assert all(f.span.line != 18 for f in unresolved)
