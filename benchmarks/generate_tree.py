"""Generate a deterministic synthetic monorepo for benchmarking promptlint.

The tree looks like a real service monorepo: packages of ordinary Python modules
(models, services, utilities, tests) with a few percent of modules calling LLM APIs
(Anthropic, OpenAI, LiteLLM) with prompts defined as constants, some imported from a
shared prompts module, plus Jinja and YAML prompt files. The same seed and size always
give byte-identical files, so runs on different days compare.

    python benchmarks/generate_tree.py OUT_DIR [--files 2000] [--lines 250] [--llm-share 0.03]
"""

from __future__ import annotations

import argparse
import random
import shutil
from pathlib import Path

WORDS = (
    "order customer invoice refund shipment account ticket policy report payment product "
    "inventory warehouse carrier address schedule review summary message session token"
).split()

PLAIN_FUNCTION = '''

def {name}_{i}(records, limit={limit}):
    """Return the {word} records that pass the {other} check, newest first."""
    selected = []
    for record in records:
        if record.get("{word}_id") is None:
            continue
        score = record.get("score", 0) * {factor} + len(record.get("{other}", ""))
        if score > limit:
            selected.append((score, record))
    selected.sort(key=lambda item: item[0], reverse=True)
    logger.info("selected %d {word} records", len(selected))
    return [record for _, record in selected]
'''

PLAIN_CLASS = '''

class {cls}{i}:
    """In-memory {word} store used by the {other} service."""

    def __init__(self):
        self.items = {{}}
        self.version = {i}

    def add(self, key, value):
        if key in self.items:
            raise KeyError(f"duplicate {word}: {{key}}")
        self.items[key] = value
        return value

    def total(self):
        return sum(v.get("amount", 0) for v in self.items.values())
'''

LLM_ANTHROPIC = '''

def {name}_answer_{i}(question, history):
    messages = [*history, {{"role": "user", "content": f"Question about the {word}: {{question}}"}}]
    response = client.messages.create(
        model="{model}",
        max_tokens={max_tokens},
        system={system},
        messages=messages,
    )
    return response.content[0].text
'''

LLM_OPENAI = '''

def {name}_summarize_{i}(text):
    completion = openai_client.chat.completions.create(
        model="{model}",
        messages=[
            {{"role": "system", "content": {system}}},
            {{"role": "user", "content": "Summarize this {word} note:\\n" + text}},
        ],
    )
    return completion.choices[0].message.content
'''

LLM_BATCH = '''

def {name}_classify_all_{i}(tickets):
    labels = []
    for ticket in tickets:
        response = litellm.completion(
            model="{model}",
            max_tokens=1000,
            messages=[{{"role": "user", "content": CLASSIFY_TEMPLATE.format(ticket=ticket)}}],
        )
        labels.append(response.choices[0].message.content)
    return labels
'''

SHARED_PROMPTS = '''"""Prompts shared by the services of package {pkg}."""

SUPPORT_SYSTEM_PROMPT = """{long_prompt}"""

CLASSIFY_TEMPLATE = "Classify this ticket as billing, shipping or other. Answer with one word.\\n\\n{{ticket}}"

SUMMARY_INSTRUCTIONS = "You write short summaries for support agents. Keep the order number."
'''

JINJA = """{{# {pkg}: reply template #}}
You are the {word} assistant for {{{{ company }}}}.
{{% if vip %}}
Treat {{{{ customer_name }}}} as a priority customer and offer a callback.
{{% else %}}
Answer {{{{ customer_name }}}} politely.
{{% endif %}}
Rules:
{rules}
"""

YAML = """name: {pkg}-{word}-prompt
model: {model}
max_tokens: 400
system: |
{system}
user: "Customer wrote: {{{{ message }}}}"
"""


def _sentence(rng: random.Random, n: int = 12) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def _long_prompt(rng: random.Random, sentences: int) -> str:
    lines = []
    for i in range(sentences):
        lines.append(_sentence(rng, rng.randint(8, 16)))
        if i % 6 == 5:
            lines.append("")
    return "\n".join(lines)


