"""PL301 on a call whose keyword arguments take in a mapping an object fills over its life
(``self.extra_params = {}`` in one method, keys added in another): the cap may be one of
those keys, so no missing cap is reported; a mapping built whole in ``__init__`` is read
as it stands."""

from __future__ import annotations

import textwrap

from conftest import run_analysis

FILLED_LATER = '''
    import litellm


    from dataclasses import dataclass


    @dataclass
    class ModelSettings:
        name: str
        extra_params: dict | None = None


    class Model(ModelSettings):
        def __init__(self, name):
            self.name = name
            self.apply_family_defaults()

        def apply_family_defaults(self):
            if self.name.startswith("qwen"):
                self.extra_params = dict(top_p=0.8)

        def set_reasoning(self, effort):
            if not self.extra_params:
                self.extra_params = {}
            self.extra_params["reasoning"] = {"effort": effort}

        def send(self, messages):
            kwargs = dict(model=self.name, stream=False)
            if self.extra_params:
                kwargs.update(self.extra_params)
            kwargs["messages"] = messages
            return litellm.completion(**kwargs)
'''

BUILT_IN_INIT = '''
    import litellm


    class Model:
        def __init__(self, name):
            self.name = name
            self.extra_params = {"temperature": 0}

        def send(self, messages):
            kwargs = dict(model=self.name, stream=False)
            kwargs.update(self.extra_params)
            kwargs["messages"] = messages
            return litellm.completion(**kwargs)
'''


def _pl301(tmp_path, source):
    (tmp_path / "model.py").write_text(textwrap.dedent(source))
    return [f.finding for f in run_analysis(tmp_path, select=("PL301",)).findings]


def test_a_mapping_filled_by_other_methods_may_hold_the_cap(tmp_path):
    assert _pl301(tmp_path, FILLED_LATER) == []


def test_a_mapping_built_whole_in_init_is_read_as_it_stands(tmp_path):
    assert [f.code for f in _pl301(tmp_path, BUILT_IN_INIT)] == ["PL301"]
