"""Property tests: the extractor never raises, whatever the source."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promptlint.extract import extract_file
from promptlint.extract.link import link

from conftest import ROOT

PATTERNS = ("*PROMPT*", "*SYSTEM*", "*TEMPLATE*", "*EXAMPLES*")
SEEDS = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "examples").rglob("*.py"))]

FRAGMENTS = st.sampled_from([
    "import anthropic\n", "from app.prompts import SYSTEM_PROMPT\n", "client = anthropic.Anthropic()\n",
    "SYSTEM_PROMPT = 'You are terse.'\n", "BASE_TEMPLATE = f'{x} and {{y}}'\n", "msgs = []\n",
    "msgs.append({'role': 'user', 'content': q})\n", "msgs[0]['cache_control'] = {'type': 'ephemeral'}\n",
    "def f(q, model='claude-sonnet-4-5'):\n", "    return client.messages.create(**params)\n",
    "    return client.messages.create(model=model, max_tokens=5, system=SYSTEM_PROMPT, messages=msgs)\n",
    "for x in items:\n", "    r = client.chat.completions.create(model=x, messages=[*msgs, *x])\n",
    "class A:\n", "    P_PROMPT = A.P_PROMPT + 'x'\n", "    def g(self):\n", "        return self.g()\n",
    "x = x + x\n", "y = y * 3\n", "z = '%s %(a)s' % (1,)\n", "w = '{}{0}{a.b}'.format(*q, **k)\n",
    "params = dict(**params)\n", "lst = lst + lst\n", "s = textwrap.dedent(s).strip()\n",
    "    pass\n", "(\n", "'''\n", "\\\n", "\n",
])


def extract_and_link(source: str):
    result = extract_file("m/gen.py", "python", source.encode("utf-8", "surrogatepass"), PATTERNS)
    return link([result], ".", 1)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_arbitrary_text_never_raises(text):
    extract_and_link(text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(FRAGMENTS, max_size=25))
def test_generated_prompt_code_never_raises(parts):
    extract_and_link("".join(parts))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SEEDS), st.data())
def test_broken_real_sources_never_raise(seed, data):
    start = data.draw(st.integers(0, len(seed)))
    end = data.draw(st.integers(start, min(len(seed), start + 40)))
    insert = data.draw(st.text(max_size=10))
    project = extract_and_link(seed[:start] + insert + seed[end:])
    assert isinstance(project.requests, tuple)