def plain_module(rng: random.Random, target_lines: int, index: int) -> str:
    parts = [f'"""Module {index}: {_sentence(rng, 6)}"""\n\nimport logging\n\nlogger = logging.getLogger(__name__)\n'
             f"TIMEOUT_SECONDS = {rng.randint(5, 60)}\n"]
    lines = 6
    i = 0
    while lines < target_lines:
        word, other = rng.sample(WORDS, 2)
        if rng.random() < 0.7:
            chunk = PLAIN_FUNCTION.format(name=word, i=i, limit=rng.randint(1, 99), word=word, other=other,
                                          factor=rng.randint(2, 9))
        else:
            chunk = PLAIN_CLASS.format(cls=word.capitalize(), i=i, word=word, other=other)
        parts.append(chunk)
        lines += chunk.count("\n")
        i += 1
    return "".join(parts)


def llm_module(rng: random.Random, target_lines: int, index: int, pkg: str) -> str:
    head = (
        f'"""Module {index}: LLM features of {pkg}."""\n\nimport logging\n\nimport anthropic\nimport litellm\n'
        f"from openai import OpenAI\n\nfrom {pkg}.prompts import SUPPORT_SYSTEM_PROMPT, CLASSIFY_TEMPLATE, "
        "SUMMARY_INSTRUCTIONS\n\nlogger = logging.getLogger(__name__)\nclient = anthropic.Anthropic()\n"
        "openai_client = OpenAI()\n"
    )
    body = plain_module(rng, target_lines - 60, index).split("\n", 1)[1]
    word = rng.choice(WORDS)
    calls = [
        LLM_ANTHROPIC.format(name=word, i=index, word=word, model=rng.choice(["claude-sonnet-4-5", "claude-opus-4-1"]),
                             max_tokens=rng.choice([300, 800, 4096]), system="SUPPORT_SYSTEM_PROMPT"),
        LLM_OPENAI.format(name=word, i=index, word=word, model=rng.choice(["gpt-4o", "gpt-4o-mini"]),
                          system="SUMMARY_INSTRUCTIONS"),
        LLM_BATCH.format(name=word, i=index, model="claude-haiku-4-5"),
    ]
    return head + body + "".join(calls)


def generate(out: Path, files: int = 2000, lines: int = 250, llm_share: float = 0.03, seed: int = 7) -> dict:
    rng = random.Random(seed)
    if out.exists():
        shutil.rmtree(out)
    packages = max(1, files // 100)
    llm_files = max(1, round(files * llm_share))
    llm_indexes = set(rng.sample(range(files), llm_files))
    total_lines = 0
    for p in range(packages):
        pkg = f"service_{p:03d}"
        (out / pkg).mkdir(parents=True)
        (out / pkg / "__init__.py").write_text("")
        prompts = SHARED_PROMPTS.format(pkg=pkg, long_prompt=_long_prompt(rng, 90))
        (out / pkg / "prompts.py").write_text(prompts)
        total_lines += prompts.count("\n")
        word = rng.choice(WORDS)
        rules = "\n".join(f"- {_sentence(rng)}" for _ in range(8))
        (out / pkg / "templates").mkdir()
        (out / pkg / "templates" / "reply.j2").write_text(JINJA.format(pkg=pkg, word=word, rules=rules))
        system = "\n".join("  " + _sentence(rng) for _ in range(10))
        (out / pkg / "prompt.yaml").write_text(YAML.format(pkg=pkg, word=word, model="claude-sonnet-4-5", system=system))
    for i in range(files):
        pkg = f"service_{i % packages:03d}"
        folder = out / pkg / ("tests" if i % 10 == 9 else "core")
        folder.mkdir(exist_ok=True)
        text = llm_module(rng, lines, i, pkg) if i in llm_indexes else plain_module(rng, lines, i)
        (folder / f"module_{i:05d}.py").write_text(text)
        total_lines += text.count("\n")
    return {"python_files": files + 2 * packages, "llm_files": llm_files, "lines": total_lines,
            "packages": packages}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--lines", type=int, default=250, help="approximate lines per module")
    parser.add_argument("--llm-share", type=float, default=0.03)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    stats = generate(args.out, args.files, args.lines, args.llm_share, args.seed)
    print(f"{args.out}: {stats['python_files']:,} Python files, {stats['lines']:,} lines, "
          f"{stats['llm_files']} calling LLM APIs, {stats['packages']} packages with Jinja and YAML prompts")


if __name__ == "__main__":
    main()
