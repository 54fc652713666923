"""PL402 and a streamed call: an answer read as it arrives has someone waiting on it, and
the batch APIs do not stream, so a loop of ``invoke_model_with_response_stream`` (or
``converse_stream``) calls is no batch candidate; the same loop of ``invoke_model`` is."""

from __future__ import annotations

import textwrap

import pytest

from conftest import run_analysis

LOOP = '''
    import json

    import boto3

    runtime = boto3.client("bedrock-runtime")


    def situate_chunks(document, chunks):
        contexts = []
        for chunk in chunks:
            body = json.dumps({{
                "anthropic_version": "bedrock-2023-05-31",
                "max_tokens": 200,
                "messages": [{{"role": "user", "content": f"Situate this chunk: {{chunk}} within {{document}}"}}],
            }})
            contexts.append(runtime.{method}(modelId="anthropic.claude-3-haiku-20240307-v1:0", body=body))
        return contexts
'''


@pytest.mark.parametrize("method,expected", [("invoke_model_with_response_stream", []),
                                             ("invoke_model", ["PL402"])])
def test_a_streamed_call_in_a_loop_is_no_batch_candidate(tmp_path, method, expected):
    (tmp_path / "situate.py").write_text(textwrap.dedent(LOOP.format(method=method)))
    found = [f.finding.code for f in run_analysis(tmp_path, select=("PL402",)).findings]
    assert found == expected
