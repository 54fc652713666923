"""PL104's safe fix deletes repeated sentences; a repeated *passage* holding a sentence the
rule does not compare (a short example, a quote) would be cut in part, and the kept piece
would then follow other text ("... for their problem. E.g., "a duplicate charge"."). That
deletion is unsafe; a repeat whose neighbours are not repeats stays safe."""

from __future__ import annotations

from conftest import make_fixer, run_analysis, write_tree

HEAD = '''import anthropic

client = anthropic.Anthropic()


def grade(answer, reference):
    prompt = f"""You grade a support agent's answer against a reference answer for a billing team. \\
A refund is money returned to the customer after a charge has been reversed by the billing team. \\
E.g., "a duplicate charge". \\
Decide whether both answers promise the customer the same outcome for their problem. \\
'''
TAIL = '''Reply with true or false only.

Answer: {answer}
Reference: {reference}"""
    return client.messages.create(model="claude-haiku-4-5", max_tokens=5,
                                  messages=[{"role": "user", "content": prompt}])
'''
PASSAGE = ('A refund is money returned to the customer after a charge has been reversed by the billing team. \\\n'
           'E.g., "a duplicate charge". \\\n')
ALONE = 'A refund is money returned to the customer after a charge has been reversed by the billing team. \\\n'


def _pl104(root):
    return [f.finding for f in run_analysis(root, select=("PL104",)).findings]


def test_a_repeated_passage_cut_in_part_is_an_unsafe_fix(tmp_path):
    root = write_tree(tmp_path, {"grade.py": HEAD + PASSAGE + TAIL})
    [finding] = _pl104(root)
    assert finding.fix.applicability == "unsafe"
    assert "cut in part" in finding.fix.description
    before = (root / "grade.py").read_text()
    make_fixer(root, ("PL104",)).run()
    assert (root / "grade.py").read_text() == before  # a plain (safe) fix leaves it alone


def test_a_repeated_sentence_between_other_sentences_is_still_a_safe_fix(tmp_path):
    root = write_tree(tmp_path, {"grade.py": HEAD + ALONE + TAIL})
    [finding] = _pl104(root)
    assert finding.fix.applicability == "safe"
    make_fixer(root, ("PL104",)).run()
    fixed = (root / "grade.py").read_text()
    assert fixed.count("A refund is money returned") == 1
    assert fixed.count('E.g., "a duplicate charge"') == 1
    compile(fixed, "grade.py", "exec")
