"""The measured-traffic file: what usage logs said about each site, kept for later runs.

``audit --usage LOGS --write-usage-traffic [FILE]`` writes it (default
``promptlint-traffic.json`` beside the config); ``measured-traffic = "FILE"`` in config makes
every later run (CI, pre-commit) price with it, labelled ``measured``, without the logs.
Sites are keyed by request id and sorted, so the file diffs cleanly; an id that no longer
names a site (renamed function, moved file) is reported, not silently applied elsewhere.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from promptlint.atomic import write_atomic
from promptlint.config import ConfigError
from promptlint.traffic.plan import Measured

FORMAT_VERSION = 1
DEFAULT_NAME = "promptlint-traffic.json"


class SidecarError(ConfigError):
    """The file named by ``measured-traffic`` is unreadable or not one (exit code 2)."""


def dumps(measured: dict[str, Measured], logs: list[dict], unattributed: int, window_days: float | None,
          written: datetime | None = None) -> str:
    doc = {
        "promptlint_traffic": FORMAT_VERSION,
        "written": (written or datetime.now(tz=timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "logs": logs,
        "window_days": None if window_days is None else float(f"{window_days:.6g}"),
        "unattributed_calls": unattributed,
        "sites": {site: m.to_json() for site, m in sorted(measured.items())},
    }
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, text.encode("utf-8"))


def load(path: Path) -> dict[str, Measured]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SidecarError(f"measured-traffic file {path} does not exist; write it with "
                           f"`promptlint audit --usage LOG --write-usage-traffic {path}`") from None
    except OSError as exc:
        raise SidecarError(f"cannot read measured-traffic file {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise SidecarError(f"measured-traffic file {path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("promptlint_traffic") != FORMAT_VERSION or \
            not isinstance(data.get("sites"), dict):
        raise SidecarError(f"{path} is not a promptlint measured-traffic file (version {FORMAT_VERSION})")
    return {site: Measured.from_json(raw) for site, raw in data["sites"].items() if isinstance(raw, dict)}
