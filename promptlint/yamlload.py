"""The YAML loader for everything promptlint reads as YAML: rule files, phrase packs and
YAML prompt files.

libyaml's safe loader when PyYAML was built with it (many times faster, which matters as
rule files and packs load on every run), else the pure-Python one; both are safe (they
build plain data, never objects) and give the same character offsets.
"""

from __future__ import annotations

import yaml

SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
