"""A recorded trajectory kept as YAML (SWE-agent's demonstrations: the ``history`` of a run
beside the ``replay_config`` it ran with, replayed as a few-shot example) is transcript
material: its templates are examples, so rules that read instruction prose (PL103) leave
them alone. The same template text in the agent's own config is an instruction."""

from __future__ import annotations

from conftest import run_analysis

TEMPLATES = '''\
      format_error_template: |
        Your last output did not use any tool calls!
        Please make sure your output includes exactly one function call!
        Please do not wrap commands in backticks, please use the function call format.
        If you think you have already resolved the issue, please submit your changes.
        Else, please continue with a new tool call!
'''

DEMO = '''\
history:
  - role: system
    content: You are a helpful assistant that can interact with a computer to solve tasks.
  - role: user
    content: Fix the failing division test in the repository.
  - role: assistant
    content: Let me look at the file first.
    action: str_replace_editor view /repo/division.py
replay_config:
  agent:
    tools:
''' + TEMPLATES

CONFIG = '''\
agent:
    tools:
''' + TEMPLATES


def _filler(analysis, path):
    return [f.finding for f in analysis.findings if f.finding.code == "PL103" and f.finding.span.path == path]


def test_a_recorded_trajectory_is_not_read_as_instructions(project):
    root = project({"trajectories/demonstrations/fix_demo.yaml": DEMO, "config/tools.yaml": CONFIG})
    analysis = run_analysis(root)
    assert _filler(analysis, "trajectories/demonstrations/fix_demo.yaml") == []
    # look-alike: the agent's own config holds the same text as instructions
    assert len(_filler(analysis, "config/tools.yaml")) == 1


def test_a_history_key_alone_does_not_make_a_recording(project):
    # a prompt file whose history of turns sits beside no recorded configuration stays a prompt
    text = DEMO.replace("replay_config:", "agent_config:")
    analysis = run_analysis(project({"prompts/fix.yaml": text}))
    assert len(_filler(analysis, "prompts/fix.yaml")) == 1
