"""Regenerate ``promptlint/data/claude-pieces-*.compact.json.xz`` from the published ctok
vocabulary files beside them: the pieces in the counter's own characters, the byte-prefix
pieces and the two family settings, so a run does not parse the witness records.

Run: ``python scripts/build_claude_pieces.py`` (a test checks the files are up to date).
"""

from __future__ import annotations

import json
import lzma
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from promptlint.tokens.claude import FAMILIES, compact, compact_name, published  # noqa: E402


def main() -> None:
    for filename in sorted({f.pieces for f in FAMILIES.values()}):
        data = json.dumps(compact(published(filename)), ensure_ascii=False, separators=(",", ":"))
        target = ROOT / "promptlint" / "data" / compact_name(filename)
        target.write_bytes(lzma.compress(data.encode("utf-8"), preset=9 | lzma.PRESET_EXTREME))
        print(f"{target}: {target.stat().st_size} bytes")


if __name__ == "__main__":
    main()
